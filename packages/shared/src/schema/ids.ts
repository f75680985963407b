// Prefixed random ids ("ds_…", "pr_…", "ex_…", "im_…"): the one alphabet and length every id shares, a
// branded zod schema per kind, and a generator drawing from the platform's CSPRNG (60 bits per id).

import { z } from "zod";

/** Lower-case letters and digits without the look-alikes 0/o and 1/l. */
export const ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
export const ID_LENGTH = 12;

/** A schema for `<prefix>_` + 12 characters of the alphabet, branded `B`; `what` names it in errors. */
export function prefixedIdSchema<B extends string>(prefix: string, what: string) {
  return z
    .string()
    .regex(
      new RegExp(`^${prefix}_[${ID_ALPHABET}]{${ID_LENGTH}}$`),
      `not ${what} (${prefix}_ followed by ${ID_LENGTH} letters/digits)`,
    )
    .brand<B>();
}

/** A fresh `<prefix>_…` id (unparsed; pass it through the kind's schema for the brand). */
export function randomId(prefix: string): string {
  const bytes = new Uint8Array(ID_LENGTH);
  crypto.getRandomValues(bytes);
  return `${prefix}_${[...bytes].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join("")}`;
}

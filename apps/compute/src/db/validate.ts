// Validating the inputs of the metadata repositories with the shared zod schemas, turning a failure into
// an InvalidInputError that names what was wrong and the value given.

import type { z } from "zod";
import { InvalidInputError } from "./errors.js";

/** `value` parsed by `schema`; an InvalidInputError "invalid <what> <value>: <reasons>" otherwise. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const reasons = r.error.issues.map((i) => i.message).join("; ");
  throw new InvalidInputError(`invalid ${what} ${quote(value)}: ${reasons}`);
}

/** `value` parsed by `schema`, or undefined when it does not fit (for lookups: a malformed id exists nowhere). */
export function parseOrUndefined<S extends z.ZodType>(schema: S, value: unknown): z.output<S> | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

function quote(value: unknown): string {
  const s = typeof value === "string" ? JSON.stringify(value) : String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

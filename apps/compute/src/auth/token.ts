// Signed user tokens: what the sync endpoint (at the websocket upgrade) and the API check to know who is
// asking. Format: "sylva1.<payload>.<signature>", both base64url; payload = JSON {sub, iat, exp} (user name,
// issued-at and expiry in seconds since the epoch); signature = HMAC-SHA256(secret, "sylva1.<payload>").
// The secret comes from the environment (SYLVA_SECRET, at least 32 bytes) and never from a file in the
// repository. Verification compares in constant time and refuses expired, malformed or foreign tokens
// with a TokenError saying which.

import { createHmac, timingSafeEqual } from "node:crypto";
import { userNameSchema } from "@sylva/shared";
import { z } from "zod";

const PREFIX = "sylva1";
/** Default lifetime of an issued token: 30 days. */
export const DEFAULT_TOKEN_SECONDS = 30 * 24 * 3600;
const MIN_SECRET_BYTES = 32;

export class TokenError extends Error {
  override readonly name = "TokenError";
}

const payloadSchema = z.object({
  sub: userNameSchema,
  iat: z.number().int().nonnegative(),
  exp: z.number().int().positive(),
});
export type TokenPayload = z.infer<typeof payloadSchema>;

/** The signing secret from SYLVA_SECRET; a clear error when it is missing or too short. */
export function secretFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): Buffer {
  const value = env.SYLVA_SECRET;
  if (!value) throw new TokenError("SYLVA_SECRET is not set: give the service a secret of at least 32 bytes");
  const secret = Buffer.from(value, "utf8");
  if (secret.length < MIN_SECRET_BYTES)
    throw new TokenError(`SYLVA_SECRET is ${secret.length} bytes; it must be at least ${MIN_SECRET_BYTES}`);
  return secret;
}

function sign(secret: Buffer, body: string): string {
  return createHmac("sha256", secret).update(body).digest("base64url");
}

/** A token for user `sub`, valid for `seconds` from `now` (seconds since the epoch). */
export function issueToken(
  secret: Buffer,
  sub: string,
  seconds = DEFAULT_TOKEN_SECONDS,
  now = Math.floor(Date.now() / 1000),
): string {
  const payload = payloadSchema.parse({ sub, iat: now, exp: now + seconds });
  const body = `${PREFIX}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${body}.${sign(secret, body)}`;
}

/** The payload of a valid token; a TokenError naming the problem otherwise. */
export function verifyToken(
  secret: Buffer,
  token: string,
  now = Math.floor(Date.now() / 1000),
): TokenPayload {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX) throw new TokenError("not a Sylva token");
  const body = `${parts[0]}.${parts[1]}`;
  const expected = Buffer.from(sign(secret, body), "base64url");
  const given = Buffer.from(parts[2], "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new TokenError("token signature is invalid");
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    throw new TokenError("token payload is not JSON");
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) throw new TokenError("token payload is malformed");
  if (parsed.data.exp <= now) throw new TokenError("token has expired");
  return parsed.data;
}

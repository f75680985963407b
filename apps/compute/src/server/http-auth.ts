// Who is asking: the signed token of an HTTP request or websocket upgrade, from `Authorization: Bearer …`
// or, for browser websockets and <img>-style requests that cannot set headers, the `token` query
// parameter. A token is valid when its signature and expiry check out and its user still exists.

import type { IncomingMessage } from "node:http";
import { TokenError, verifyToken } from "../auth/token.js";

/** The token a request carries, if any. */
export function requestToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice(7).trim() || undefined;
  const url = new URL(req.url ?? "/", "http://localhost");
  return url.searchParams.get("token") ?? undefined;
}

export type Authentication = { ok: true; user: string } | { ok: false; reason: string };

/** Checks `token`; `userExists` is asked last, so unknown users are refused like bad tokens. */
export async function authenticate(
  secret: Buffer,
  token: string | undefined,
  userExists: (name: string) => Promise<boolean>,
): Promise<Authentication> {
  if (token === undefined) return { ok: false, reason: "no token: sign in first" };
  try {
    const { sub } = verifyToken(secret, token);
    if (!(await userExists(sub))) return { ok: false, reason: `user "${sub}" does not exist` };
    return { ok: true, user: sub };
  } catch (e) {
    if (e instanceof TokenError) return { ok: false, reason: e.message };
    throw e;
  }
}

// Signed user tokens: round trip, and every way a token can be wrong is refused with its reason.

import { describe, expect, it } from "vitest";
import { issueToken, secretFromEnv, TokenError, verifyToken } from "../../src/auth/token.js";

const secret = secretFromEnv({ SYLVA_SECRET: "x".repeat(40) });
const other = secretFromEnv({ SYLVA_SECRET: "y".repeat(40) });

describe("tokens", () => {
  it("a token names its user until it expires", () => {
    const token = issueToken(secret, "ana", 60, 1000);
    expect(verifyToken(secret, token, 1030)).toEqual({ sub: "ana", iat: 1000, exp: 1060 });
    expect(() => verifyToken(secret, token, 1060)).toThrow(/expired/);
  });

  it("refuses foreign, tampered and malformed tokens", () => {
    const token = issueToken(secret, "ana", 60, 1000);
    const [prefix, payload, signature] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ sub: "root", iat: 1000, exp: 9e9 })).toString("base64url");
    const cases: [string, RegExp][] = [
      [issueToken(other, "ana", 60, 1000), /signature/],
      [`${prefix}.${forged}.${signature}`, /signature/],
      [`${prefix}.${payload}.${signature.slice(0, -2)}`, /signature/],
      ["", /not a Sylva token/],
      ["eyJhbGciOiJub25lIn0.e30.", /not a Sylva token/],
      [`${prefix}.${payload}`, /not a Sylva token/],
    ];
    for (const [bad, why] of cases) {
      expect(() => verifyToken(secret, bad, 1010)).toThrow(TokenError);
      expect(() => verifyToken(secret, bad, 1010)).toThrow(why);
    }
  });

  it("user names are validated when issuing; the secret must be set and long enough", () => {
    expect(() => issueToken(secret, "../etc")).toThrow();
    expect(() => secretFromEnv({})).toThrow(/SYLVA_SECRET is not set/);
    expect(() => secretFromEnv({ SYLVA_SECRET: "short" })).toThrow(/at least 32/);
  });
});

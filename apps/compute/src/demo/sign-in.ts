// The links a first run prints: the platform's URL as a browser on this machine opens it (loopback
// addresses shown as "localhost"), and the sign-in link that carries a token in the fragment (never sent
// to the server; the web app's /signin page reads it and keeps the token).

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "0.0.0.0", "[::]"]);

/** `url` with a loopback or wildcard host shown as localhost. */
export function browserUrl(url: string): string {
  const u = new URL(url);
  if (LOOPBACK.has(u.hostname)) u.hostname = "localhost";
  return u.origin;
}

/** The sign-in link for `token` on the platform at `url`. */
export function signInUrl(url: string, token: string): string {
  return `${browserUrl(url)}/signin#token=${encodeURIComponent(token)}`;
}

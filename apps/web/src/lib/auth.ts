// The signed-in user's token: kept in localStorage under "sylva.token" until real accounts arrive.
// Every request (tRPC, raw tiles, the sync websocket) carries it.

export const TOKEN_KEY = "sylva.token";

type Listener = () => void;
const listeners = new Set<Listener>();

export function getToken(): string | null {
  if (typeof window === "undefined") return null;
  try {
    return window.localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string): void {
  window.localStorage.setItem(TOKEN_KEY, token.trim());
  for (const l of listeners) l();
}

export function clearToken(): void {
  window.localStorage.removeItem(TOKEN_KEY);
  for (const l of listeners) l();
}

/** Calls `l` when the token changes in this tab (or another, through the storage event). */
export function subscribeToken(l: Listener): () => void {
  listeners.add(l);
  const onStorage = (e: StorageEvent) => {
    if (e.key === TOKEN_KEY) l();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(l);
    window.removeEventListener("storage", onStorage);
  };
}

/** The token carried in a URL fragment ("#token=…"), as the server prints it on first run. */
export function tokenFromFragment(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash);
  const token = params.get("token");
  return token && token.trim() !== "" ? token.trim() : null;
}

/** Headers for a same-origin request with the token. */
export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

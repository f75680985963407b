"use client";
// Sign-in: a token from the URL fragment (/signin#token=…, what the server prints on first run) or pasted
// into the field; the `me` query validates it before it is kept, then on to the projects.
import { useRouter } from "next/navigation";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { clearToken, setToken, tokenFromFragment } from "../../lib/auth";
import { api, errorCode, errorMessage } from "../../lib/trpc";

export default function SignInPage() {
  const router = useRouter();
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const signIn = useCallback(
    async (token: string) => {
      setBusy(true);
      setError(null);
      setToken(token);
      try {
        await api.me.query();
        router.replace("/projects");
      } catch (e) {
        clearToken();
        setError(
          errorCode(e) === "UNAUTHORIZED"
            ? "This token is not valid (expired, or its user no longer exists)."
            : `Cannot reach the Sylva service: ${errorMessage(e)}`,
        );
        setBusy(false);
      }
    },
    [router],
  );

  useEffect(() => {
    if (new URLSearchParams(window.location.search).has("expired"))
      setError("Your session has expired; sign in again.");
    const fromUrl = tokenFromFragment(window.location.hash);
    if (fromUrl) {
      // The token should not linger in the address bar or history.
      window.history.replaceState(null, "", window.location.pathname);
      void signIn(fromUrl);
    }
  }, [signIn]);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (value.trim() !== "") void signIn(value.trim());
  };

  return (
    <main className="signin">
      <div className="signin-card">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark" />
          Sylva
        </div>
        <h1 className="signin-title">Sign in</h1>
        <p className="muted">
          Collaborative pixel classification for microscopy. Paste the access token that{" "}
          <code>sylva token --user NAME</code> printed, or open the sign-in link the server printed.
        </p>
        <form onSubmit={onSubmit} className="form-stack">
          <label className="field">
            <span className="field-label">Access token</span>
            <textarea
              name="token"
              value={value}
              onChange={(e) => setValue(e.target.value)}
              rows={3}
              spellCheck={false}
              autoComplete="off"
              placeholder="sylva1.…"
              data-testid="signin-token"
            />
          </label>
          {error && (
            <p role="alert" className="error-text">
              {error}
            </p>
          )}
          <button type="submit" className="btn btn-primary" disabled={busy || value.trim() === ""}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      </div>
    </main>
  );
}

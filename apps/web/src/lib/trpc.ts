// The typed tRPC client for the compute service's API at /trpc (same origin, bearer token).
import type { AppRouter } from "@sylva/shared/api";
import { createTRPCClient, httpBatchLink, TRPCClientError } from "@trpc/client";
import { authHeaders } from "./auth";

export const api = createTRPCClient<AppRouter>({
  links: [
    httpBatchLink({
      url: "/trpc",
      headers: () => authHeaders(),
    }),
  ],
});

/** The tRPC error code of a failed call ("UNAUTHORIZED", "NOT_FOUND", …), if it is one. */
export function errorCode(e: unknown): string | undefined {
  if (e instanceof TRPCClientError) {
    const data: unknown = e.data;
    if (data && typeof data === "object" && "code" in data && typeof data.code === "string") return data.code;
  }
  return undefined;
}

/** A one-line message for a failed call. */
export function errorMessage(e: unknown): string {
  if (e instanceof TRPCClientError) {
    // zod errors arrive as a JSON list of issues; show their messages.
    try {
      const issues: unknown = JSON.parse(e.message);
      if (Array.isArray(issues))
        return issues
          .map((i: unknown) => (i && typeof i === "object" && "message" in i ? String(i.message) : ""))
          .filter(Boolean)
          .join("; ");
    } catch {
      // not JSON: a plain message
    }
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

"use client";
// Gate for signed-in pages: without a token (or with one the API refuses) go to /signin.
import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type ReactNode, useEffect } from "react";
import { clearToken } from "./auth";
import { api, errorCode } from "./trpc";
import { useHydrated, useToken } from "./use-token";

export function useMe() {
  const token = useToken();
  return useQuery({
    queryKey: ["me", token],
    queryFn: () => api.me.query(),
    enabled: token !== null,
    retry: (n, e) => errorCode(e) !== "UNAUTHORIZED" && n < 2,
    staleTime: 60_000,
  });
}

export function RequireAuth({ children }: { children: ReactNode }) {
  const hydrated = useHydrated();
  const token = useToken();
  const router = useRouter();
  const me = useMe();
  const refused = me.isError && errorCode(me.error) === "UNAUTHORIZED";
  useEffect(() => {
    if (!hydrated) return;
    if (token === null) router.replace("/signin");
    else if (refused) {
      clearToken();
      router.replace("/signin?expired=1");
    }
  }, [hydrated, token, refused, router]);
  if (!hydrated || token === null || refused) return <div className="page-loading">Loading…</div>;
  return <>{children}</>;
}

// React hook for the stored token (null on the server and before hydration).
import { useSyncExternalStore } from "react";
import { getToken, subscribeToken } from "./auth";

export function useToken(): string | null {
  return useSyncExternalStore(subscribeToken, getToken, () => null);
}

/** Whether the component has hydrated (localStorage is readable). */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    () => () => {},
    () => true,
    () => false,
  );
}

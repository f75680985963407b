"use client";
// Sign out: forget the token and go back to the sign-in page.
import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { clearToken } from "../lib/auth";

export function SignOutButton() {
  const router = useRouter();
  const queryClient = useQueryClient();
  return (
    <button
      type="button"
      className="btn btn-ghost"
      data-testid="sign-out"
      onClick={() => {
        clearToken();
        queryClient.clear();
        router.replace("/signin");
      }}
    >
      Sign out
    </button>
  );
}

"use client";
// Landing route: signed-in users go to their projects, others to sign-in.
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { getToken } from "../lib/auth";

export default function Home() {
  const router = useRouter();
  useEffect(() => {
    router.replace(getToken() ? "/projects" : "/signin");
  }, [router]);
  return <div className="page-loading">Loading…</div>;
}

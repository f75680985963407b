"use client";
// A project's workspace (signed-in users only).
import { useParams } from "next/navigation";
import { RequireAuth } from "../../../lib/require-auth";
import { Workspace } from "../../../workspace/workspace";

export default function ProjectPage() {
  const params = useParams<{ id: string }>();
  return (
    <RequireAuth>
      <Workspace projectId={params.id} />
    </RequireAuth>
  );
}

"use client";
// The signed-in user's projects: open one, or create a new one.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { formatTime } from "../../lib/format";
import { RequireAuth, useMe } from "../../lib/require-auth";
import { api, errorMessage } from "../../lib/trpc";
import { SignOutButton } from "../../workspace/sign-out-button";

function ProjectList() {
  const router = useRouter();
  const queryClient = useQueryClient();
  const me = useMe();
  const projects = useQuery({ queryKey: ["projects"], queryFn: () => api.projects.list.query() });
  const [name, setName] = useState("");
  const create = useMutation({
    mutationFn: (n: string) => api.projects.create.mutate({ name: n }),
    onSuccess: (p) => {
      void queryClient.invalidateQueries({ queryKey: ["projects"] });
      router.push(`/projects/${p.id}`);
    },
  });
  const onCreate = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim() !== "") create.mutate(name.trim());
  };

  return (
    <div className="app-page">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Sylva
        </div>
        <div className="topbar-spacer" />
        {me.data && <span className="muted">Signed in as {me.data.name}</span>}
        <SignOutButton />
      </header>
      <main className="projects-main">
        <h1>Projects</h1>
        <form className="create-project" onSubmit={onCreate}>
          <label className="field field-inline">
            <span className="field-label">New project</span>
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="e.g. ISBI membranes"
              data-testid="new-project-name"
            />
          </label>
          <button type="submit" className="btn btn-primary" disabled={name.trim() === "" || create.isPending}>
            Create project
          </button>
        </form>
        {create.isError && (
          <p role="alert" className="error-text">
            {errorMessage(create.error)}
          </p>
        )}
        {projects.isPending && <p className="muted">Loading projects…</p>}
        {projects.isError && (
          <p role="alert" className="error-text">
            {errorMessage(projects.error)}
          </p>
        )}
        {projects.data && projects.data.length === 0 && (
          <p className="muted">No projects yet. Create one to import data and start labeling.</p>
        )}
        {projects.data && projects.data.length > 0 && (
          <ul className="project-list" data-testid="project-list">
            {projects.data.map((p) => (
              <li key={p.id}>
                <Link href={`/projects/${p.id}`} className="project-card" data-testid={`project-${p.id}`}>
                  <span className="project-name">{p.name}</span>
                  <span className="project-meta">
                    <span className="badge">{p.role}</span>
                    <span>created by {p.createdBy}</span>
                    <span>{formatTime(p.createdAt)}</span>
                    <span>classifier generation {p.generation}</span>
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </main>
    </div>
  );
}

export default function ProjectsPage() {
  return (
    <RequireAuth>
      <ProjectList />
    </RequireAuth>
  );
}

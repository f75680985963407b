"use client";
// Import jobs of the project with their progress, polled while any is queued or running; a finished
// import refreshes the dataset list and opens the new dataset.
import type { ImportJob } from "@sylva/shared/api";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { formatPercent } from "../lib/format";
import { asProjectId } from "../lib/ids";
import { api } from "../lib/trpc";

function active(j: ImportJob): boolean {
  return j.status === "queued" || j.status === "running";
}

export function ProgressBar({ value, label, testId }: { value: number; label: string; testId?: string }) {
  return (
    <div
      className="progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(value * 100)}
      data-testid={testId}
    >
      <div className="progress-fill" style={{ width: formatPercent(value) }} />
    </div>
  );
}

export function ImportJobs({
  projectId,
  pollUntil,
  onDone,
}: {
  projectId: string;
  /** Poll until this time (ms since epoch) even without an active job (just after starting one). */
  pollUntil: number;
  onDone: (datasetId: string) => void;
}) {
  const queryClient = useQueryClient();
  const seen = useRef(new Set<string>());
  const jobs = useQuery({
    queryKey: ["importJobs", projectId],
    queryFn: () => api.datasets.importJobs.query({ projectId: asProjectId(projectId) }),
    refetchInterval: (q) => (q.state.data?.some(active) || Date.now() < pollUntil ? 1000 : false),
  });
  useEffect(() => {
    for (const j of jobs.data ?? []) {
      if (active(j)) seen.current.add(j.id);
      else if (seen.current.has(j.id)) {
        seen.current.delete(j.id);
        const id = j.status === "done" ? j.datasetId : undefined;
        // Select the new dataset once the refreshed list has it.
        void queryClient.invalidateQueries({ queryKey: ["datasets", projectId] }).then(() => {
          if (id) onDone(id);
        });
      }
    }
  }, [jobs.data, queryClient, projectId, onDone]);
  const shown = (jobs.data ?? []).filter((j) => active(j) || j.status === "failed" || seen.current.has(j.id));
  if (shown.length === 0) return null;
  return (
    <ul className="job-list" aria-label="Imports" data-testid="import-jobs">
      {shown.map((j) => (
        <li key={j.id} className="job">
          <div className="job-head">
            <span className="job-name">{j.name}</span>
            <span className={`job-status status-${j.status}`}>
              {j.status === "running" ? formatPercent(j.progress) : j.status}
            </span>
          </div>
          {active(j) && (
            <ProgressBar value={j.progress} label={`Importing ${j.name}`} testId="import-progress" />
          )}
          {j.error && <p className="error-text">{j.error}</p>}
        </li>
      ))}
    </ul>
  );
}

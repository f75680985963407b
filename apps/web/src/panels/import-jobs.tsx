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
  started,
  onDone,
}: {
  projectId: string;
  /** Poll until this time (ms since epoch) even without an active job (just after starting one). */
  pollUntil: number;
  /** Jobs this panel started: polled until they finish, even if they finish before the first refetch. */
  started: readonly string[];
  onDone: (datasetId: string) => void;
}) {
  const queryClient = useQueryClient();
  // Jobs followed here (seen queued or running, or started by this panel), shown until the panel goes.
  const watched = useRef(new Set<string>());
  // Jobs whose finish was handled (the dataset list refreshed), and whether the first answer was seen.
  const handled = useRef(new Set<string>());
  const baseline = useRef(false);
  for (const id of started) watched.current.add(id);
  const startedKey = started.join(",");
  const jobs = useQuery({
    queryKey: ["importJobs", projectId],
    queryFn: () => api.datasets.importJobs.query({ projectId: asProjectId(projectId) }),
    refetchInterval: (q) => {
      const data = q.state.data ?? [];
      const pending = [...watched.current].some((id) => {
        const j = data.find((x) => x.id === id);
        return !j || active(j);
      });
      return data.some(active) || pending || Date.now() < pollUntil ? 1000 : false;
    },
  });
  useEffect(() => {
    // A newly started job: fetch at once rather than at the next interval.
    if (startedKey) void queryClient.invalidateQueries({ queryKey: ["importJobs", projectId] });
  }, [startedKey, queryClient, projectId]);
  useEffect(() => {
    if (!jobs.data) return;
    const first = !baseline.current;
    baseline.current = true;
    let refresh = false;
    let open: string | undefined;
    for (const j of jobs.data) {
      if (active(j)) {
        watched.current.add(j.id);
        continue;
      }
      if (handled.current.has(j.id)) continue;
      handled.current.add(j.id);
      if (j.status !== "done") continue;
      // Any job of the project reaching "done" refreshes the dataset list, also one first seen done.
      refresh = true;
      // Open the new dataset, unless the job had finished before this panel was shown.
      if (!first) watched.current.add(j.id);
      if (j.datasetId && watched.current.has(j.id)) open = j.datasetId;
    }
    if (!refresh) return;
    // Select the new dataset once the refreshed list has it.
    void queryClient.invalidateQueries({ queryKey: ["datasets", projectId] }).then(() => {
      if (open) onDone(open);
    });
  }, [jobs.data, queryClient, projectId, onDone]);
  const shown = (jobs.data ?? []).filter(
    (j) => active(j) || j.status === "failed" || watched.current.has(j.id),
  );
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

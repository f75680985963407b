"use client";
// The project's export jobs, newest first, polled while any runs: progress, errors, and when done a
// download link (file formats) or the new dataset (OME-Zarr).
import type { DatasetManifest } from "@sylva/shared";
import type { ExportJob } from "@sylva/shared/api";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { getToken } from "../lib/auth";
import { formatPercent, formatTime } from "../lib/format";
import { asProjectId } from "../lib/ids";
import { api } from "../lib/trpc";
import { datasetIdOfKey, FORMAT_LABELS, SOURCE_LABELS } from "./export-options";
import { ProgressBar } from "./import-jobs";

function active(j: ExportJob): boolean {
  return j.status === "queued" || j.status === "running";
}

/** The download URL with the token as a query parameter (links cannot send an Authorization header). */
export function withToken(url: string): string {
  const token = getToken();
  if (!token || /[?&]token=/.test(url)) return url;
  return `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

export function ExportJobs({
  projectId,
  datasets,
  pollUntil,
  onOpenDataset,
}: {
  projectId: string;
  datasets: readonly DatasetManifest[];
  pollUntil: number;
  onOpenDataset: (id: string) => void;
}) {
  const queryClient = useQueryClient();
  const running = useRef(new Set<string>());
  const jobs = useQuery({
    queryKey: ["exports", projectId],
    queryFn: () => api.exports.list.query({ projectId: asProjectId(projectId) }),
    refetchInterval: (q) => (q.state.data?.some(active) || Date.now() < pollUntil ? 1000 : false),
  });
  useEffect(() => {
    for (const j of jobs.data ?? []) {
      if (active(j)) running.current.add(j.id);
      else if (running.current.delete(j.id) && j.params.format === "ome-zarr")
        void queryClient.invalidateQueries({ queryKey: ["datasets", projectId] });
    }
  }, [jobs.data, queryClient, projectId]);
  const list = [...(jobs.data ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, 20);
  if (list.length === 0) return <p className="muted">No exports yet.</p>;
  const nameOf = (id: string) => datasets.find((d) => d.id === id)?.name ?? id;
  return (
    <ul className="job-list" aria-label="Export jobs" data-testid="export-jobs">
      {list.map((j) => {
        const resultDataset = j.params.format === "ome-zarr" ? datasetIdOfKey(j.resultKey) : null;
        return (
          <li key={j.id} className="job" data-testid={`export-job-${j.id}`} data-status={j.status}>
            <div className="job-head">
              <span className="job-name">
                {nameOf(j.datasetId)} · {SOURCE_LABELS[j.params.source]}
              </span>
              <span className={`job-status status-${j.status}`}>
                {j.status === "running" ? formatPercent(j.progress) : j.status}
              </span>
            </div>
            <div className="job-meta">
              {FORMAT_LABELS[j.params.format]}
              {j.params.dtype ? ` · ${j.params.dtype}` : ""} · {formatTime(j.createdAt)} · {j.createdBy}
            </div>
            {active(j) && (
              <ProgressBar
                value={j.progress}
                label={`Export of ${nameOf(j.datasetId)}`}
                testId="export-progress"
              />
            )}
            {j.error && <p className="error-text">{j.error}</p>}
            {j.status === "done" && (
              <div className="job-result">
                {j.downloadUrl && (
                  <a
                    className="btn btn-small btn-primary"
                    href={withToken(j.downloadUrl)}
                    download
                    data-testid="export-download"
                  >
                    Download
                  </a>
                )}
                {resultDataset && datasets.some((d) => d.id === resultDataset) && (
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => onOpenDataset(resultDataset)}
                    data-testid="export-open-dataset"
                  >
                    Open result dataset
                  </button>
                )}
                {!j.downloadUrl && !resultDataset && j.resultKey && (
                  <span className="muted small">Stored at {j.resultKey}</span>
                )}
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}

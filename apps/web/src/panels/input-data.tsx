"use client";
// Input Data (ilastik's applet): upload files from this computer (upload-form.tsx), or import from server paths, wildcards, s3:// or http(s) OME-Zarr URLs,
// stacked along z, t or c; a dimensions dialog from `datasets.probe` to check and correct the axes; the
// import's progress; and the project's datasets with thumbnail, shape, dtype and size.
import type { DatasetManifest, StackAlong } from "@sylva/shared";
import type { SourceProbe } from "@sylva/shared/api";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useCallback, useState } from "react";
import { datasetBytes, formatBytes, formatShape } from "../lib/format";
import { asProjectId } from "../lib/ids";
import { useStore } from "../lib/store";
import { api, errorMessage } from "../lib/trpc";
import type { WorkspaceModel } from "../workspace/model";
import { DatasetThumbnail } from "./dataset-thumbnail";
import { type ImportChoice, ImportDialog } from "./import-dialog";
import { ImportJobs } from "./import-jobs";
import { UploadForm } from "./upload-form";

function parseSources(text: string): string[] {
  return text
    .split(/\n/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function nameFromSource(src: string): string {
  const clean = src.replace(/[/\\]+$/, "");
  const base = clean.split(/[/\\]/).pop() ?? clean;
  return (
    base.replace(/\.(ome\.zarr|zarr|tiff?|png|jpe?g|h5|hdf5|npy)$/i, "").replace(/[*?]/g, "") || "dataset"
  );
}

export function InputDataPanel({
  model,
  projectId,
  datasets,
  loading,
  selected,
  onSelect,
}: {
  model: WorkspaceModel;
  projectId: string;
  datasets: readonly DatasetManifest[];
  loading: boolean;
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  const canImport = useStore(model.access, (s) => s.canImport);
  const [text, setText] = useState("");
  const [stackAlong, setStackAlong] = useState<StackAlong>("z");
  const [probe, setProbe] = useState<SourceProbe | null>(null);
  const [pollUntil, setPollUntil] = useState(0);
  const [started, setStarted] = useState<readonly string[]>([]);
  const queryClient = useQueryClient();
  const sources = parseSources(text);

  const probeQuery = useMutation({
    mutationFn: (axes?: string) =>
      api.datasets.probe.query({ projectId: asProjectId(projectId), sources, stackAlong, axes }),
    onSuccess: setProbe,
  });
  const importMutation = useMutation({
    mutationFn: (c: ImportChoice) =>
      api.datasets.import.mutate({
        projectId: asProjectId(projectId),
        sources,
        options: { name: c.name, axes: c.axes, stackAlong },
      }),
    onSuccess: (job) => {
      setProbe(null);
      setPollUntil(Date.now() + 10_000);
      // Followed until it is done, even if it finishes before the job list's next refetch.
      setStarted((s) => [...s, job.id]);
      void queryClient.invalidateQueries({ queryKey: ["importJobs", projectId] });
    },
  });
  const onDone = useCallback((id: string) => onSelect(id), [onSelect]);

  const onCheck = (e: FormEvent) => {
    e.preventDefault();
    if (sources.length > 0) probeQuery.mutate(undefined);
  };

  return (
    <div className="panel-body">
      <section className="panel-section" aria-labelledby="import-heading">
        <h3 id="import-heading">Add data</h3>
        {!canImport && <p className="muted">Your role in this project cannot import data.</p>}
        <form onSubmit={onCheck} className="form-stack">
          <label className="field">
            <span className="field-label">Server paths or URLs (one per line)</span>
            <textarea
              value={text}
              onChange={(e) => setText(e.target.value)}
              rows={3}
              spellCheck={false}
              placeholder={"/data/isbi2012/raw\nscans/t*.tif\ns3://bucket/volume.zarr"}
              disabled={!canImport}
              data-testid="import-sources"
            />
            <span className="field-help">
              A file, a folder or wildcard of 2D images (stacked in natural order), FILE.h5/dataset, Zarr /
              OME-Zarr, s3:// or http(s). Only paths the server allows can be read.
            </span>
          </label>
          <fieldset className="field segmented-field">
            <legend className="field-label">Stack 2D files along</legend>
            <div className="segmented">
              {(["z", "t", "c"] as const).map((a) => (
                <label key={a} className={`segment${stackAlong === a ? " active" : ""}`}>
                  <input
                    type="radio"
                    name="stack-along"
                    value={a}
                    checked={stackAlong === a}
                    onChange={() => setStackAlong(a)}
                    disabled={!canImport}
                  />
                  {a === "z" ? "z (depth)" : a === "t" ? "t (time)" : "c (channels)"}
                </label>
              ))}
            </div>
          </fieldset>
          {probeQuery.isError && (
            <p role="alert" className="error-text">
              {errorMessage(probeQuery.error)}
            </p>
          )}
          <button
            type="submit"
            className="btn btn-primary"
            disabled={!canImport || sources.length === 0 || probeQuery.isPending}
            data-testid="import-check"
          >
            {probeQuery.isPending ? "Reading…" : "Check dimensions…"}
          </button>
        </form>
        <UploadForm
          projectId={projectId}
          canImport={canImport}
          onStarted={(job) => {
            setPollUntil(Date.now() + 10_000);
            setStarted((s) => [...s, job.id]);
            void queryClient.invalidateQueries({ queryKey: ["importJobs", projectId] });
          }}
        />
        <ImportJobs projectId={projectId} pollUntil={pollUntil} started={started} onDone={onDone} />
      </section>

      <section className="panel-section" aria-labelledby="datasets-heading">
        <h3 id="datasets-heading">Datasets</h3>
        {loading && <p className="muted">Loading…</p>}
        {!loading && datasets.length === 0 && <p className="muted">No datasets yet.</p>}
        <ul className="dataset-list" data-testid="dataset-list">
          {datasets.map((d) => (
            <li key={d.id}>
              <button
                type="button"
                className={`dataset-card${selected === d.id ? " selected" : ""}`}
                onClick={() => onSelect(d.id)}
                aria-pressed={selected === d.id}
                data-testid={`dataset-${d.id}`}
              >
                <DatasetThumbnail projectId={projectId} dataset={d} />
                <span className="dataset-info">
                  <span className="dataset-name">{d.name}</span>
                  <span className="dataset-meta">{formatShape(d.axes, d.shape)}</span>
                  <span className="dataset-meta">
                    {d.dtype} · {formatBytes(datasetBytes(d))} · {d.levels.length} level
                    {d.levels.length > 1 ? "s" : ""}
                  </span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      </section>

      {probe && (
        <ImportDialog
          probe={probe}
          defaultName={nameFromSource(sources[0] ?? "dataset")}
          busy={importMutation.isPending || probeQuery.isPending}
          error={
            importMutation.isError
              ? errorMessage(importMutation.error)
              : probeQuery.isError
                ? errorMessage(probeQuery.error)
                : null
          }
          onRecheck={(axes) => probeQuery.mutate(axes)}
          onImport={(c) => importMutation.mutate(c)}
          onClose={() => {
            setProbe(null);
            importMutation.reset();
          }}
        />
      )}
    </div>
  );
}

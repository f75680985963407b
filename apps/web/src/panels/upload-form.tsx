"use client";
// Upload files from the user's computer: one image, or several files stacked along z, t or c (one file
// per slice or time step), sent in one request in the upload framing of @sylva/shared (no copy of the
// files in memory) with a progress bar for the transfer; the server answers with an import job, which
// the import job list then follows like any import.
import { type StackAlong, uploadParts } from "@sylva/shared";
import type { ImportJob } from "@sylva/shared/api";
import { type FormEvent, useState } from "react";
import { getToken } from "../lib/auth";
import { ProgressBar } from "./import-jobs";

function defaultName(files: readonly File[]): string {
  const first = files[0]?.name ?? "upload";
  return first.replace(/\.(ome\.tiff?|tiff?|png|jpe?g|h5|hdf5|npy)$/i, "") || "upload";
}

/** POSTs the body with upload progress (fetch cannot report it); resolves to the import job. */
function send(url: string, body: Blob, onProgress: (f: number) => void): Promise<ImportJob> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    const token = getToken();
    if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        parsed = undefined;
      }
      if (xhr.status === 202) resolve(parsed as ImportJob);
      else
        reject(
          new Error((parsed as { error?: string } | undefined)?.error ?? `upload failed (${xhr.status})`),
        );
    };
    xhr.onerror = () => reject(new Error("the upload was interrupted"));
    xhr.send(body);
  });
}

export function UploadForm({
  projectId,
  canImport,
  onStarted,
}: {
  projectId: string;
  canImport: boolean;
  onStarted: (job: ImportJob) => void;
}) {
  const [files, setFiles] = useState<File[]>([]);
  const [name, setName] = useState("");
  const [stackAlong, setStackAlong] = useState<StackAlong>("z");
  const [axes, setAxes] = useState("");
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Bumped after an upload so the file input forgets its selection too.
  const [inputKey, setInputKey] = useState(0);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (files.length === 0) return;
    setError(null);
    setProgress(0);
    try {
      const sorted = [...files].sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
      const body = new Blob(
        uploadParts(sorted.map((f) => ({ name: f.name, size: f.size, body: f }))) as BlobPart[],
      );
      const q = new URLSearchParams({ name: name.trim() || defaultName(sorted), stackAlong });
      if (axes.trim()) q.set("axes", axes.trim());
      const job = await send(`/api/projects/${projectId}/uploads?${q}`, body, setProgress);
      onStarted(job);
      setFiles([]);
      setName("");
      setInputKey((k) => k + 1);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setProgress(null);
    }
  };

  return (
    <form onSubmit={onSubmit} className="form-stack" aria-labelledby="upload-heading">
      <h4 id="upload-heading">Upload from this computer</h4>
      <label className="field">
        <span className="field-label">Files (one image, or one file per slice / time step)</span>
        <input
          key={inputKey}
          type="file"
          multiple
          accept=".png,.tif,.tiff,.jpg,.jpeg,.h5,.hdf5,.npy"
          disabled={!canImport || progress !== null}
          onChange={(e) => {
            const list = [...(e.target.files ?? [])];
            setFiles(list);
            if (!name) setName(defaultName(list));
          }}
          data-testid="upload-files"
        />
      </label>
      <label className="field">
        <span className="field-label">Dataset name</span>
        <input
          type="text"
          value={name}
          onChange={(e) => setName(e.target.value)}
          disabled={!canImport}
          data-testid="upload-name"
        />
      </label>
      {files.length > 1 && (
        <fieldset className="field segmented-field">
          <legend className="field-label">Stack the files along</legend>
          <div className="segmented">
            {(["z", "t", "c"] as const).map((a) => (
              <label key={a} className={`segment${stackAlong === a ? " active" : ""}`}>
                <input
                  type="radio"
                  name="upload-stack-along"
                  value={a}
                  checked={stackAlong === a}
                  onChange={() => setStackAlong(a)}
                />
                {a === "z" ? "z (depth)" : a === "t" ? "t (time)" : "c (channels)"}
              </label>
            ))}
          </div>
        </fieldset>
      )}
      <label className="field">
        <span className="field-label">Axes (optional, e.g. zyx; leave empty to guess)</span>
        <input
          type="text"
          value={axes}
          onChange={(e) => setAxes(e.target.value)}
          pattern="[tzyxc]{2,5}"
          disabled={!canImport}
          data-testid="upload-axes"
        />
      </label>
      {progress !== null && <ProgressBar value={progress} label="Upload progress" testId="upload-progress" />}
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <button
        type="submit"
        className="btn btn-primary"
        disabled={!canImport || files.length === 0 || progress !== null}
        data-testid="upload-start"
      >
        {progress !== null
          ? "Uploading…"
          : `Upload ${files.length > 0 ? `${files.length} file${files.length > 1 ? "s" : ""}` : ""}`}
      </button>
    </form>
  );
}

"use client";
// The dimensions dialog of an import: what the service guessed (axes, shape, dtype) for the sources,
// the axes editable (ilastik's axis override, e.g. "zyx" for a guessed "tyx"), checked again on demand,
// and the dataset's name; Import starts the job.
import type { SourceProbe } from "@sylva/shared/api";
import { useEffect, useRef, useState } from "react";

const AXES_RE = /^[tzyxc]{2,5}$/;
const IMAGE_RE = /\.(png|jpe?g)$/i;

export interface ImportChoice {
  name: string;
  axes: string | undefined;
}

export function ImportDialog({
  probe,
  defaultName,
  busy,
  error,
  onRecheck,
  onImport,
  onClose,
}: {
  probe: SourceProbe;
  defaultName: string;
  busy: boolean;
  error: string | null;
  onRecheck: (axes: string) => void;
  onImport: (c: ImportChoice) => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [axes, setAxes] = useState(probe.axes);
  const [name, setName] = useState(defaultName);
  useEffect(() => setAxes(probe.axes), [probe.axes]);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const axesValid =
    AXES_RE.test(axes) && new Set(axes).size === axes.length && axes.includes("x") && axes.includes("y");
  const lengthOk = axes.length === probe.shape.length;
  const changed = axes !== probe.axes;
  // 2D images (and stacks of them) carry no axis metadata: their axes come from the shape.
  const guessed =
    probe.axesGuessed || probe.sources.length > 1 || probe.sources.every((s) => IMAGE_RE.test(s));
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="import-dialog-title"
      onClose={onClose}
      onCancel={onClose}
      data-testid="import-dialog"
    >
      <h2 id="import-dialog-title">Dataset dimensions</h2>
      <p className="muted">
        {probe.sources.length === 1
          ? probe.sources[0]
          : `${probe.sources.length} files, stacked in natural order`}
      </p>
      <table className="dims-table">
        <thead>
          <tr>
            <th scope="col">Axis</th>
            {[...probe.axes].map((a, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: axes are positional
              <th scope="col" key={i}>
                {a}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Size</th>
            {probe.shape.map((n, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: axes are positional
              <td key={i}>{n}</td>
            ))}
          </tr>
        </tbody>
      </table>
      <p>
        Data type <strong data-testid="import-dtype">{probe.dtype}</strong>
        <span data-testid="import-axes-origin">
          {guessed
            ? " · axes guessed from the shape; correct them if needed."
            : " · axes from the file's metadata."}
        </span>
      </p>
      <div className="form-stack">
        <label className="field">
          <span className="field-label">Axes (in the source's order)</span>
          <input
            value={axes}
            onChange={(e) => setAxes(e.target.value.toLowerCase().replace(/[^tzyxc]/g, ""))}
            maxLength={5}
            spellCheck={false}
            data-testid="import-axes"
            aria-invalid={!axesValid || !lengthOk}
          />
          <span className="field-help">
            Letters t, z, y, x, c; one per dimension ({probe.shape.length} here). Axes of length 1 other than
            y and x are dropped.
          </span>
        </label>
        {!lengthOk && (
          <p className="error-text">Give one letter for each of the {probe.shape.length} dimensions.</p>
        )}
        <label className="field">
          <span className="field-label">Dataset name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} data-testid="import-name" />
        </label>
        {error && (
          <p role="alert" className="error-text">
            {error}
          </p>
        )}
      </div>
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="btn"
          disabled={!changed || !axesValid || !lengthOk || busy}
          onClick={() => onRecheck(axes)}
        >
          Check again
        </button>
        <button
          type="button"
          className="btn btn-primary"
          disabled={!axesValid || !lengthOk || busy || name.trim() === ""}
          onClick={() =>
            onImport({ name: name.trim(), axes: changed || !probe.axesGuessed ? axes : undefined })
          }
          data-testid="import-confirm"
        >
          Import
        </button>
      </div>
    </dialog>
  );
}

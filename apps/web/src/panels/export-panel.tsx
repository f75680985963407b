"use client";
// Prediction Export (ilastik's applet): source, cutout, data type, renormalization, format and filename
// pattern (ilastik's placeholders), presets (the tutorial's Fiji recipe among them); "Export All" starts
// one job per dataset of the project, "Export" the open one; the jobs list shows progress and results.
import {
  type DatasetManifest,
  EXPORT_PRESETS,
  type ExportParamsInput,
  exportParamsSchema,
} from "@sylva/shared";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { asProjectId } from "../lib/ids";
import { useStore } from "../lib/store";
import { api, errorMessage } from "../lib/trpc";
import type { WorkspaceModel } from "../workspace/model";
import { ExportJobs } from "./export-jobs";
import {
  DTYPES,
  defaultFilename,
  EXPORT_SOURCES,
  type ExportSource,
  FORMAT_HINTS,
  FORMAT_LABELS,
  isSequence,
  PRESET_SHORT_LABELS,
  SERVICE_EXPORT_FORMATS,
  type ServiceExportFormat,
  SOURCE_LABELS,
} from "./export-options";

type Axis = "t" | "z" | "y" | "x" | "c";
type Cutout = Partial<Record<Axis, { start: string; stop: string }>>;

interface Form {
  source: ExportSource;
  format: ServiceExportFormat;
  dtype: string;
  renormalize: boolean;
  inMin: string;
  inMax: string;
  outMin: string;
  outMax: string;
  useCutout: boolean;
  cutout: Cutout;
  filename: string;
}

const INITIAL: Form = {
  source: "probabilities",
  format: "tiff-sequence",
  dtype: "",
  renormalize: false,
  inMin: "0",
  inMax: "1",
  outMin: "0",
  outMax: "255",
  useCutout: false,
  cutout: {},
  filename: defaultFilename("tiff-sequence"),
};

function toParams(form: Form, datasetId: string): ExportParamsInput {
  const params: ExportParamsInput = {
    datasetId: datasetId as ExportParamsInput["datasetId"],
    source: form.source,
    format: form.format,
  };
  if (form.dtype) params.dtype = form.dtype as ExportParamsInput["dtype"];
  if (form.renormalize)
    params.renormalize = {
      inMin: Number(form.inMin),
      inMax: Number(form.inMax),
      outMin: Number(form.outMin),
      outMax: Number(form.outMax),
    };
  if (form.useCutout) {
    const cutout: NonNullable<ExportParamsInput["cutout"]> = {};
    for (const [axis, r] of Object.entries(form.cutout) as [Axis, { start: string; stop: string }][]) {
      const range: { start?: number; stop?: number } = {};
      if (r.start.trim() !== "") range.start = Number(r.start);
      if (r.stop.trim() !== "") range.stop = Number(r.stop);
      if (range.start !== undefined || range.stop !== undefined) cutout[axis] = range;
    }
    if (Object.keys(cutout).length > 0) params.cutout = cutout;
  }
  if (form.format !== "ome-zarr" && form.filename.trim() !== "") params.filenameFormat = form.filename.trim();
  return params;
}

function firstProblem(form: Form, datasetId: string): string | null {
  const parsed = exportParamsSchema.safeParse(toParams(form, datasetId));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return issue ? `${issue.path.join(".") || "export"}: ${issue.message}` : "invalid export settings";
  }
  if (isSequence(form.format) && !form.filename.includes("{slice_index}"))
    return "a sequence writes one file per slice: the filename pattern needs {slice_index}";
  return null;
}

export function ExportPanel({
  model,
  projectId,
  dataset,
  datasets,
  onOpenDataset,
}: {
  model: WorkspaceModel;
  projectId: string;
  dataset: DatasetManifest | null;
  datasets: readonly DatasetManifest[];
  onOpenDataset: (id: string) => void;
}) {
  const canExport = useStore(model.access, (s) => s.canExport);
  const [form, setForm] = useState<Form>(INITIAL);
  const [preset, setPreset] = useState("");
  const [pollUntil, setPollUntil] = useState(0);
  const queryClient = useQueryClient();
  const set = (change: Partial<Form>) => setForm((f) => ({ ...f, ...change }));

  const create = useMutation({
    mutationFn: async (targets: readonly DatasetManifest[]) => {
      for (const d of targets)
        await api.exports.create.mutate({
          projectId: asProjectId(projectId),
          params: exportParamsSchema.parse(toParams(form, d.id)),
        });
    },
    onSuccess: () => {
      setPollUntil(Date.now() + 10_000);
      void queryClient.invalidateQueries({ queryKey: ["exports", projectId] });
    },
  });

  const applyPreset = (id: string) => {
    setPreset(id);
    const p = EXPORT_PRESETS.find((x) => x.id === id);
    if (!p) return;
    const format = (p.params.format ?? "ome-zarr") as ServiceExportFormat;
    const r = p.params.renormalize;
    setForm((f) => ({
      ...f,
      source: p.params.source,
      format,
      dtype: p.params.dtype ?? "",
      renormalize: r !== undefined,
      inMin: String(r?.inMin ?? f.inMin),
      inMax: String(r?.inMax ?? f.inMax),
      outMin: String(r?.outMin ?? f.outMin),
      outMax: String(r?.outMax ?? f.outMax),
      filename: p.params.filenameFormat ?? defaultFilename(format),
    }));
  };

  const setFormat = (format: ServiceExportFormat) =>
    setForm((f) => ({
      ...f,
      format,
      filename:
        f.filename === defaultFilename(f.format) || f.filename.trim() === ""
          ? defaultFilename(format)
          : f.filename,
    }));

  const axes = (dataset?.axes ?? "").split("") as Axis[];
  const presetInfo = EXPORT_PRESETS.find((p) => p.id === preset);
  const problem = dataset ? firstProblem(form, dataset.id) : "open a dataset first";

  return (
    <div className="panel-body">
      <section className="panel-section">
        <label className="field">
          <span className="field-label">Preset</span>
          <select value={preset} onChange={(e) => applyPreset(e.target.value)} data-testid="export-preset">
            <option value="">Custom settings</option>
            {EXPORT_PRESETS.map((p) => (
              <option key={p.id} value={p.id} title={p.label}>
                {PRESET_SHORT_LABELS[p.id] ?? p.label}
              </option>
            ))}
          </select>
          {presetInfo && <span className="field-help">{presetInfo.label}</span>}
        </label>
        <div className="form-grid">
          <label className="field">
            <span className="field-label">Source</span>
            <select
              value={form.source}
              onChange={(e) => set({ source: e.target.value as ExportSource })}
              data-testid="export-source"
            >
              {EXPORT_SOURCES.map((s) => (
                <option key={s} value={s}>
                  {SOURCE_LABELS[s]}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Format</span>
            <select
              value={form.format}
              onChange={(e) => setFormat(e.target.value as ServiceExportFormat)}
              data-testid="export-format"
            >
              {SERVICE_EXPORT_FORMATS.map((f) => (
                <option key={f} value={f} title={FORMAT_HINTS[f]}>
                  {FORMAT_LABELS[f]}
                </option>
              ))}
            </select>
            <span className="field-help">{FORMAT_HINTS[form.format]}</span>
          </label>
          <label className="field">
            <span className="field-label">Convert to data type</span>
            <select
              value={form.dtype}
              onChange={(e) => set({ dtype: e.target.value })}
              data-testid="export-dtype"
            >
              <option value="" title="Keep the result's own data type">
                Keep
              </option>
              {DTYPES.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
            {form.dtype === "" && <span className="field-help">The result&apos;s own type.</span>}
          </label>
        </div>
      </section>

      <section className="panel-section">
        <label className="toggle-row">
          <input
            type="checkbox"
            checked={form.renormalize}
            onChange={(e) => set({ renormalize: e.target.checked })}
            data-testid="export-renormalize"
          />
          <span>Renormalize [min, max] → [a, b]</span>
        </label>
        {form.renormalize && (
          <div className="form-grid form-grid-4">
            {(
              [
                ["inMin", "From min"],
                ["inMax", "From max"],
                ["outMin", "To a"],
                ["outMax", "To b"],
              ] as const
            ).map(([k, label]) => (
              <label key={k} className="field">
                <span className="field-label">{label}</span>
                <input
                  type="number"
                  step="any"
                  value={form[k]}
                  onChange={(e) => set({ [k]: e.target.value })}
                  data-testid={`export-${k}`}
                />
              </label>
            ))}
          </div>
        )}
        <label className="toggle-row">
          <input
            type="checkbox"
            checked={form.useCutout}
            onChange={(e) => set({ useCutout: e.target.checked })}
            data-testid="export-cutout"
          />
          <span>Export a cutout</span>
        </label>
        {form.useCutout && dataset && (
          <table className="cutout-table">
            <thead>
              <tr>
                <th scope="col">Axis</th>
                <th scope="col">Start</th>
                <th scope="col">Stop</th>
              </tr>
            </thead>
            <tbody>
              {axes.map((a, i) => {
                const r = form.cutout[a] ?? { start: "", stop: "" };
                const setR = (change: Partial<{ start: string; stop: string }>) =>
                  set({ cutout: { ...form.cutout, [a]: { ...r, ...change } } });
                return (
                  <tr key={a}>
                    <th scope="row">{a}</th>
                    <td>
                      <input
                        type="number"
                        min={0}
                        value={r.start}
                        placeholder="0"
                        onChange={(e) => setR({ start: e.target.value })}
                        aria-label={`Cutout start along ${a}`}
                      />
                    </td>
                    <td>
                      <input
                        type="number"
                        min={1}
                        value={r.stop}
                        placeholder={String(dataset.shape[i])}
                        onChange={(e) => setR({ stop: e.target.value })}
                        aria-label={`Cutout stop along ${a}`}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {form.format !== "ome-zarr" && (
          <label className="field">
            <span className="field-label">Filename pattern</span>
            <input
              value={form.filename}
              onChange={(e) => set({ filename: e.target.value })}
              spellCheck={false}
              data-testid="export-filename"
            />
            <span className="field-help">
              Placeholders: {"{nickname}"}, {"{result_type}"}, {"{dataset_dir}"}, {"{slice_index}"}{" "}
              (sequences).
            </span>
          </label>
        )}
      </section>

      {problem && dataset && (
        <p className="warning-text" role="alert">
          {problem}
        </p>
      )}
      {!canExport && <p className="muted">Your role in this project cannot export.</p>}
      {create.isError && (
        <p role="alert" className="error-text">
          {errorMessage(create.error)}
        </p>
      )}
      <div className="row-actions">
        <button
          type="button"
          className="btn btn-primary"
          disabled={!canExport || problem !== null || create.isPending || datasets.length === 0}
          onClick={() => create.mutate(datasets)}
          data-testid="export-all"
          title="One export job per dataset of the project"
        >
          Export All ({datasets.length})
        </button>
        <button
          type="button"
          className="btn"
          disabled={!canExport || problem !== null || create.isPending || !dataset}
          onClick={() => dataset && create.mutate([dataset])}
          data-testid="export-current"
          title={dataset ? `Export “${dataset.name}” only` : undefined}
        >
          Export this dataset
        </button>
      </div>

      <section className="panel-section" aria-labelledby="exports-heading">
        <h3 id="exports-heading">Exports</h3>
        <ExportJobs
          projectId={projectId}
          datasets={datasets}
          pollUntil={pollUntil}
          onOpenDataset={onOpenDataset}
        />
      </section>
    </div>
  );
}

"use client";
// Feature Selection (ilastik's applet): the matrix of the six features × scales (ilastik's seven plus
// custom ones). The project's selection is every checked feature at every checked scale, in 2D or 3D;
// cells show what is computed, greyed where ilastik does not allow the scale for the feature or the
// data is too small for it. Apply saves through features.set (which retrains). Each checked cell has a
// preview button (feature-preview-button.tsx) that shows that feature in the viewer.
import {
  DEFAULT_SCALES,
  FEATURES,
  type FeatureId,
  type FeatureSelectionInput,
  readFeatureSelection,
  scaleSchema,
} from "@sylva/shared";
import { useMutation, useQuery } from "@tanstack/react-query";
import { type FormEvent, useEffect, useMemo, useState } from "react";
import { asProjectId } from "../lib/ids";
import { useStore } from "../lib/store";
import { api, errorMessage } from "../lib/trpc";
import type { WorkspaceModel } from "../workspace/model";
import { FeaturePreviewButton } from "./feature-preview-button";
import { describeProblem, scaleProblem } from "./feature-validity";

function useSavedSelection(model: WorkspaceModel): FeatureSelectionInput {
  const doc = model.session.doc;
  const [sel, setSel] = useState(() => readFeatureSelection(doc));
  useEffect(() => {
    const settings = doc.getMap("settings");
    const update = () => setSel(readFeatureSelection(doc));
    settings.observe(update);
    update();
    return () => settings.unobserve(update);
  }, [doc]);
  return sel;
}

function sameSelection(a: FeatureSelectionInput, b: FeatureSelectionInput): boolean {
  const key = (s: FeatureSelectionInput) =>
    JSON.stringify([
      [...s.features].sort(),
      [...s.scales].sort((x, y) => x - y),
      s.in2d,
      [...(s.in2dScales ?? [])].sort((x, y) => x - y),
    ]);
  return key(a) === key(b);
}

export function FeatureSelectionPanel({
  model,
  projectId,
  dataset,
}: {
  model: WorkspaceModel;
  projectId: string;
  dataset: { name: string; axes: string; shape: number[] } | null;
}) {
  const saved = useSavedSelection(model);
  const canTrain = useStore(model.access, (s) => s.canTrain);
  const [draft, setDraft] = useState<FeatureSelectionInput>(saved);
  const [custom, setCustom] = useState<number[]>([]);
  const [newScale, setNewScale] = useState("");
  const [scaleError, setScaleError] = useState<string | null>(null);
  const datasets = useQuery({
    queryKey: ["datasets", projectId],
    queryFn: () => api.datasets.list.query({ projectId: asProjectId(projectId) }),
  });
  const all = datasets.data ?? (dataset ? [dataset] : []);
  useEffect(() => setDraft(saved), [saved]);
  const save = useMutation({
    mutationFn: (selection: FeatureSelectionInput) =>
      api.features.set.mutate({ projectId: asProjectId(projectId), selection }),
  });

  const scales = useMemo(
    () =>
      [...new Set([...DEFAULT_SCALES, ...saved.scales, ...draft.scales, ...custom])].sort((a, b) => a - b),
    [saved.scales, draft.scales, custom],
  );
  const is3d = all.some((d) => d.axes.includes("z"));
  /** Whether scale s is filtered in 2D: everything with "Compute in 2D", else ilastik's per-scale row. */
  const scaleIn2d = (d: FeatureSelectionInput, s: number) => d.in2d || (d.in2dScales ?? []).includes(s);
  const problems = new Map(scales.map((s) => [s, scaleProblem(s, all, scaleIn2d(draft, s))]));
  const selectedProblems = draft.scales.filter((s) => problems.get(s));
  const dirty = !sameSelection(draft, saved);
  const valid = draft.features.length > 0 && draft.scales.length > 0 && selectedProblems.length === 0;

  const toggleFeature = (id: FeatureId) =>
    setDraft((d) => ({
      ...d,
      features: d.features.includes(id) ? d.features.filter((f) => f !== id) : [...d.features, id],
    }));
  const toggleScale = (s: number) =>
    setDraft((d) => ({
      ...d,
      scales: d.scales.includes(s) ? d.scales.filter((x) => x !== s) : [...d.scales, s],
      in2dScales: (d.in2dScales ?? []).filter((x) => x !== s || !d.scales.includes(s)),
    }));
  const toggleScale2d = (s: number) =>
    setDraft((d) => {
      const now = d.in2dScales ?? [];
      return { ...d, in2dScales: now.includes(s) ? now.filter((x) => x !== s) : [...now, s] };
    });
  const selectAll = () =>
    setDraft((d) => ({
      ...d,
      features: FEATURES.map((f) => f.id),
      scales: scales.filter((s) => !scaleProblem(s, all, scaleIn2d(d, s))),
    }));
  const addScale = (e: FormEvent) => {
    e.preventDefault();
    const parsed = scaleSchema.safeParse(Number(newScale));
    if (newScale.trim() === "" || !parsed.success) {
      setScaleError(parsed.success ? "enter a scale" : (parsed.error.issues[0]?.message ?? "invalid scale"));
      return;
    }
    setScaleError(null);
    setCustom((c) => (c.includes(parsed.data) ? c : [...c, parsed.data]));
    setDraft((d) => (d.scales.includes(parsed.data) ? d : { ...d, scales: [...d.scales, parsed.data] }));
    setNewScale("");
  };

  return (
    <div className="panel-body">
      <p className="muted">
        Every checked feature is computed at every checked scale σ (pixels). Cells show the resulting
        channels.
      </p>
      <div className="matrix-wrap">
        <table className="feature-matrix" data-testid="feature-matrix">
          <caption className="sr-only">Features by scale</caption>
          <thead>
            <tr>
              <th scope="col">Feature</th>
              {scales.map((s) => {
                const problem = problems.get(s);
                return (
                  <th
                    scope="col"
                    key={s}
                    className={problem ? "invalid" : undefined}
                    title={problem ? describeProblem(s, problem) : undefined}
                  >
                    <label className="scale-head">
                      <span>{s}</span>
                      <input
                        type="checkbox"
                        checked={draft.scales.includes(s)}
                        onChange={() => toggleScale(s)}
                        disabled={!canTrain}
                        aria-label={`Scale σ ${s}${problem ? ` (${describeProblem(s, problem)})` : ""}`}
                        data-testid={`scale-${s}`}
                      />
                    </label>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {FEATURES.map((f) => (
              <tr key={f.id}>
                <th scope="row">
                  <label className="feature-head">
                    <input
                      type="checkbox"
                      checked={draft.features.includes(f.id)}
                      onChange={() => toggleFeature(f.id)}
                      disabled={!canTrain}
                      data-testid={`feature-${f.id}`}
                    />
                    <span>{f.name}</span>
                  </label>
                </th>
                {scales.map((s) => {
                  const allowed = s >= f.minScale && !problems.get(s);
                  const on = allowed && draft.features.includes(f.id) && draft.scales.includes(s);
                  return (
                    <td
                      key={s}
                      className={`cell${on ? " on" : ""}${allowed ? "" : " disabled"}`}
                      title={
                        s < f.minScale
                          ? `ilastik computes ${f.name} from σ ${f.minScale}`
                          : problems.get(s)
                            ? describeProblem(
                                s,
                                problems.get(s) as NonNullable<ReturnType<typeof scaleProblem>>,
                              )
                            : `${f.name}, σ ${s}${on ? ": computed" : ""}`
                      }
                      data-testid={`cell-${f.id}-${s}`}
                      data-state={on ? "on" : allowed ? "off" : "disabled"}
                    >
                      <span aria-hidden="true" className="cell-mark" />
                      <span className="sr-only">
                        {on ? "computed" : allowed ? "not computed" : "not available"}
                      </span>
                      {on && (
                        <FeaturePreviewButton
                          model={model}
                          feature={f.id}
                          scale={s}
                          in2d={scaleIn2d(draft, s)}
                        />
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
          {is3d && !draft.in2d && (
            <tfoot>
              <tr>
                <th scope="row" title="Filter this scale on each z-slice alone (ilastik's per-scale 2D)">
                  in 2D
                </th>
                {scales.map((s) => (
                  <td key={s}>
                    <input
                      type="checkbox"
                      checked={(draft.in2dScales ?? []).includes(s)}
                      onChange={() => toggleScale2d(s)}
                      disabled={!canTrain || !draft.scales.includes(s)}
                      aria-label={`Compute σ ${s} in 2D`}
                      data-testid={`scale-2d-${s}`}
                    />
                  </td>
                ))}
              </tr>
            </tfoot>
          )}
        </table>
      </div>
      <div className="row-actions">
        <button
          type="button"
          className="btn btn-small"
          onClick={selectAll}
          disabled={!canTrain}
          data-testid="features-select-all"
        >
          Select all
        </button>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => setDraft((d) => ({ ...d, features: [], scales: [], in2dScales: [] }))}
          disabled={!canTrain}
        >
          Clear
        </button>
        <form onSubmit={addScale} className="inline-form">
          <label className="field field-inline">
            <span className="field-label">Custom σ</span>
            <input
              type="number"
              step="any"
              min={0}
              value={newScale}
              onChange={(e) => setNewScale(e.target.value)}
              className="input-narrow"
              disabled={!canTrain}
              data-testid="custom-scale"
            />
          </label>
          <button type="submit" className="btn btn-small" disabled={!canTrain}>
            Add
          </button>
        </form>
      </div>
      {scaleError && <p className="error-text">{scaleError}</p>}
      {is3d && (
        <label className="toggle-row">
          <input
            type="checkbox"
            checked={draft.in2d}
            onChange={(e) => setDraft((d) => ({ ...d, in2d: e.target.checked }))}
            disabled={!canTrain}
            data-testid="features-in2d"
          />
          <span>
            Compute in 2D
            <span className="field-help">
              {" "}
              (filter each z-slice on its own, as ilastik&apos;s 2D checkbox)
            </span>
          </span>
        </label>
      )}
      {selectedProblems.length > 0 && (
        <p className="warning-text" role="alert">
          {selectedProblems
            .map((s) => describeProblem(s, problems.get(s) as NonNullable<ReturnType<typeof scaleProblem>>))
            .join("; ")}
          . Uncheck {selectedProblems.length > 1 ? "these scales" : "this scale"}
          {is3d && !draft.in2d ? " or compute in 2D" : ""}.
        </p>
      )}
      {save.isError && (
        <p role="alert" className="error-text">
          {errorMessage(save.error)}
        </p>
      )}
      <div className="row-actions">
        <button
          type="button"
          className="btn btn-primary"
          disabled={!canTrain || !dirty || !valid || save.isPending}
          onClick={() => save.mutate(draft)}
          data-testid="features-apply"
        >
          {save.isPending ? "Saving…" : "Apply"}
        </button>
        <button type="button" className="btn" disabled={!dirty} onClick={() => setDraft(saved)}>
          Revert
        </button>
        <span className="muted" data-testid="features-status">
          {dirty
            ? "Unsaved changes"
            : `${saved.features.length} features × ${saved.scales.length} scales${saved.in2d ? ", in 2D" : ""}`}
        </span>
      </div>
    </div>
  );
}

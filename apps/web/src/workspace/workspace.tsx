"use client";
// The project workspace: top bar (project, who is online, sign out), the left pane with ilastik's steps
// and the open step's panel, and the viewer in the main area.
import { can, type DatasetManifest } from "@sylva/shared";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { asProjectId, isValidProjectId } from "../lib/ids";
import { useMe } from "../lib/require-auth";
import { api, errorMessage } from "../lib/trpc";
import { ExportPanel } from "../panels/export-panel";
import { FeatureSelectionPanel } from "../panels/feature-selection";
import { InputDataPanel } from "../panels/input-data";
import { TrainingPanel } from "../panels/training";
import { Viewer } from "../viewer/viewer";
import { OnlineAvatars } from "./online-users";
import { useShortcuts } from "./shortcuts";
import { SignOutButton } from "./sign-out-button";
import { StepNav } from "./step-nav";
import { STEPS, type StepId } from "./steps";
import { installTestHooks } from "./test-hooks";
import { useAutoDisplayRange } from "./use-auto-display-range";
import { useWorkspaceModel } from "./use-workspace-model";

const datasetKey = (projectId: string) => `sylva.dataset.${projectId}`;

export function Workspace({ projectId }: { projectId: string }) {
  const me = useMe();
  const validId = isValidProjectId(projectId);
  // Connect only to a project the API confirmed (no sync room for a mistyped or foreign id).
  const confirmed = useQuery({
    enabled: validId,
    queryKey: ["project", projectId],
    queryFn: () => api.projects.get.query({ projectId: asProjectId(projectId) }),
  }).isSuccess;
  const model = useWorkspaceModel(projectId, confirmed ? me.data?.name : undefined);
  const project = useQuery({
    enabled: validId,
    queryKey: ["project", projectId],
    queryFn: () => api.projects.get.query({ projectId: asProjectId(projectId) }),
  });
  const datasets = useQuery({
    enabled: validId,
    queryKey: ["datasets", projectId],
    queryFn: () => api.datasets.list.query({ projectId: asProjectId(projectId) }),
  });
  const [step, setStep] = useState<StepId | null>(null);
  const [datasetId, setDatasetId] = useState<string | null>(null);

  // Default step and dataset once the list is known.
  useEffect(() => {
    if (!datasets.data) return;
    if (step === null) setStep(datasets.data.length === 0 ? "input" : "training");
    if (datasetId === null || !datasets.data.some((d) => d.id === datasetId)) {
      const saved = window.localStorage.getItem(datasetKey(projectId));
      const pick = datasets.data.find((d) => d.id === saved) ?? datasets.data[0];
      if (pick) setDatasetId(pick.id);
    }
  }, [datasets.data, datasetId, step, projectId]);

  const dataset: DatasetManifest | null = useMemo(
    () => datasets.data?.find((d) => d.id === datasetId) ?? null,
    [datasets.data, datasetId],
  );

  useEffect(() => {
    model?.openDataset(dataset);
  }, [model, dataset]);

  useEffect(() => {
    const role = project.data?.role;
    if (model && role)
      model.access.set({
        canLabel: can(role, "labels.write"),
        canImport: can(role, "datasets.import"),
        canExport: can(role, "export.run"),
        canTrain: can(role, "classifier.train"),
      });
  }, [model, project.data?.role]);

  useEffect(() => (model ? installTestHooks(model) : undefined), [model]);
  useEffect(() => {
    model?.mode.set({ painting: step === "training" });
  }, [model, step]);
  useShortcuts(model);
  useAutoDisplayRange(model);

  const selectDataset = (id: string) => {
    setDatasetId(id);
    window.localStorage.setItem(datasetKey(projectId), id);
  };

  if (!validId || project.isError)
    return (
      <div className="page-message">
        <h1>Project not available</h1>
        <p role="alert" className="error-text">
          {validId ? errorMessage(project.error) : `"${projectId}" is not a project id.`}
        </p>
        <Link href="/projects" className="btn">
          Back to projects
        </Link>
      </div>
    );

  const current = step ?? "input";
  return (
    <div className="workspace">
      <header className="topbar">
        <Link href="/projects" className="brand" aria-label="Sylva: all projects">
          <span className="brand-mark" aria-hidden="true" />
          Sylva
        </Link>
        <span className="topbar-sep" aria-hidden="true">
          /
        </span>
        <h1 className="project-title" data-testid="project-name">
          {project.data?.name ?? "…"}
        </h1>
        {project.data && <span className="badge">{project.data.role}</span>}
        <div className="topbar-spacer" />
        {model && <OnlineAvatars model={model} />}
        {me.data && <span className="muted topbar-user">{me.data.name}</span>}
        <SignOutButton />
      </header>
      <div className={`workspace-body${current === "features" ? " workspace-body-wide" : ""}`}>
        <aside className={`sidepane${current === "features" ? " sidepane-wide" : ""}`} aria-label="Workflow">
          <StepNav step={current} onStep={setStep} />
          <section
            className="panel"
            role="tabpanel"
            id={`step-panel-${current}`}
            aria-labelledby={`step-tab-${current}`}
            data-testid={`panel-${current}`}
          >
            <h2 className="panel-title">{STEPS.find((s) => s.id === current)?.label}</h2>
            {!model ? (
              <p className="muted">Connecting…</p>
            ) : current === "input" ? (
              <InputDataPanel
                model={model}
                projectId={projectId}
                datasets={datasets.data ?? []}
                loading={datasets.isPending}
                selected={datasetId}
                onSelect={selectDataset}
              />
            ) : current === "features" ? (
              <FeatureSelectionPanel model={model} projectId={projectId} dataset={dataset} />
            ) : current === "training" ? (
              <TrainingPanel model={model} projectId={projectId} />
            ) : (
              <ExportPanel
                model={model}
                projectId={projectId}
                dataset={dataset}
                datasets={datasets.data ?? []}
                onOpenDataset={selectDataset}
              />
            )}
          </section>
        </aside>
        <main className="main-area">
          {model ? <Viewer model={model} /> : <div className="viewer-empty">Connecting…</div>}
        </main>
      </div>
    </div>
  );
}

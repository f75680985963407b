"use client";
// Training (ilastik's applet): Live Update, the label classes, tools and brush, undo, "Suggest where to
// label", the classifier's state, the layers and who is online.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { asProjectId } from "../lib/ids";
import { useStore } from "../lib/store";
import { api } from "../lib/trpc";
import { showRegion } from "../viewer/navigation";
import { suggestRegion } from "../viewer/suggest";
import type { WorkspaceModel } from "../workspace/model";
import { BrushControls } from "./brush-controls";
import { ClassList } from "./class-list";
import { LayersPanel } from "./layers-panel";
import { OnlineList } from "./online-list";

function LiveUpdateToggle({ model }: { model: WorkspaceModel }) {
  const on = useStore(model.tools, (s) => s.liveUpdate);
  return (
    <label className={`live-toggle${on ? " on" : ""}`}>
      <input
        type="checkbox"
        role="switch"
        aria-checked={on}
        checked={on}
        onChange={(e) => model.tools.set({ liveUpdate: e.target.checked })}
        data-testid="live-update"
      />
      <span className="switch" aria-hidden="true" />
      <span>Live Update</span>
    </label>
  );
}

function TrainingStatus({ state }: { state: ReturnType<typeof useTrainingState>["data"] }) {
  if (!state) return null;
  const text =
    state.status === "training"
      ? "Training…"
      : state.status === "waiting-for-labels"
        ? "Waiting for labels in at least two classes"
        : state.status === "error"
          ? "Training failed"
          : state.generation > 0
            ? "Classifier up to date"
            : "Idle";
  return (
    <div className={`training-status status-${state.status}`} data-testid="training-status" role="status">
      <span>
        {text}
        {state.generation > 0 && <span className="dim"> · generation {state.generation}</span>}
        {state.lastTrainMs !== undefined && (
          <span className="dim"> · {(state.lastTrainMs / 1000).toFixed(1)} s</span>
        )}
      </span>
      {state.error && <span className="error-text small">{state.error}</span>}
    </div>
  );
}

function useTrainingState(model: WorkspaceModel, projectId: string) {
  const queryClient = useQueryClient();
  // The voxel counts per class follow the strokes: refetch soon after the open dataset's strokes change
  // (and once more, for the trainer's recount), not only at the next poll.
  const strokes = useStore(model.strokeVersion, (s) => s.n);
  useEffect(() => {
    if (strokes === 0) return;
    const refetch = () => void queryClient.invalidateQueries({ queryKey: ["training", projectId] });
    const timers = [setTimeout(refetch, 300), setTimeout(refetch, 1200)];
    return () => {
      for (const t of timers) clearTimeout(t);
    };
  }, [strokes, queryClient, projectId]);
  return useQuery({
    queryKey: ["training", projectId],
    queryFn: () => api.training.state.query({ projectId: asProjectId(projectId) }),
    refetchInterval: 2000,
  });
}

function SuggestButton({ onMessage, model }: { model: WorkspaceModel; onMessage: (m: string) => void }) {
  const onClick = () => {
    const s = model.viewer.get();
    if (!s.geometry) return;
    const best = suggestRegion(model.session.live, s.geometry, s.position.t);
    if (!best) {
      onMessage("No predictions yet: turn on Live Update and label at least two classes first.");
      return;
    }
    showRegion(model.viewer, best.plane, best.slice, best.rect);
    onMessage(
      `Showing the most uncertain region seen so far (${best.plane}, mean uncertainty ${(best.uncertainty * 100).toFixed(0)}%).`,
    );
  };
  return (
    <button type="button" className="btn btn-small" onClick={onClick} data-testid="suggest-label">
      Suggest where to label
    </button>
  );
}

export function TrainingPanel({ model, projectId }: { model: WorkspaceModel; projectId: string }) {
  const state = useTrainingState(model, projectId);
  const [message, setMessage] = useState<string | null>(null);
  return (
    <div className="panel-body">
      <section className="panel-section">
        <div className="section-row">
          <LiveUpdateToggle model={model} />
          <SuggestButton model={model} onMessage={setMessage} />
        </div>
        {message && (
          <p className="muted small" role="status">
            {message}
          </p>
        )}
        <TrainingStatus state={state.data} />
      </section>
      <section className="panel-section" aria-labelledby="labels-heading">
        <h3 id="labels-heading">Labels</h3>
        <ClassList model={model} samples={state.data?.samplesPerClass} />
      </section>
      <section className="panel-section" aria-labelledby="tools-heading">
        <h3 id="tools-heading">Tools</h3>
        <BrushControls model={model} />
      </section>
      <section className="panel-section" aria-labelledby="layers-heading">
        <h3 id="layers-heading">Layers</h3>
        <LayersPanel model={model} />
      </section>
      <section className="panel-section" aria-labelledby="online-heading">
        <h3 id="online-heading">Online</h3>
        <OnlineList model={model} />
      </section>
    </div>
  );
}

"use client";
// The left pane's step list: ilastik's applets in workflow order, as tabs.
import { STEPS, type StepId } from "./steps";

export function StepNav({ step, onStep }: { step: StepId; onStep: (s: StepId) => void }) {
  return (
    <div className="step-nav" role="tablist" aria-label="Workflow steps" aria-orientation="vertical">
      {STEPS.map((s, i) => (
        <button
          key={s.id}
          type="button"
          role="tab"
          id={`step-tab-${s.id}`}
          aria-selected={step === s.id}
          aria-controls={`step-panel-${s.id}`}
          className={`step-tab${step === s.id ? " active" : ""}`}
          onClick={() => onStep(s.id)}
          data-testid={`step-${s.id}`}
        >
          <span className="step-number" aria-hidden="true">
            {i + 1}
          </span>
          {s.label}
        </button>
      ))}
    </div>
  );
}

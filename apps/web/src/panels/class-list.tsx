"use client";
// Label classes (shared through the project document): select one to paint with (keys 1–9), rename,
// recolor, delete (a project keeps at least two), add (ilastik's next default color).
import { addClass, deleteClass, MIN_CLASSES, updateClass } from "@sylva/shared";
import { useState } from "react";
import { hexToRgb, rgbCss, rgbToHex } from "../lib/color";
import { useStore } from "../lib/store";
import type { WorkspaceModel } from "../workspace/model";

function ClassName({
  name,
  onRename,
  disabled,
}: {
  name: string;
  onRename: (n: string) => void;
  disabled: boolean;
}) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(name);
  if (!editing)
    return (
      <button
        type="button"
        className="class-name-btn"
        onClick={() => {
          setValue(name);
          setEditing(true);
        }}
        disabled={disabled}
        aria-label={`Rename ${name}`}
        title="Rename"
      >
        ✎
      </button>
    );
  const commit = () => {
    setEditing(false);
    if (value.trim() !== "" && value.trim() !== name) onRename(value.trim());
  };
  return (
    <input
      className="class-name-input"
      value={value}
      // biome-ignore lint/a11y/noAutofocus: the field appears because the user asked to rename
      autoFocus
      maxLength={100}
      onChange={(e) => setValue(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === "Enter") commit();
        if (e.key === "Escape") setEditing(false);
      }}
      aria-label={`New name for ${name}`}
      data-testid="class-rename-input"
    />
  );
}

export function ClassList({
  model,
  samples,
}: {
  model: WorkspaceModel;
  samples: Record<string, number> | undefined;
}) {
  const classes = useStore(model.classes, (s) => s.list);
  const selected = useStore(model.tools, (s) => (s.tool === "brush" ? s.classId : null));
  const canLabel = useStore(model.access, (s) => s.canLabel);
  const [error, setError] = useState<string | null>(null);
  const doc = model.session.doc;
  const run = (fn: () => void) => {
    try {
      fn();
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <div>
      <ul className="class-list" aria-label="Label classes" data-testid="class-list">
        {classes.map((c, i) => (
          <li key={c.id} className={`class-row${selected === c.id ? " selected" : ""}`}>
            <button
              type="button"
              className="class-select"
              onClick={() => model.tools.set({ classId: c.id, tool: "brush" })}
              aria-pressed={selected === c.id}
              data-testid={`class-${c.id}`}
              title={i < 9 ? `Paint ${c.name} (key ${i + 1})` : `Paint ${c.name}`}
            >
              <span className="class-swatch" style={{ background: rgbCss(c.color) }} aria-hidden="true" />
              <span className="class-label">{c.name}</span>
              {samples?.[String(c.id)] !== undefined && (
                <span className="class-count" title="Labeled voxels">
                  {samples[String(c.id)].toLocaleString()}
                </span>
              )}
              {i < 9 && <kbd className="kbd">{i + 1}</kbd>}
            </button>
            <ClassName
              name={c.name}
              disabled={!canLabel}
              onRename={(name) => run(() => updateClass(doc, c.id, { name }))}
            />
            <label className="color-pick" title="Change color">
              <span className="sr-only">Color of {c.name}</span>
              <input
                type="color"
                value={rgbToHex(c.color)}
                disabled={!canLabel}
                onChange={(e) => {
                  const rgb = hexToRgb(e.target.value);
                  if (rgb) run(() => updateClass(doc, c.id, { color: rgb }));
                }}
                data-testid={`class-color-${c.id}`}
              />
            </label>
            <button
              type="button"
              className="icon-btn"
              onClick={() => run(() => deleteClass(doc, c.id))}
              disabled={!canLabel || classes.length <= MIN_CLASSES}
              aria-label={`Delete ${c.name}`}
              title={
                classes.length <= MIN_CLASSES
                  ? `A project keeps at least ${MIN_CLASSES} classes`
                  : `Delete ${c.name}`
              }
              data-testid={`class-delete-${c.id}`}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
      <button
        type="button"
        className="btn btn-small"
        onClick={() =>
          run(() => {
            const id = addClass(doc);
            model.tools.set({ classId: id, tool: "brush" });
          })
        }
        disabled={!canLabel}
        data-testid="class-add"
      >
        + Add label
      </button>
    </div>
  );
}

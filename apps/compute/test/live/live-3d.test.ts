// LiveProject on a 3D volume (16 ISBI 2012 sections stacked along z): ilastik's refusal of a scale too
// large for the z axis is the status "error" with its message; "compute in 2D" then trains; 3D filters
// train on strokes painted in xy, xz and yz (samples read from the slab of the plane they were painted
// in) and serve xy and xz views, every labeled voxel one sample. And a 2D time series (t, y, x): strokes
// and views at the second time point.

import type { LabelBlock } from "@sylva/core";
import { rasterizeStrokes } from "@sylva/core";
import type { Stroke } from "@sylva/shared";
import { appendStroke, datasetIdSchema, readStrokes, setFeatureSelection } from "@sylva/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Env, Session } from "./helpers.js";
import {
  assemble,
  cleanup,
  createEnv,
  createSession,
  FeatureCache,
  importMemoryVolume,
  isbi,
  scribbleStrokes,
  xyView,
} from "./helpers.js";

const Z = 16;
const SIZE = 512;
let env: Env | undefined;
const sessions: Session[] = [];
let datasetId = "";

beforeAll(async () => {
  env = await createEnv();
  const data = new Uint8Array(Z * SIZE * SIZE);
  for (let z = 0; z < Z; z++) data.set(isbi("raw", z), z * SIZE * SIZE);
  datasetId = await importMemoryVolume(env.store, data, [Z, SIZE, SIZE], "zyx", "isbi-stack-16");
});
afterAll(() => cleanup(env, sessions));

/** Scribbles of section `z` on the xy plane at that slice. */
function xyStrokes(z: number, classId: 1 | 2, count: number, seed: number): Stroke[] {
  return scribbleStrokes(isbi("gt", z), SIZE, SIZE, { datasetId, classId, count, seed }).map((s) => ({
    ...s,
    slice: z,
  }));
}

describe("live project on a 3D ISBI stack", () => {
  it("reports a scale too large for z, trains in 2D, and with 3D filters on xy, xz and yz strokes", async () => {
    const s = createSession(env!, new FeatureCache({ maxBytes: 1024 * 2 ** 20 }));
    sessions.push(s);
    const xy = xyView(datasetId, SIZE, SIZE, { slice: 5, layers: ["segmentation"] });
    const xz = xyView(datasetId, SIZE, Z, { plane: "xz", slice: 200, layers: ["probabilities"] });
    s.project.setViews(
      new Map([
        ["xy", xy],
        ["xz", xz],
      ]),
    );
    for (const st of [...xyStrokes(5, 1, 6, 1), ...xyStrokes(5, 2, 6, 2)]) appendStroke(s.doc, st);
    await s.project.whenIdle();
    // The default selection filters in 3D up to σ = 10; σ = 5 already needs 19 slices.
    let state = s.project.state();
    expect(state.status).toBe("error");
    expect(state.error).toMatch(
      /scale 5\.0 is too large for the image: it needs 19 pixels along z, the image has 16/,
    );
    expect(s.frames.length).toBe(0);

    // Compute in 2D: every slice on its own.
    setFeatureSelection(s.doc, {
      features: ["GS", "LoG", "GGM", "DoG", "STE", "HoGE"],
      scales: [0.3, 0.7, 1, 1.6, 3.5, 5, 10],
      in2d: true,
    });
    await s.project.whenIdle();
    state = s.project.state();
    expect(state.status).toBe("idle");
    const seg = assemble(
      s.frames.filter((f) => f.id === "xy").map((f) => f.frame),
      "segmentation",
      state.generation,
      SIZE,
      SIZE,
    );
    expect(seg.covered).toBe(SIZE * SIZE);
    const gt = isbi("gt", 5);
    let ok = 0;
    for (let i = 0; i < gt.length; i++) if ((gt[i] === 0 ? 1 : 2) === seg.image[i]) ok++;
    expect(ok / gt.length).toBeGreaterThan(0.75);
    const xzFrames = s.frames.filter((f) => f.id === "xz" && f.frame.generation === state.generation);
    expect(xzFrames.map((f) => [f.frame.u0, f.frame.v0, f.frame.width, f.frame.height])).toEqual([
      [0, 0, 256, 16],
      [256, 0, 256, 16],
    ]);

    // 3D filters, with strokes in xz and yz too.
    setFeatureSelection(s.doc, {
      features: ["GS", "LoG", "GGM", "STE", "HoGE"],
      scales: [0.7, 1.6, 3.5],
      in2d: false,
    });
    const ds = datasetIdSchema.parse(datasetId);
    const more: Stroke[] = [
      {
        id: "xz1",
        datasetId: ds,
        author: "bob",
        classId: 1,
        plane: "xz",
        t: 0,
        slice: 200,
        diameter: 3,
        points: [
          [40, 2],
          [60, 12],
        ],
      },
      {
        id: "yz2",
        datasetId: ds,
        author: "bob",
        classId: 2,
        plane: "yz",
        t: 0,
        slice: 300,
        diameter: 5,
        points: [
          [100, 3],
          [130, 10],
        ],
      },
    ];
    for (const st of more) appendStroke(s.doc, st);
    await s.project.whenIdle();
    state = s.project.state();
    expect(state.status).toBe("idle");
    // Every labeled voxel is one sample: count them from scratch.
    const volume: LabelBlock = {
      data: new Uint8Array(Z * SIZE * SIZE),
      t: 0,
      origin: [0, 0, 0],
      shape: [Z, SIZE, SIZE],
    };
    rasterizeStrokes(volume, readStrokes(s.doc, datasetId));
    const counts = { "1": 0, "2": 0 };
    for (const v of volume.data) if (v === 1 || v === 2) counts[v === 1 ? "1" : "2"]++;
    expect(state.samplesPerClass).toEqual(counts);
    const last = s.frames.filter((f) => f.frame.generation === state.generation);
    expect(new Set(last.filter((f) => f.id === "xy").map((f) => `${f.frame.u0},${f.frame.v0}`)).size).toBe(4);
    expect(last.filter((f) => f.id === "xz").length).toBe(2);
    // The xz frames carry two probability planes of 256 × 16.
    expect(last.find((f) => f.id === "xz")!.frame.data.length).toBe(2 * 256 * 16);
  });

  it("trains and serves a time point of a 2D time series", async () => {
    const data = new Uint8Array(2 * SIZE * SIZE);
    data.set(isbi("raw", 8), 0);
    data.set(isbi("raw", 9), SIZE * SIZE);
    const series = await importMemoryVolume(env!.store, data, [2, SIZE, SIZE], "tyx", "isbi-08-09-time");
    const s = createSession(env!, new FeatureCache({ maxBytes: 1024 * 2 ** 20 }));
    sessions.push(s);
    const gt = isbi("gt", 9);
    for (const classId of [1, 2] as const)
      for (const st of scribbleStrokes(gt, SIZE, SIZE, {
        datasetId: series,
        classId,
        count: 6,
        seed: 90 + classId,
      }))
        appendStroke(s.doc, { ...st, t: 1 });
    s.project.setViews(new Map([["t1", xyView(series, SIZE, SIZE, { t: 1, layers: ["segmentation"] })]]));
    await s.project.whenIdle();
    const state = s.project.state();
    expect(state.status).toBe("idle");
    const labels: LabelBlock = {
      data: new Uint8Array(SIZE * SIZE),
      t: 1,
      origin: [0, 0, 0],
      shape: [1, SIZE, SIZE],
    };
    rasterizeStrokes(labels, readStrokes(s.doc, series));
    const n1 = labels.data.filter((v) => v === 1).length;
    expect(state.samplesPerClass).toEqual({ "1": n1, "2": labels.data.filter((v) => v === 2).length });
    expect(n1).toBeGreaterThan(0);
    const frames = s.frames.map((f) => f.frame);
    expect(frames.every((f) => f.t === 1)).toBe(true);
    const seg = assemble(frames, "segmentation", state.generation, SIZE, SIZE);
    expect(seg.covered).toBe(SIZE * SIZE);
    let ok = 0;
    for (let i = 0; i < gt.length; i++) if ((gt[i] === 0 ? 1 : 2) === seg.image[i]) ok++;
    expect(ok / gt.length).toBeGreaterThan(0.75);
  });
});

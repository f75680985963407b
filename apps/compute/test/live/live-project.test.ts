// LiveProject on a real ISBI 2012 section imported into a file-system store, with real worker pools:
// strokes in the document train ilastik's forest and the viewer's tiles agree better with the ground
// truth as strokes are added; generations only grow and no subscriber gets an older generation after a
// newer one (also while trainings supersede each other); tiles are cached per generation and shared by
// subscribers; moving the view cancels work; level-1 tiles are the mean of level 0; the feature cache
// stays within its byte bound.

import type { LabelBlock, Volume5 } from "@sylva/core";
import { gatherSamples, rasterizeStrokes, segmentation, selectionEntries, uncertainty } from "@sylva/core";
import {
  addClass,
  appendStroke,
  deleteClass,
  readFeatureSelection,
  readStrokes,
  setFeatureSelection,
} from "@sylva/shared";
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

const SIZE = 512;

let env: Env | undefined;
const sessions: Session[] = [];
let datasetId = "";
let gt: Uint8Array;

beforeAll(async () => {
  env = await createEnv();
  datasetId = await importMemoryVolume(env.store, isbi("raw", 0), [SIZE, SIZE], "yx", "isbi-00");
  gt = isbi("gt", 0);
});

afterAll(() => cleanup(env, sessions));

function session(
  ...args: Parameters<typeof createSession> extends [unknown, ...infer R] ? R : never
): Session {
  const s = createSession(env!, ...args);
  sessions.push(s);
  return s;
}

/** An ISBI section mirrored to size × size. */
function mirroredOf(data: Uint8Array, size: number): Uint8Array {
  const reflect = (i: number) => {
    const p = 2 * SIZE - 2;
    const m = i % p;
    return m < SIZE ? m : p - m;
  };
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) out[y * size + x] = data[reflect(y) * SIZE + reflect(x)];
  return out;
}
const mirrored = (size: number) => mirroredOf(isbi("raw", 0), size);

/** Fraction of pixels whose segmentation (class 1 membrane, 2 cell) matches the ground truth. */
function accuracy(seg: Uint8Array): number {
  let ok = 0;
  for (let i = 0; i < seg.length; i++) if ((gt[i] === 0 ? 1 : 2) === seg[i]) ok++;
  return ok / seg.length;
}

describe("live project on ISBI 2012 section 00", () => {
  it("agrees better with the ground truth as more strokes are painted", async () => {
    const s = session(new FeatureCache({ maxBytes: 512 * 2 ** 20 }));
    s.project.setViews(new Map([["alice", xyView(datasetId, SIZE, SIZE, { layers: ["segmentation"] })]]));
    const membrane = scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 1, count: 16, seed: 11 });
    const cells = scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 2, count: 16, seed: 12 });
    const scores: number[] = [];
    let painted = 0;
    for (const n of [1, 4, 16]) {
      for (let i = painted; i < n; i++) {
        appendStroke(s.doc, membrane[i]);
        appendStroke(s.doc, cells[i]);
      }
      painted = n;
      await s.project.whenIdle();
      const state = s.project.state();
      expect(state.status).toBe("idle");
      const { image, covered } = assemble(
        s.frames.map((f) => f.frame),
        "segmentation",
        state.generation,
        SIZE,
        SIZE,
      );
      expect(covered).toBe(SIZE * SIZE);
      scores.push(accuracy(image));
    }
    // More labels, a better classifier (with a margin well above run-to-run noise: the forest is seeded).
    expect(scores[1]).toBeGreaterThan(scores[0] + 0.01);
    expect(scores[2]).toBeGreaterThan(scores[1] + 0.01);
    expect(scores[2]).toBeGreaterThan(0.75);
  });

  it("publishes increasing generations and never an older one after a newer one, also when trainings supersede", async () => {
    // A short debounce, so that a stroke during a training starts the next one while it still runs.
    const s = session(new FeatureCache({ maxBytes: 512 * 2 ** 20 }), { debounceMs: 1 });
    const views = new Map([
      ["alice", xyView(datasetId, SIZE, SIZE, { layers: ["probabilities", "uncertainty"] })],
      ["bob", xyView(datasetId, 300, 300, { layers: ["segmentation"] })],
    ]);
    s.project.setViews(views);
    const seen: number[] = [];
    s.project.on("generation", (e) => seen.push(e.generation));
    const membrane = scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 1, count: 8, seed: 21 });
    const cells = scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 2, count: 8, seed: 22 });
    appendStroke(s.doc, membrane[0]);
    appendStroke(s.doc, cells[0]);
    await s.project.whenIdle();
    expect(seen).toEqual([1]);
    // Each pair: the second stroke arrives while the first one's training runs and supersedes it; then
    // a pause of 0–120 ms, so the next pair lands during training or while tiles stream.
    for (let i = 1; i < 8; i++) {
      appendStroke(s.doc, membrane[i]);
      while (s.project.state().status !== "training") await new Promise((r) => setTimeout(r, 1));
      appendStroke(s.doc, cells[i]);
      await new Promise((r) => setTimeout(r, (i * 37) % 120));
    }
    await s.project.whenIdle();
    const state = s.project.state();
    expect(state.status).toBe("idle");
    expect(s.generations.length).toBeGreaterThan(1);
    expect(s.generations).toEqual([...s.generations].sort((a, b) => a - b));
    expect(seen).toEqual([...new Set(seen)].sort((a, b) => a - b));
    expect(state.generation).toBe(seen.at(-1));
    // Some trainings were superseded (started but never published).
    expect(s.project.stats().trainings).toBeGreaterThan(seen.length);
    for (const id of views.keys()) {
      const gens = s.frames.filter((f) => f.id === id).map((f) => f.frame.generation);
      expect(gens.length).toBeGreaterThan(0);
      for (let i = 1; i < gens.length; i++) expect(gens[i]).toBeGreaterThanOrEqual(gens[i - 1]);
      expect(gens.at(-1)).toBe(state.generation);
    }
    // The last generation covers both views completely, each layer once per tile.
    const last = s.frames.filter((f) => f.frame.generation === state.generation);
    const alice = last.filter((f) => f.id === "alice").map((f) => f.frame);
    expect(alice.length).toBe(2 * 4);
    expect(assemble(alice, "uncertainty", state.generation, SIZE, SIZE).covered).toBe(SIZE * SIZE);
    const bob = last.filter((f) => f.id === "bob").map((f) => f.frame);
    expect(bob.every((f) => f.layer === "segmentation")).toBe(true);
    // bob's viewport (0..300) touches 4 tiles, his ring the rest of this small image: nothing more.
    expect(new Set(bob.map((f) => `${f.u0}/${f.v0}`)).size).toBe(4);
    expect(state.classIds).toEqual([1, 2]);
    expect(alice[0].classIds).toEqual([1, 2]);
    // Probabilities are round(255 p) per class: two planes summing to 255 ± 1.
    const p = alice.find((f) => f.layer === "probabilities")!;
    const n = p.width * p.height;
    for (let i = 0; i < n; i += 97) expect(Math.abs(p.data[i] + p.data[n + i] - 255)).toBeLessThanOrEqual(1);
  });

  it("serves seen tiles from the generation's cache: a second subscriber, and a view coming back", async () => {
    const s = session(new FeatureCache({ maxBytes: 512 * 2 ** 20 }), { ringWidth: 0 });
    appendStroke(s.doc, scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 1, count: 1, seed: 31 })[0]);
    appendStroke(s.doc, scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 2, count: 1, seed: 32 })[0]);
    const full = xyView(datasetId, SIZE, SIZE);
    s.project.setViews(new Map([["alice", full]]));
    await s.project.whenIdle();
    const before = s.project.stats().tiles;
    expect(before.tilesPredicted).toBe(4);
    s.project.setViews(
      new Map([
        ["alice", full],
        ["bob", full],
      ]),
    );
    await s.project.whenIdle();
    const afterBob = s.project.stats().tiles;
    expect(afterBob.tilesPredicted).toBe(4);
    expect(afterBob.framesFromCache - before.framesFromCache).toBe(4);
    expect(s.frames.filter((f) => f.id === "bob").length).toBe(4);
    // alice zooms into one corner tile, then back out: the other three come again, from the cache.
    s.project.setViews(
      new Map([
        ["alice", xyView(datasetId, 100, 100)],
        ["bob", full],
      ]),
    );
    await s.project.whenIdle();
    const aliceFrames = s.frames.filter((f) => f.id === "alice").length;
    s.project.setViews(
      new Map([
        ["alice", full],
        ["bob", full],
      ]),
    );
    await s.project.whenIdle();
    expect(s.frames.filter((f) => f.id === "alice").length - aliceFrames).toBe(3);
    expect(s.project.stats().tiles.tilesPredicted).toBe(4);
  });

  it("gives level-1 tiles as the mean of the level-0 probabilities", async () => {
    const s = session(new FeatureCache({ maxBytes: 512 * 2 ** 20 }));
    appendStroke(s.doc, scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 1, count: 1, seed: 41 })[0]);
    appendStroke(s.doc, scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 2, count: 1, seed: 42 })[0]);
    s.project.setViews(
      new Map([
        ["zero", xyView(datasetId, SIZE, SIZE)],
        ["one", xyView(datasetId, SIZE, SIZE, { level: 1 })],
      ]),
    );
    await s.project.whenIdle();
    const g = s.project.state().generation;
    const level1 = s.frames.filter((f) => f.id === "one").map((f) => f.frame);
    expect(level1.length).toBe(1);
    expect(level1[0]).toMatchObject({ level: 1, u0: 0, v0: 0, width: 256, height: 256, generation: g });
    // Level 0 was predicted once (4 tiles), shared by both views.
    expect(s.project.stats().tiles.tilesPredicted).toBe(4);
    const zero = assemble(
      s.frames.filter((f) => f.id === "zero").map((f) => f.frame),
      "probabilities",
      g,
      SIZE,
      SIZE,
    ).image;
    const one = level1[0].data;
    let worst = 0;
    for (let v = 0; v < 256; v++)
      for (let u = 0; u < 256; u++) {
        const i = 2 * v * SIZE + 2 * u;
        const mean = (zero[i] + zero[i + 1] + zero[i + SIZE] + zero[i + SIZE + 1]) / 4;
        worst = Math.max(worst, Math.abs(one[v * 256 + u] - mean));
      }
    // The level-0 frames are rounded to 1/255: their mean is within one step of the true mean's.
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("cancels the tiles of a view that moved away", async () => {
    const big = await importMemoryVolume(env!.store, mirrored(2048), [2048, 2048], "yx", "isbi-00-2048");
    const s = session(new FeatureCache({ maxBytes: 512 * 2 ** 20 }), { prefetch: false });
    // Strokes in the top-left 512² (the mirrored image's top-left quarter is section 00 itself).
    appendStroke(
      s.doc,
      scribbleStrokes(gt, SIZE, SIZE, { datasetId: big, classId: 1, count: 1, seed: 51 })[0],
    );
    appendStroke(
      s.doc,
      scribbleStrokes(gt, SIZE, SIZE, { datasetId: big, classId: 2, count: 1, seed: 52 })[0],
    );
    const small = xyView(big, 256, 256);
    s.project.setViews(new Map([["alice", small]]));
    await s.project.whenIdle();
    expect(s.project.state().status).toBe("idle");
    const start = s.project.stats().tiles;
    // The whole 2048² (64 tiles, most features not cached): move back as soon as one new tile is done.
    s.project.setViews(new Map([["alice", xyView(big, 2048, 2048)]]));
    while (s.project.stats().tiles.tilesPredicted === start.tilesPredicted)
      await new Promise((r) => setTimeout(r, 1));
    const moved = s.frames.length;
    s.project.setViews(new Map([["alice", small]]));
    await s.project.whenIdle();
    const end = s.project.stats().tiles;
    expect(end.tilesCancelled - start.tilesCancelled).toBeGreaterThan(0);
    expect(end.tilesPredicted - start.tilesPredicted).toBeLessThan(6);
    expect(end.featureTilesComputed - start.featureTilesComputed).toBeLessThan(6);
    // After the move only tiles of the small view and its ring arrive.
    for (const { frame } of s.frames.slice(moved)) expect(frame.u0 < 512 && frame.v0 < 512).toBe(true);
  });

  it("keeps the shared feature cache within its byte bound", async () => {
    const bound = 30 * 2 ** 20; // two 2D tiles of 49 channels (12.8 MB each)
    const cache = new FeatureCache({ maxBytes: bound });
    const s = session(cache);
    let peak = 0;
    appendStroke(s.doc, scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 1, count: 1, seed: 61 })[0]);
    appendStroke(s.doc, scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 2, count: 1, seed: 62 })[0]);
    s.project.setViews(new Map([["alice", xyView(datasetId, SIZE, SIZE, { layers: ["segmentation"] })]]));
    const timer = setInterval(() => {
      peak = Math.max(peak, cache.bytes);
    }, 1);
    await s.project.whenIdle();
    clearInterval(timer);
    expect(s.project.state().status).toBe("idle");
    const stats = cache.stats();
    expect(stats.maxBytes).toBe(bound);
    expect(peak).toBeLessThanOrEqual(bound);
    expect(stats.bytes).toBeLessThanOrEqual(bound);
    expect(stats.entries).toBeLessThanOrEqual(2);
    expect(stats.evictions).toBeGreaterThan(0);
    // Still every tile, and the same segmentation as with an unbounded cache.
    const g = s.project.state().generation;
    const small = assemble(
      s.frames.map((f) => f.frame),
      "segmentation",
      g,
      SIZE,
      SIZE,
    );
    expect(small.covered).toBe(SIZE * SIZE);
    const t = session(new FeatureCache({ maxBytes: 1024 * 2 ** 20 }));
    appendStroke(t.doc, scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 1, count: 1, seed: 61 })[0]);
    appendStroke(t.doc, scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 2, count: 1, seed: 62 })[0]);
    t.project.setViews(new Map([["alice", xyView(datasetId, SIZE, SIZE, { layers: ["segmentation"] })]]));
    await t.project.whenIdle();
    const large = assemble(
      t.frames.map((f) => f.frame),
      "segmentation",
      t.project.state().generation,
      SIZE,
      SIZE,
    );
    expect(Buffer.from(small.image).equals(Buffer.from(large.image))).toBe(true);
  });

  it("waits for labels of two classes, follows class deletion and feature selection changes", async () => {
    const s = session(new FeatureCache({ maxBytes: 512 * 2 ** 20 }));
    s.project.setViews(new Map([["alice", xyView(datasetId, SIZE, SIZE)]]));
    appendStroke(s.doc, scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 1, count: 1, seed: 71 })[0]);
    await s.project.whenIdle();
    expect(s.project.state().status).toBe("waiting-for-labels");
    expect(s.frames.length).toBe(0);
    // A third class, labeled: trains on classes 1 and 3; class 2 has no samples.
    expect(addClass(s.doc)).toBe(3);
    const third = {
      ...scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 2, count: 1, seed: 72 })[0],
      classId: 3,
    };
    appendStroke(s.doc, third);
    await s.project.whenIdle();
    let state = s.project.state();
    expect(state.status).toBe("idle");
    expect(state.classIds).toEqual([1, 2, 3]);
    expect(state.samplesPerClass["2"]).toBe(0);
    const frame = s.frames.at(-1)!.frame;
    expect(frame.classIds).toEqual([1, 2, 3]);
    const n = frame.width * frame.height;
    expect(frame.data.length).toBe(3 * n);
    expect(frame.data.subarray(n, 2 * n).every((v) => v === 0)).toBe(true);
    // Deleting class 3 takes its labels away: one labeled class is left.
    deleteClass(s.doc, 3);
    await s.project.whenIdle();
    state = s.project.state();
    expect(state.status).toBe("waiting-for-labels");
    expect(state.classIds).toEqual([1, 2]);
    // Class 2 labels, and a smaller feature selection: a new generation with 2 features a pixel.
    appendStroke(s.doc, { ...third, classId: 2, id: "class-2" });
    setFeatureSelection(s.doc, { features: ["GS"], scales: [1, 3.5], in2d: false });
    await s.project.whenIdle();
    state = s.project.state();
    expect(state.status).toBe("idle");
    expect(state.generation).toBeGreaterThan(frame.generation);
    expect(s.frames.at(-1)!.frame.generation).toBe(state.generation);
    expect(s.frames.at(-1)!.frame.classIds).toEqual([1, 2]);
  });

  it("equals the offline pipeline: whole-image features, samples in voxel order, ilastik's forest", async () => {
    const s = session(new FeatureCache({ maxBytes: 512 * 2 ** 20 }));
    const strokes = [
      ...scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 1, count: 4, seed: 81 }),
      ...scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 2, count: 4, seed: 82 }),
    ];
    for (const st of strokes) appendStroke(s.doc, st);
    s.project.setViews(
      new Map([
        [
          "alice",
          xyView(datasetId, SIZE, SIZE, { layers: ["probabilities", "uncertainty", "segmentation"] }),
        ],
      ]),
    );
    await s.project.whenIdle();
    const g = s.project.state().generation;
    const frames = s.frames.map((f) => f.frame);
    // Offline: the label image, features of the whole section, samples, the forest, probabilities.
    const labels: LabelBlock = {
      data: new Uint8Array(SIZE * SIZE),
      t: 0,
      origin: [0, 0, 0],
      shape: [1, SIZE, SIZE],
    };
    rasterizeStrokes(labels, readStrokes(s.doc, datasetId));
    const entries = selectionEntries(readFeatureSelection(s.doc));
    const image: Volume5 = { data: isbi("raw", 0), shape: [1, 1, SIZE, SIZE, 1], axes: "tzyxc" };
    const { features, plan } = await env!.featurePool.compute(image, entries);
    const labelVolume: Volume5 = { data: labels.data, shape: [1, 1, SIZE, SIZE, 1], axes: "tzyxc" };
    const region = { t0: 0, t1: 1, box: { z0: 0, z1: 1, y0: 0, y1: SIZE, x0: 0, x1: SIZE } };
    const samples = gatherSamples(features, plan.channelCount, labelVolume, region);
    expect(s.project.state().samplesPerClass).toEqual({
      "1": samples.labels.filter((l) => l === 1).length,
      "2": samples.labels.filter((l) => l === 2).length,
    });
    const forest = await env!.forestPool.train(samples.features, samples.labels, plan.channelCount);
    const probs = await env!.forestPool.predict(forest, features);
    const unc = uncertainty(probs, 2);
    const seg = segmentation(probs, 2);
    const p1 = assemble(frames, "probabilities", g, SIZE, SIZE, 0).image;
    const p2 = assemble(frames, "probabilities", g, SIZE, SIZE, 1).image;
    const u = assemble(frames, "uncertainty", g, SIZE, SIZE).image;
    const sg = assemble(frames, "segmentation", g, SIZE, SIZE).image;
    for (let i = 0; i < SIZE * SIZE; i++) {
      if (p1[i] !== Math.round(255 * probs[2 * i]) || p2[i] !== Math.round(255 * probs[2 * i + 1]))
        throw new Error(
          `pixel ${i}: probabilities ${p1[i]}, ${p2[i]}; offline ${probs[2 * i]}, ${probs[2 * i + 1]}`,
        );
      if (u[i] !== Math.round(255 * unc[i]))
        throw new Error(`pixel ${i}: uncertainty ${u[i]}, offline ${unc[i]}`);
      if (sg[i] !== seg[i]) throw new Error(`pixel ${i}: segmentation ${sg[i]}, offline ${seg[i]}`);
    }
  });
});

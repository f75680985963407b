// Block-shape sweep for the feature pool, not part of `npm run bench`: after building, run
//   node dist/bench/blocks.js [2d|3d|all] [rounds] [--single]
// in apps/compute. Prints, per block shape, the warm pool's time (and with --single the one-thread
// time) on the bench inputs; the figures behind `chooseBlockShape` in src/pool/features-pool.ts.

import path from "node:path";
import type { Shape3, Volume5 } from "@sylva/core";
import {
  computeFeatures,
  DEFAULT_SCALES,
  FEATURE_IDS,
  planFeatures,
  selectionEntries,
  WasmBackend,
} from "@sylva/core";
import { chooseBlockShape, FeaturePool } from "../pool/features-pool.js";
import { collectGarbage, median, mirroredSlice, sharedDir, syntheticVolume, timed } from "./inputs.js";

async function sweep(name: string, input: Volume5, shapes: Shape3[], runs: number, single: boolean) {
  const entries = selectionEntries({ features: [...FEATURE_IDS], scales: [...DEFAULT_SCALES], in2d: false });
  const pool = await FeaturePool.start();
  const backend = await WasmBackend.create();
  const plan = planFeatures(entries, input.shape);
  const out = new Float32Array(input.data.length * plan.channelCount);
  try {
    await pool.compute(input, entries); // warm-up: wasm memories grow, code gets optimized
    console.log(
      `${name}: ${pool.size} workers, default shape [${chooseBlockShape(plan, pool.size).join(", ")}]`,
    );
    // Rounds interleave the shapes, so that a slow spell of this (shared, virtual) machine hits all alike.
    const times = shapes.map(() => ({ pool: [] as number[], single: [] as number[] }));
    for (let r = 0; r < runs; r++)
      for (const [i, shape] of shapes.entries()) {
        collectGarbage();
        times[i].pool.push((await timed(() => pool.compute(input, entries, { blockShape: shape }))).seconds);
        if (single)
          times[i].single.push(
            (await timed(() => computeFeatures(backend, input, plan, { blockShape: shape, out }))).seconds,
          );
      }
    const fmt = (ts: number[]) =>
      ts.length ? `min ${Math.min(...ts).toFixed(3)} s, median ${median(ts).toFixed(3)} s` : "";
    for (const [i, shape] of shapes.entries()) {
      const blocks = shape.reduce((n, s, j) => n * Math.ceil(input.shape[j + 1] / s), 1);
      console.log(
        `  [${shape.join(", ").padEnd(14)}] ${String(blocks).padStart(4)} blocks  pool: ${fmt(times[i].pool)}${single ? `   1 thread: ${fmt(times[i].single)}` : ""}`,
      );
    }
  } finally {
    await pool.close();
  }
}

const which = process.argv[2] ?? "all";
const runs = Number(process.argv.slice(3).find((a) => /^\d+$/.test(a)) ?? 3);
const single = process.argv.includes("--single");
if (which === "all" || which === "2d") {
  const img = mirroredSlice(path.join(sharedDir(), "data/isbi2012/raw/00.png"), 1024);
  await sweep(
    "2D 1024²",
    img,
    [
      [1, 1024, 1024],
      [1, 512, 1024],
      [1, 256, 1024],
      [1, 128, 1024],
      [1, 64, 1024],
      [1, 1024, 128],
      [1, 512, 256],
      [1, 256, 512],
      [1, 256, 256],
      [1, 128, 128],
    ],
    runs,
    single,
  );
}
if (which === "all" || which === "3d") {
  const vol = syntheticVolume(128);
  await sweep(
    "3D 128³",
    vol,
    [
      [64, 128, 128],
      [32, 128, 128],
      [16, 128, 128],
      [32, 64, 128],
      [64, 64, 64],
      [32, 64, 64],
      [128, 32, 32],
      [64, 32, 64],
      [64, 32, 32],
      [128, 16, 16],
    ],
    runs,
    single,
  );
}

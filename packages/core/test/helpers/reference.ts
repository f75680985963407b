// Test helper: runs the ilastik reference (../shared/reference/ilastik_ref.py) through
// fixtures/reference_features.py and loads its input and features as typed arrays.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TypedArray } from "../../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "../../../..");
export const SHARED = resolve(REPO, "../shared");
export const REF_SCRIPT = join(SHARED, "reference/ilastik_ref.py");
const PYTHON = "/usr/bin/python3";

/** Whether the reference can run here (Debian python3 with vigra). In CI it must. */
export function referenceAvailable(): boolean {
  if (!existsSync(REF_SCRIPT) || !existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ["-c", "import vigra, h5py"]).status === 0;
}

export interface ReferenceRun {
  input: TypedArray;
  inputShape: number[];
  isStack: boolean;
  features: Float32Array;
  featureShape: number[];
  names: string[];
}

const ARRAYS: Record<string, new (b: ArrayBuffer) => TypedArray> = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

function load(file: string): ArrayBuffer {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Runs `ilastik_ref.py features SPEC …args` (SPEC "--make-h5 2ch|int16" makes a generated input). */
export function runReference(spec: string, args: string[] = []): ReferenceRun {
  const out = mkdtempSync(join(tmpdir(), "sylva-ref-"));
  const extra = spec.startsWith("--make-h5") ? spec.split(" ") : [spec];
  execFileSync(
    PYTHON,
    [join(here, "../fixtures/reference_features.py"), REF_SCRIPT, out, ...extra, ...args],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8"));
  const A = ARRAYS[meta.input.dtype];
  if (!A) throw new Error(`unexpected reference input dtype ${meta.input.dtype}`);
  return {
    input: new A(load(join(out, "input.bin"))),
    inputShape: meta.input.shape,
    isStack: meta.input.stack,
    features: new Float32Array(load(join(out, "features.bin"))),
    featureShape: meta.features.shape,
    names: meta.features.names,
  };
}

/** Per channel: max |ours − ref| divided by the reference channel's value range (max − min). */
export function relativeErrors(ours: Float32Array, ref: Float32Array, channels: number): number[] {
  const n = ref.length / channels;
  const errs: number[] = [];
  for (let c = 0; c < channels; c++) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    let err = 0;
    for (let i = 0; i < n; i++) {
      const r = ref[i * channels + c];
      if (r < lo) lo = r;
      if (r > hi) hi = r;
      const e = Math.abs(ours[i * channels + c] - r);
      if (!(e <= err)) err = e; // NaN-safe: a NaN error wins
    }
    errs.push(hi > lo ? err / (hi - lo) : err);
  }
  return errs;
}

// Blockwise computation gives the same numbers as whole-volume computation, for odd block shapes, in 2D,
// 3D, "compute in 2D", several channels and time points; and the two backends agree.

import { describe, expect, it } from "vitest";
import type { Shape3, TypedArray, Volume5 } from "../src/index.js";
import {
  computeFeatures,
  DEFAULT_SCALES,
  FEATURE_IDS,
  InvalidScaleError,
  JsBackend,
  planFeatures,
  selectionEntries,
  WasmBackend,
} from "../src/index.js";

/** Deterministic test volume: smooth blobs plus hash noise. */
function volume(shape: Volume5["shape"], make: (n: number) => TypedArray): Volume5 {
  const [T, Z, Y, X, C] = shape;
  const data = make(T * Z * Y * X * C);
  let i = 0;
  for (let t = 0; t < T; t++)
    for (let z = 0; z < Z; z++)
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++)
          for (let c = 0; c < C; c++) {
            const h = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
            const v =
              100 +
              60 * Math.sin(x / 5 + c) * Math.cos(y / 7 - t) +
              30 * Math.sin(z / 3) +
              20 * (h - Math.floor(h));
            data[i++] = v;
          }
  return { data, shape, axes: "tzyxc" };
}

function identical(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) diff++;
  return diff;
}

describe("blockwise equals whole", () => {
  const cases: {
    name: string;
    shape: Volume5["shape"];
    in2d: boolean;
    scales: number[];
    blocks: Shape3[];
    make: (n: number) => TypedArray;
  }[] = [
    {
      name: "2D uint8, all scales",
      shape: [1, 1, 83, 97, 1],
      in2d: false,
      scales: [...DEFAULT_SCALES],
      blocks: [
        [1, 13, 29],
        [1, 83, 7],
        [1, 40, 97],
      ],
      make: (n) => new Uint8Array(n),
    },
    {
      name: "3D float32",
      shape: [1, 19, 23, 29, 1],
      in2d: false,
      scales: [0.7, 1.6, 3.5],
      blocks: [
        [5, 7, 11],
        [19, 3, 29],
        [2, 23, 13],
      ],
      make: (n) => new Float32Array(n),
    },
    {
      name: "3D compute-in-2D, 2 channels, uint16",
      shape: [1, 7, 41, 37, 2],
      in2d: true,
      scales: [0.3, 1.0, 5.0],
      blocks: [
        [3, 11, 9],
        [7, 41, 5],
      ],
      make: (n) => new Uint16Array(n),
    },
    {
      name: "2D time series, float64",
      shape: [3, 1, 31, 33, 1],
      in2d: false,
      scales: [0.7, 1.6],
      blocks: [[1, 5, 6]],
      make: (n) => new Float64Array(n),
    },
    {
      name: "3D uint32",
      shape: [1, 9, 17, 19, 1],
      in2d: false,
      scales: [0.7, 1.0],
      blocks: [[4, 6, 7]],
      make: (n) => new Uint32Array(n),
    },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const vol = volume(c.shape, c.make);
      const plan = planFeatures(
        selectionEntries({ features: [...FEATURE_IDS], scales: c.scales, in2d: c.in2d }),
        vol.shape,
      );
      const wasm = await WasmBackend.create();
      const whole = computeFeatures(wasm, vol, plan, { blockShape: [c.shape[1], c.shape[2], c.shape[3]] });
      expect(whole.some((v) => Number.isNaN(v))).toBe(false);
      for (const b of c.blocks)
        expect(identical(computeFeatures(wasm, vol, plan, { blockShape: b }), whole)).toBe(0);
      // The plain TypeScript backend follows the same arithmetic; only libm differences in the 3x3
      // eigenvalue trigonometry may move a last float bit.
      const js = computeFeatures(new JsBackend(), vol, plan, { blockShape: c.blocks[0] });
      let worst = 0;
      for (let i = 0; i < js.length; i++)
        worst = Math.max(worst, Math.abs(js[i] - whole[i]) / (1 + Math.abs(whole[i])));
      expect(worst).toBeLessThan(1e-5);
    });
});

describe("ilastik's validity rule for scales", () => {
  it("refuses a scale too large for an axis, naming scale and axis", () => {
    const entries = selectionEntries({ features: ["GS"], scales: [3.5], in2d: false });
    expect(() => planFeatures(entries, [1, 10, 512, 512, 1])).toThrow(InvalidScaleError);
    expect(() => planFeatures(entries, [1, 10, 512, 512, 1])).toThrow(
      "scale 3.5 is too large for the image: it needs 14 pixels along z, the image has 10",
    );
    expect(() =>
      planFeatures(selectionEntries({ features: ["GS"], scales: [10], in2d: true }), [1, 10, 512, 30, 1]),
    ).toThrow(/along x, the image has 30/);
    // In 2D the z axis is not filtered, so ten slices are enough.
    expect(
      planFeatures(selectionEntries({ features: ["GS"], scales: [3.5], in2d: true }), [1, 10, 512, 512, 1])
        .channelCount,
    ).toBe(1);
  });

  it("drops scales below a feature's minimum as ilastik does (GS from 0.3, others from 0.7)", () => {
    const plan = planFeatures(
      selectionEntries({ features: [...FEATURE_IDS], scales: [...DEFAULT_SCALES], in2d: false }),
      [1, 1, 64, 64, 1],
    );
    expect(plan.channelCount).toBe(49);
    const plan3 = planFeatures(
      selectionEntries({ features: [...FEATURE_IDS], scales: [...DEFAULT_SCALES], in2d: false }),
      [1, 64, 64, 64, 1],
    );
    expect(plan3.channelCount).toBe(61);
  });
});

describe("JsBackend memory", () => {
  it("grows to any size (its float64 view needs a multiple of 8 bytes)", () => {
    const js = new JsBackend();
    for (const bytes of [70_001, 123_457, 1_000_003]) {
      js.ensure(bytes);
      expect(js.memory().byteLength).toBeGreaterThanOrEqual(bytes);
      expect(js.memory().byteLength % 8).toBe(0);
    }
  });
});

describe("regions", () => {
  it("a region's features equal the same crop of the whole volume's", async () => {
    const vol = volume([2, 11, 27, 31, 1], (n) => new Uint8Array(n));
    const plan = planFeatures(
      selectionEntries({ features: [...FEATURE_IDS], scales: [0.7, 1.6], in2d: false }),
      vol.shape,
    );
    const wasm = await WasmBackend.create();
    const whole = computeFeatures(wasm, vol, plan);
    const region = { t0: 1, t1: 2, box: { z0: 3, z1: 9, y0: 5, y1: 20, x0: 0, x1: 13 } };
    const part = computeFeatures(wasm, vol, plan, { region, blockShape: [4, 7, 5] });
    const C = plan.channelCount;
    let diff = 0;
    let i = 0;
    for (let z = 3; z < 9; z++)
      for (let y = 5; y < 20; y++)
        for (let x = 0; x < 13; x++)
          for (let c = 0; c < C; c++)
            if (!Object.is(part[i++], whole[(((1 * 11 + z) * 27 + y) * 31 + x) * C + c])) diff++;
    expect(i).toBe(part.length);
    expect(diff).toBe(0);
  });
});

// Importing the real data (the 30-slice ISBI stack, ilastik's test volumes) into both store backends:
// the datasets are published with the right axes and pyramid, and any region read back (through zarrita
// on the store) equals the source, voxel for voxel.

import { readFileSync } from "node:fs";
import type { Volume } from "@sylva/core";
import { permuteAxes, pyramidLevels, readHdf5 } from "@sylva/core";
import type { DatasetManifest } from "@sylva/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATOR_ACCESS } from "../../src/datasets/access.js";
import { listDatasets } from "../../src/datasets/catalog.js";
import { importVolume } from "../../src/datasets/import.js";
import { openDataset } from "../../src/datasets/open.js";
import { openImportSource } from "../../src/datasets/sources.js";
import { ISBI_RAW, isbiStack, MITOCHECK, rng, T5 } from "../helpers/data.js";
import type { TestStore } from "../helpers/stores.js";
import { allKeys, BACKENDS } from "../helpers/stores.js";

async function importSpecs(
  t: TestStore,
  specs: string[],
  name: string,
  axes?: string,
): Promise<DatasetManifest> {
  const source = await openImportSource(specs, { access: OPERATOR_ACCESS, axes });
  try {
    return await importVolume(t.store, {
      reader: source.reader,
      name,
      sources: source.sources,
      resumeKey: source.fingerprint,
    });
  } finally {
    await source.close();
  }
}

/** Checks `count` random regions of the dataset's level 0 against `expected` (axes already in NGFF order). */
async function expectRegionsEqual(t: TestStore, id: string, expected: Volume, count: number, seed: number) {
  const level = await (await openDataset(t.store, id)).level(0);
  expect(level.shape).toEqual(expected.shape);
  const r = rng(seed);
  const regions = [{ start: expected.shape.map(() => 0), stop: [...expected.shape] }];
  for (let k = 0; k < count; k++) {
    const start = expected.shape.map((s) => r(s));
    const stop = start.map((s, i) => s + 1 + r(expected.shape[i] - s));
    regions.push({ start, stop });
  }
  for (const region of regions) {
    const got = await level.read(region);
    const want = cropTo(expected, region.start, region.stop);
    expect(got.shape).toEqual(want.shape);
    expect(
      Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(
        Buffer.from(want.data.buffer, want.data.byteOffset, want.data.byteLength),
      ),
    ).toBe(true);
  }
}

function cropTo(v: Volume, start: number[], stop: number[]): Volume {
  const shape = start.map((s, i) => stop[i] - s);
  const C = v.data.constructor as new (n: number) => typeof v.data;
  const out = new C(shape.reduce((a, b) => a * b, 1));
  const strides = v.shape.map((_, i) => v.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  let o = 0;
  const idx = shape.map(() => 0);
  for (let n = 0; n < out.length; n++) {
    let s = 0;
    for (let i = 0; i < shape.length; i++) s += (start[i] + idx[i]) * strides[i];
    out[o++] = v.data[s];
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return { data: out, shape, axes: v.axes };
}

describe.each(BACKENDS)("import real data into the %s store", (_name, make) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await make();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it("imports the 30 ISBI PNGs as a z-stack; regions read back equal the PNGs", async () => {
    const manifest = await importSpecs(t, [ISBI_RAW], "ISBI 2012");
    expect(manifest.axes).toBe("zyx");
    expect(manifest.shape).toEqual([30, 512, 512]);
    expect(manifest.dtype).toBe("uint8");
    expect(manifest.sources).toHaveLength(30);
    expect(manifest.sources[2].endsWith("02.png")).toBe(true);
    expect(manifest.levels.map((l) => l.shape)).toEqual(
      pyramidLevels("zyx", [30, 512, 512]).map((l) => l.shape),
    );
    expect(manifest.levels[0].chunks).toEqual([30, 64, 64]);
    await expectRegionsEqual(t, manifest.id, await isbiStack(), 25, 1);
    const { datasets } = await listDatasets(t.store);
    expect(datasets.map((d) => d.id)).toContain(manifest.id);
    // Nothing is left of the import's bookkeeping once it is published.
    expect(await allKeys(t.store, "catalog/imports/")).toEqual([]);
  });

  it("imports ilastik's mitocheck volume (t, x, y, z, c with axistags) as t, y, x", async () => {
    const manifest = await importSpecs(t, [`${MITOCHECK}/exported_data`], "mitocheck");
    const source = await readHdf5(new Uint8Array(readFileSync(MITOCHECK)), "exported_data");
    expect(source.axes).toBe("txyzc");
    expect(manifest.axes).toBe("tyx");
    expect(manifest.shape).toEqual([9, 105, 99]);
    expect(manifest.sourceAxes).toBe("txyzc");
    const squeezed: Volume = { data: source.data, shape: source.shape.slice(0, 3), axes: "txy" };
    await expectRegionsEqual(t, manifest.id, permuteAxes(squeezed, "tyx"), 25, 2);
  });

  it("imports the float32 time series of pc-oc-133 (t, y, x, c)", async () => {
    const manifest = await importSpecs(t, [`${T5}/data`], "5t2d1c");
    const source = await readHdf5(new Uint8Array(readFileSync(T5)), "data");
    expect(manifest.axes).toBe("tyx");
    expect(manifest.dtype).toBe("float32");
    expect(manifest.shape).toEqual([5, 33, 77]);
    await expectRegionsEqual(t, manifest.id, { data: source.data, shape: [5, 33, 77], axes: "tyx" }, 15, 3);
  });

  it("reads the stack as a 3D volume when told its axes: 5 time points become z", async () => {
    const manifest = await importSpecs(t, [`${T5}/data`], "5t2d1c as z", "zyxc");
    expect(manifest.axes).toBe("zyx");
    expect(manifest.shape).toEqual([5, 33, 77]);
  });
});

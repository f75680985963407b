// Export jobs with files, end to end over the service: a small synthetic EM stack, strokes painted into
// the project document through its sync room, then exports through the API — the Fiji preset (uint8,
// 0–1 → 0–255, TIFF sequence), HDF5 probabilities, labels as npy, a PNG sequence of the segmentation
// with a cutout and a filename pattern, features, OME-Zarr uncertainty — each downloaded as a ZIP and
// read back by Python (zipfile, tifffile, h5py, numpy, Pillow) and compared with each other, with the
// rasterized strokes and with the ground truth. Plus: failures leave nothing in the store, the download
// route's refusals, and the file writer's own checks (size limit, preflight before any pixel work).

import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { LabelBlock, Volume, VolumeReader } from "@sylva/core";
import { memoryReader, rasterizeStrokes, roundHalfEven } from "@sylva/core";
import {
  type DatasetId,
  EXPORT_PRESETS,
  type ExportParamsInput,
  exportJobIdSchema,
  exportParamsSchema,
  type ProjectId,
  type Stroke,
  strokesArray,
} from "@sylva/shared";
import type { AppRouter, ExportJob } from "@sylva/shared/api";
import { createTRPCClient, httpLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "../../src/auth/token.js";
import { scribbleStrokes } from "../../src/bench/live.js";
import { importVolume } from "../../src/datasets/import.js";
import { openDataset } from "../../src/datasets/open.js";
import { syntheticEm, TRUTH } from "../../src/demo/synthetic-em.js";
import { type SylvaServer, startSylvaServer } from "../../src/server/app.js";
import { writeFileExport } from "../../src/server/export-files.js";
import { readExportManifest } from "../../src/server/export-manifest.js";
import { zipLayout } from "../../src/server/zip.js";
import type { BlobStore } from "../../src/storage/blob-store.js";
import { FsBlobStore } from "../../src/storage/fs-store.js";
import { silentLogger } from "../../src/sync/index.js";
import { type ReadFile, readExportZip } from "./read-export.js";

const SECRET = "exports-test-secret-0123456789-abcdefgh";
const [Z, Y, X] = [12, 96, 128];
const NAME = "cells";

type Api = ReturnType<typeof createTRPCClient<AppRouter>>;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 240_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The archive of a job's files, assembled the way the download route streams it. */
async function zipOf(store: BlobStore, jobId: string): Promise<Uint8Array> {
  const manifest = await readExportManifest(store, jobId);
  if (!manifest) throw new Error(`no manifest for ${jobId}`);
  const layout = zipLayout(manifest.files);
  const chunks: Uint8Array[] = [];
  for (const p of layout.parts)
    chunks.push(
      p.kind === "bytes" ? p.bytes : ((await store.get(manifest.files[p.entry].key)) ?? new Uint8Array()),
    );
  return Buffer.concat(chunks);
}

describe("export jobs with files", () => {
  let dir: string;
  let server: SylvaServer;
  let projectId: ProjectId;
  let datasetId: DatasetId;
  let truth: Uint8Array;
  const strokes: Stroke[] = [];
  const token = (user: string) => issueToken(Buffer.from(SECRET), user);
  const api = (user = "alice"): Api =>
    createTRPCClient<AppRouter>({
      links: [httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token(user)}` } })],
    });

  const runExport = async (params: Omit<ExportParamsInput, "datasetId">): Promise<ExportJob> => {
    const job = await api().exports.create.mutate({
      projectId,
      params: { datasetId, ...params },
    });
    return until(`export ${job.id}`, async () => {
      const j = await api().exports.get.query({ projectId, jobId: exportJobIdSchema.parse(job.id) });
      return j.status === "done" || j.status === "failed" ? j : undefined;
    });
  };
  const download = async (job: ExportJob): Promise<ReadFile[]> => {
    expect(job.status, job.error).toBe("done");
    const res = await fetch(`${server.url}${job.downloadUrl}`, {
      headers: { authorization: `Bearer ${token("alice")}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Number(res.headers.get("content-length"))).toBe(bytes.length);
    return readExportZip(bytes);
  };

  let probabilities: ReadFile;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sylva-exports-"));
    server = await startSylvaServer({
      port: 0,
      workers: 2,
      logger: silentLogger,
      env: { SYLVA_DATA_DIR: path.join(dir, "data"), SYLVA_SECRET: SECRET },
    });
    for (const name of ["alice", "bob"]) await server.db.users.add(name);
    const em = syntheticEm({ shape: [Z, Y, X], seed: 7, cellSize: 32, truth: true });
    truth = em.truth ?? new Uint8Array();
    const manifest = await importVolume(server.store, {
      reader: memoryReader(em.volume, "synthetic"),
      name: NAME,
      sources: ["synthetic"],
      resumeKey: createHash("sha256").update("exports-test").digest("hex"),
    });
    datasetId = manifest.id;
    const alice = api();
    projectId = (await alice.projects.create.mutate({ name: "Exports" })).id;
    await alice.datasets.attach.mutate({ projectId, datasetId });
    await alice.features.set.mutate({
      projectId,
      selection: { features: ["GS", "LoG", "GGM", "STE"], scales: [0.7, 1.6], in2d: false },
    });
    // Strokes along membranes (class 1) and through cells (class 2) on two slices.
    for (const z of [3, 8]) {
      const slice = truth.subarray(z * Y * X, (z + 1) * Y * X);
      const gt = slice.map((v) => (v === TRUTH.membrane ? 0 : 255));
      for (const classId of [1, 2] as const)
        for (const s of scribbleStrokes(gt, X, Y, {
          datasetId,
          classId,
          count: 3,
          seed: z * 10 + classId,
          length: 30,
        }))
          strokes.push({ ...s, id: `${s.id}-z${z}`, slice: z, author: "alice" });
    }
    await server.sync.rooms.change(projectId, (doc) => strokesArray(doc, datasetId).push(strokes));
  });

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("HDF5 probabilities: float32 (z, y, x, c) with ilastik's axistags, separating membranes from cells", async () => {
    const job = await runExport({ source: "probabilities", format: "hdf5" });
    expect(job.resultKey).toBe(`exports/${job.id}/`);
    expect(job.downloadUrl).toBe(`/api/projects/${projectId}/exports/${job.id}/download`);
    expect(job.progress).toBe(1);
    const files = await download(job);
    expect(files.map((f) => f.name)).toEqual([`${NAME}_Probabilities.h5`]);
    probabilities = files[0];
    expect(probabilities).toMatchObject({ shape: [Z, Y, X, 2], dtype: "float32" });
    expect(String(probabilities.attrs.axistags)).toMatch(/"key": "z"[\s\S]*"key": "c"/);
    const p = probabilities.values;
    let right = 0;
    for (let i = 0; i < Z * Y * X; i++) {
      expect(Math.abs(p[2 * i] + p[2 * i + 1] - 1)).toBeLessThan(1e-5);
      const membrane = p[2 * i] > p[2 * i + 1];
      if (membrane === (truth[i] === TRUTH.membrane)) right++;
    }
    console.log(
      `probabilities: argmax agrees with the ground truth on ${((100 * right) / (Z * Y * X)).toFixed(1)}%`,
    );
    expect(right / (Z * Y * X)).toBeGreaterThan(0.85);
  });

  it("the Fiji preset: 8-bit TIFF slices, 0–1 → 0–255, consistent with the probabilities", async () => {
    const preset = EXPORT_PRESETS.find((x) => x.id === "fiji");
    if (!preset) throw new Error("no Fiji preset");
    const files = await download(await runExport(preset.params));
    expect(files.map((f) => f.name)).toEqual(
      Array.from({ length: Z }, (_, z) => `${NAME}_Probabilities_${String(z).padStart(2, "0")}.tiff`),
    );
    const p = probabilities.values;
    let worst = 0;
    for (const [z, f] of files.entries()) {
      expect(f).toMatchObject({ shape: [Y, X, 2], dtype: "uint8" });
      for (let i = 0; i < f.values.length; i++) {
        const v = f.values[i];
        expect(v >= 0 && v <= 255).toBe(true);
        worst = Math.max(worst, Math.abs(v - roundHalfEven(p[z * Y * X * 2 + i] * 255)));
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it("labels as npy equal the strokes rasterized in document order", async () => {
    const files = await download(await runExport({ source: "labels", format: "npy" }));
    expect(files.map((f) => f.name)).toEqual([`${NAME}_Labels.npy`]);
    expect(files[0]).toMatchObject({ shape: [Z, Y, X, 1], dtype: "uint8" });
    const block: LabelBlock = { data: new Uint8Array(Z * Y * X), t: 0, origin: [0, 0, 0], shape: [Z, Y, X] };
    rasterizeStrokes(block, strokes);
    expect(block.data.some((v) => v === 1) && block.data.some((v) => v === 2)).toBe(true);
    expect(Buffer.compare(Buffer.from(Uint8Array.from(files[0].values)), Buffer.from(block.data))).toBe(0);
  });

  it("a PNG sequence of the segmentation, cut out, named by a pattern with ilastik's placeholders", async () => {
    const files = await download(
      await runExport({
        source: "simple-segmentation",
        format: "png-sequence",
        cutout: { z: { start: 3, stop: 6 }, x: { start: 10, stop: 74 } },
        filenameFormat: "seg/{nickname}-z{slice_index}-x{x_start}",
      }),
    );
    expect(files.map((f) => f.name)).toEqual([3, 4, 5].map((z) => `seg/${NAME}-z${z}-x10.png`));
    const p = probabilities.values;
    for (const [k, f] of files.entries()) {
      expect(f).toMatchObject({ shape: [Y, 64], dtype: "uint8" });
      const z = 3 + k;
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < 64; x++) {
          const i = (z * Y + y) * X + x + 10;
          expect(f.values[y * 64 + x]).toBe(p[2 * i] >= p[2 * i + 1] ? 1 : 2);
        }
    }
  });

  it("features as HDF5: the selected channels of the cutout", async () => {
    const files = await download(
      await runExport({ source: "features", format: "hdf5", cutout: { z: { start: 0, stop: 2 } } }),
    );
    // GS, LoG, GGM one channel each and STE three, at two scales, in 3D.
    expect(files[0]).toMatchObject({ name: `${NAME}_Features.h5`, shape: [2, Y, X, 12], dtype: "float32" });
  });

  it("OME-Zarr uncertainty, renormalized to uint8: a new dataset of the project, nothing to download", async () => {
    const job = await runExport({
      source: "uncertainty",
      format: "ome-zarr",
      dtype: "uint8",
      renormalize: { inMin: 0, inMax: 1, outMin: 0, outMax: 255 },
    });
    expect(job.status, job.error).toBe("done");
    expect(job.downloadUrl).toBeUndefined();
    const dataset = (await api().datasets.list.query({ projectId })).find((d) => d.prefix === job.resultKey);
    expect(dataset).toMatchObject({ axes: "zyx", shape: [Z, Y, X], dtype: "uint8" });
    const level0 = await (await openDataset(server.store, dataset?.id ?? "")).level(0);
    const u = (await level0.read({ start: [0, 0, 0], stop: [Z, Y, X] })).data;
    const p = probabilities.values;
    for (let i = 0; i < Z * Y * X; i += 7) {
      const expected = 255 * (1 - Math.abs(p[2 * i] - p[2 * i + 1]));
      expect(Math.abs(u[i] - expected)).toBeLessThanOrEqual(1);
    }
    const res = await fetch(`${server.url}/api/projects/${projectId}/exports/${job.id}/download`, {
      headers: { authorization: `Bearer ${token("alice")}` },
    });
    expect(res.status).toBe(404);
  });

  it("a failed export says why and leaves nothing in the store", async () => {
    const job = await runExport({ source: "probabilities", format: "png-sequence" });
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(/png-sequence holds uint8 or uint16/);
    expect(job.downloadUrl).toBeUndefined();
    const left: string[] = [];
    for await (const key of server.store.list(`exports/${job.id}/`)) left.push(key);
    expect(left).toEqual([]);
    const tiff = await runExport({ source: "probabilities", format: "tiff" });
    expect(tiff.error).toMatch(/tiff holds one 2D image/);
  });

  it("the download route: a token in the header or the query, a role in the project, a finished file job", async () => {
    const job = (await api().exports.list.query({ projectId })).find(
      (j) => j.status === "done" && j.downloadUrl,
    );
    if (!job?.downloadUrl) throw new Error("no finished file export");
    const get = (p: string, init?: RequestInit) => fetch(`${server.url}${p}`, init);
    expect((await get(job.downloadUrl)).status).toBe(401);
    expect((await get(`${job.downloadUrl}?token=${token("alice")}`)).status).toBe(200);
    expect((await get(`${job.downloadUrl}?token=${token("bob")}`)).status).toBe(404);
    const head = await get(`${job.downloadUrl}?token=${token("alice")}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-disposition")).toMatch(/^attachment; filename="cells_/);
    expect((await get(`${job.downloadUrl}?token=${token("alice")}`, { method: "POST" })).status).toBe(405);
    const other = `/api/projects/${projectId}/exports/ex_zzzzzzzzzzzz/download?token=${token("alice")}`;
    expect((await get(other)).status).toBe(404);
    expect(
      (await get(`/api/projects/${projectId}/exports/nope/download?token=${token("alice")}`)).status,
    ).toBe(400);
  });
});

describe("writeFileExport", () => {
  let dir: string;
  let store: FsBlobStore;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sylva-export-files-"));
    store = new FsBlobStore(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A float32 "tzyx" volume (value = index) whose reads are counted. */
  const counted = (shape: number[]): { reader: VolumeReader; reads: () => number } => {
    const n = shape.reduce((a, b) => a * b, 1);
    const volume: Volume = { data: Float32Array.from({ length: n }, (_, i) => i / n), shape, axes: "tzyx" };
    const inner = memoryReader(volume, "counted");
    let reads = 0;
    return {
      reader: {
        ...inner,
        read: (r) => {
          reads++;
          return inner.read(r);
        },
      },
      reads: () => reads,
    };
  };
  const params = (p: Omit<ExportParamsInput, "datasetId">) =>
    exportParamsSchema.parse({ datasetId: "ds_aaaaaaaaaaaa", ...p });

  it("checks the options and the size limit before reading a single voxel", async () => {
    const c = counted([3, 4, 16, 16]);
    const run = (p: Omit<ExportParamsInput, "datasetId">, maxFileBytes?: number) =>
      writeFileExport({
        store,
        jobId: "ex_aaaaaaaaaaaa",
        reader: c.reader,
        params: params(p),
        nickname: "v",
        maxFileBytes,
      });
    await expect(run({ source: "probabilities", format: "multipage-tiff" })).rejects.toThrow(
      /multipage-tiff holds one 3D stack/,
    );
    await expect(run({ source: "probabilities", format: "hdf5" }, 4000)).rejects.toThrow(
      /would hold 12\.0 KiB \(3072 values\), more than the 3\.9 KiB/,
    );
    await expect(run({ source: "probabilities", format: "npy", filenameFormat: "../x" })).rejects.toThrow(
      /relative paths without "\.\."/,
    );
    expect(c.reads()).toBe(0);
  });

  it("a TIFF sequence over time: one multipage file per time point, numbered from the cutout", async () => {
    const c = counted([3, 4, 16, 16]);
    const manifest = await writeFileExport({
      store,
      jobId: "ex_bbbbbbbbbbbb",
      reader: c.reader,
      params: params({ source: "probabilities", format: "tiff-sequence", cutout: { t: { start: 1 } } }),
      nickname: "v",
    });
    expect(manifest.files.map((f) => f.name)).toEqual(["v_Probabilities_1.tiff", "v_Probabilities_2.tiff"]);
    const files = await readExportZip(await zipOf(store, "ex_bbbbbbbbbbbb"));
    for (const [k, f] of files.entries()) {
      expect(f).toMatchObject({ shape: [4, 16, 16], dtype: "float32" });
      const t = k + 1;
      for (let i = 0; i < f.values.length; i += 37) expect(f.values[i]).toBeCloseTo((t * 1024 + i) / 3072, 6);
    }
  });
});

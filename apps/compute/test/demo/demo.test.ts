// The first-run demo: the synthetic EM volume (its statistics, determinism, speed), ensureDemo through
// the service (admin, a fresh token each start, the Demo project with its dataset, classes and features;
// idempotent), and what a new user gets from it: a LiveProject on the real worker pools, trained from a
// few strokes on one slice, predicts membranes, cytoplasm and mitochondria of the whole viewed slice.

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { appendStroke, datasetIdSchema, type Stroke, type TileFrame, type View } from "@sylva/shared";
import type { AppRouter } from "@sylva/shared/api";
import { createTRPCClient, httpLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { verifyToken } from "../../src/auth/token.js";
import { scribbleStrokes } from "../../src/bench/live.js";
import { listDatasets } from "../../src/datasets/catalog.js";
import { DEMO_DATASET_NAME, ensureDemoDataset } from "../../src/demo/demo-dataset.js";
import { applyDemoDoc, DEMO_CLASSES, DEMO_FEATURES } from "../../src/demo/ensure-demo.js";
import { signInUrl } from "../../src/demo/sign-in.js";
import { DEMO_SHAPE, syntheticEm, TRUTH } from "../../src/demo/synthetic-em.js";
import { FeatureCache } from "../../src/live/feature-cache.js";
import { LiveProject } from "../../src/live/live-project.js";
import { FeaturePool } from "../../src/pool/features-pool.js";
import { ForestPool } from "../../src/pool/forest-pool.js";
import { startSylvaServer } from "../../src/server/app.js";
import { FsBlobStore } from "../../src/storage/fs-store.js";
import { silentLogger } from "../../src/sync/index.js";

const [, Yn, X] = DEMO_SHAPE;

describe("the synthetic EM volume", () => {
  it("has cells with dark membranes, darker mitochondria, noise; fast and deterministic", () => {
    const t0 = performance.now();
    const { volume, truth } = syntheticEm({ truth: true });
    const seconds = (performance.now() - t0) / 1000;
    expect(volume.shape).toEqual([48, 384, 384]);
    expect(volume.axes).toBe("zyx");
    expect(volume.data).toBeInstanceOf(Uint8Array);
    if (!truth) throw new Error("no truth");
    const n = volume.data.length;
    const stats = new Map<number, { count: number; sum: number; sq: number }>();
    for (let i = 0; i < n; i++) {
      const s = stats.get(truth[i]) ?? { count: 0, sum: 0, sq: 0 };
      s.count++;
      s.sum += volume.data[i];
      s.sq += volume.data[i] ** 2;
      stats.set(truth[i], s);
    }
    const of = (k: number) => {
      const s = stats.get(k) ?? { count: 0, sum: 0, sq: 0 };
      const mean = s.sum / s.count;
      return { fraction: s.count / n, mean, sd: Math.sqrt(s.sq / s.count - mean * mean) };
    };
    const membrane = of(TRUTH.membrane);
    const cytoplasm = of(TRUTH.cytoplasm);
    const mito = of(TRUTH.mitochondrion);
    console.log(
      `synthetic EM in ${seconds.toFixed(2)} s: membrane ${(100 * membrane.fraction).toFixed(1)}% (mean ${membrane.mean.toFixed(0)}), cytoplasm ${(100 * cytoplasm.fraction).toFixed(1)}% (mean ${cytoplasm.mean.toFixed(0)} ± ${cytoplasm.sd.toFixed(0)}), mitochondria ${(100 * mito.fraction).toFixed(1)}% (mean ${mito.mean.toFixed(0)})`,
    );
    expect(membrane.fraction).toBeGreaterThan(0.08);
    expect(membrane.fraction).toBeLessThan(0.2);
    expect(mito.fraction).toBeGreaterThan(0.008);
    expect(membrane.mean).toBeLessThan(mito.mean - 10);
    expect(mito.mean).toBeLessThan(cytoplasm.mean - 40);
    expect(cytoplasm.sd).toBeGreaterThan(10); // noise, per-cell brightness and the smooth variation
    expect(cytoplasm.sd).toBeLessThan(30);
    expect(seconds).toBeLessThan(10);

    const again = syntheticEm();
    expect(Buffer.compare(Buffer.from(again.volume.data), Buffer.from(volume.data))).toBe(0);
    const other = syntheticEm({ seed: 1 });
    expect(Buffer.compare(Buffer.from(other.volume.data), Buffer.from(volume.data))).not.toBe(0);
  });
});

describe("ensureDemo through the service", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sylva-demo-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const start = (data: string, demo: boolean) =>
    startSylvaServer({
      port: 0,
      workers: 1,
      logger: silentLogger,
      demo,
      env: { SYLVA_DATA_DIR: path.join(dir, data) },
    });

  it("creates admin and the Demo project once, and a fresh sign-in token on every start", async () => {
    const first = await start("a", true);
    const tokens: string[] = [];
    try {
      const demo = first.demo;
      if (!demo?.user) throw new Error("no demo user");
      expect(demo.user).toMatchObject({ name: "admin", created: true });
      expect(demo.project.created).toBe(true);
      tokens.push(demo.user.token);
      expect(signInUrl(first.url, demo.user.token)).toMatch(/^http:\/\/localhost:\d+\/signin#token=sylva1\./);
      const api = createTRPCClient<AppRouter>({
        links: [
          httpLink({ url: `${first.url}/trpc`, headers: { authorization: `Bearer ${demo.user.token}` } }),
        ],
      });
      expect(await api.me.query()).toEqual({ name: "admin" });
      const projects = await api.projects.list.query();
      expect(projects.map((p) => [p.name, p.role])).toEqual([["Demo", "owner"]]);
      const projectId = projects[0].id;
      const datasets = await api.datasets.list.query({ projectId });
      expect(datasets.map((d) => [d.name, d.axes, d.shape, d.dtype])).toEqual([
        [DEMO_DATASET_NAME, "zyx", [48, 384, 384], "uint8"],
      ]);
      expect((await api.classes.list.query({ projectId })).map((c) => c.name)).toEqual(
        DEMO_CLASSES.map((c) => c.name),
      );
      expect(await api.features.get.query({ projectId })).toEqual(DEMO_FEATURES);
    } finally {
      await first.close();
    }

    const second = await start("a", true);
    try {
      const demo = second.demo;
      expect(demo?.user).toMatchObject({ name: "admin", created: false });
      expect(demo?.project.created).toBe(false);
      tokens.push(demo?.user?.token ?? "");
      expect(new Set(tokens).size).toBe(2);
      expect((await second.db.users.list()).map((u) => [u.name, u.siteRole])).toEqual([["admin", "owner"]]);
      expect((await second.db.projects.list()).map((p) => p.name)).toEqual(["Demo"]);
      expect((await listDatasets(second.store)).datasets).toHaveLength(1);
    } finally {
      await second.close();
    }
    // Both tokens were signed with the deployment's secret (kept in the data folder).
    const secret = Buffer.from((await readFile(path.join(dir, "a", "secret.key"), "utf8")).trim(), "utf8");
    for (const t of tokens) expect(verifyToken(secret, t).sub).toBe("admin");
  });

  it("leaves an operator's users alone: no admin, no link, the Demo project still there", async () => {
    const plain = await start("b", false);
    await plain.db.users.add("alice", "owner");
    expect(plain.demo).toBeUndefined();
    await plain.close();
    const demo = await start("b", true);
    try {
      expect(demo.demo?.user).toBeUndefined();
      expect(demo.demo?.project.created).toBe(true);
      expect((await demo.db.users.list()).map((u) => u.name)).toEqual(["alice"]);
      expect((await demo.db.projects.listForUser("alice")).map((p) => p.name)).toEqual(["Demo"]);
    } finally {
      await demo.close();
    }
  });
});

/** Strokes a new user might paint on slice `z`: along membranes, through cytoplasm, dots in mitochondria. */
function demoStrokes(truth: Uint8Array, z: number, datasetId: string): Stroke[] {
  const slice = truth.subarray(z * Yn * X, (z + 1) * Yn * X);
  const membraneGt = slice.map((v) => (v === TRUTH.membrane ? 0 : 255));
  const cytoplasmGt = slice.map((v) => (v === TRUTH.cytoplasm ? 255 : 0));
  const onSlice = (s: Stroke): Stroke => ({ ...s, slice: z });
  const strokes = [
    ...scribbleStrokes(membraneGt, X, Yn, { datasetId, classId: 1, count: 3, seed: 1 }).map(onSlice),
    ...scribbleStrokes(cytoplasmGt, X, Yn, { datasetId, classId: 2, count: 3, seed: 2 }).map(onSlice),
  ];
  const dots: [number, number][] = [];
  for (let y = 3; y < Yn - 3 && dots.length < 3; y++)
    for (let x = 3; x < X - 3 && dots.length < 3; x++) {
      let inside = true;
      for (let d = -3; d <= 3 && inside; d++)
        if (slice[(y + d) * X + x] !== TRUTH.mitochondrion || slice[y * X + x + d] !== TRUTH.mitochondrion)
          inside = false;
      if (inside && dots.every(([u, v]) => Math.hypot(u - x, v - y) > 30)) dots.push([x, y]);
    }
  for (const [i, p] of dots.entries())
    strokes.push({
      id: `mito-${i}`,
      datasetId: datasetIdSchema.parse(datasetId),
      author: "demo-test",
      classId: 3,
      plane: "xy",
      t: 0,
      slice: z,
      diameter: 5,
      points: [p],
    });
  return strokes;
}

describe("the demo's live prediction", () => {
  let dir: string;
  let featurePool: FeaturePool;
  let forestPool: ForestPool;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sylva-demo-live-"));
    [featurePool, forestPool] = await Promise.all([
      FeaturePool.start({ workers: 2 }),
      ForestPool.start({ workers: 2 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([featurePool?.close(), forestPool?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it("a few strokes on one slice: the whole 384² view predicted within seconds, structures separated", async () => {
    const store = new FsBlobStore(path.join(dir, "store"));
    const t0 = performance.now();
    const { manifest, created } = await ensureDemoDataset(store);
    const setupSeconds = (performance.now() - t0) / 1000;
    expect(created).toBe(true);
    expect((await ensureDemoDataset(store)).created).toBe(false);
    const { truth } = syntheticEm({ truth: true });
    if (!truth) throw new Error("no truth");
    const z = 24;
    const strokes = demoStrokes(truth, z, manifest.id);
    expect(strokes.filter((s) => s.classId === 3)).toHaveLength(3);

    const doc = new Y.Doc();
    applyDemoDoc(doc);
    const frames: TileFrame[] = [];
    let generation = 0;
    const project = new LiveProject({
      projectId: "demo",
      doc,
      store,
      featurePool,
      forestPool,
      featureCache: new FeatureCache(),
      nextGeneration: async () => ++generation,
      sink: (_id, frame) => frames.push(frame),
    });
    try {
      const view: View = {
        datasetId: datasetIdSchema.parse(manifest.id),
        plane: "xy",
        t: 0,
        slice: z,
        level: 0,
        viewport: { u0: 0, v0: 0, u1: X, v1: Yn },
        layers: ["probabilities"],
      };
      project.setViews(new Map([["viewer", view]]));
      const t1 = performance.now();
      doc.transact(() => {
        for (const s of strokes) appendStroke(doc, s);
      });
      const tiles = new Map<string, TileFrame>();
      while (tiles.size < 4) {
        if (project.state().status === "error") throw new Error(project.state().error);
        if (performance.now() - t1 > 120_000) throw new Error("no prediction within 2 minutes");
        for (const f of frames.splice(0))
          if (f.layer === "probabilities" && f.generation >= 1) tiles.set(`${f.u0}/${f.v0}`, f);
        await new Promise((r) => setTimeout(r, 5));
      }
      const seconds = (performance.now() - t1) / 1000;
      const slice = truth.subarray(z * Yn * X, (z + 1) * Yn * X);
      const hits = new Map<number, { right: number; total: number }>();
      for (const f of tiles.values()) {
        const plane = f.width * f.height;
        const K = f.data.length / plane;
        for (let v = 0; v < f.height; v++)
          for (let u = 0; u < f.width; u++) {
            let best = 0;
            for (let k = 1; k < K; k++)
              if (f.data[k * plane + v * f.width + u] > f.data[best * plane + v * f.width + u]) best = k;
            const actual = slice[(f.v0 + v) * X + f.u0 + u];
            const h = hits.get(actual) ?? { right: 0, total: 0 };
            h.total++;
            if (f.classIds[best] === actual) h.right++;
            hits.set(actual, h);
          }
      }
      const recall = (k: number) => (hits.get(k)?.right ?? 0) / (hits.get(k)?.total ?? 1);
      const all = [...hits.values()].reduce((a, h) => ({
        right: a.right + h.right,
        total: a.total + h.total,
      }));
      console.log(
        `demo: dataset ready in ${setupSeconds.toFixed(2)} s; ${strokes.length} strokes → all 4 tiles in ${seconds.toFixed(2)} s (2 workers); accuracy ${(all.right / all.total).toFixed(3)}, recall membrane ${recall(TRUTH.membrane).toFixed(3)}, cytoplasm ${recall(TRUTH.cytoplasm).toFixed(3)}, mitochondria ${recall(TRUTH.mitochondrion).toFixed(3)}`,
      );
      expect(setupSeconds).toBeLessThan(15);
      expect(seconds).toBeLessThan(20);
      expect(all.right / all.total).toBeGreaterThan(0.85);
      expect(recall(TRUTH.membrane)).toBeGreaterThan(0.8);
      expect(recall(TRUTH.cytoplasm)).toBeGreaterThan(0.8);
      expect(recall(TRUTH.mitochondrion)).toBeGreaterThan(0.5);
    } finally {
      project.close();
    }
  });
});

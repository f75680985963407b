// The compute service end to end, as clients see it: the tRPC API (projects, members, import of the ISBI
// stack, feature selection), two users painting on ISBI over real y-websocket connections, the service
// retraining on their merged strokes, and probability tiles of each new generation reaching both
// viewports — with the prediction improving as strokes are added. Plus the refusals: no token, a foreign
// project, a viewer's writes, over the API, the sync socket and raw tiles.

import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeTileFrame, type Stroke, strokesArray, type TileFrame, type View } from "@sylva/shared";
import type { AppRouter } from "@sylva/shared/api";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type * as Y from "yjs";
import { issueToken } from "../../src/auth/token.js";
import { scribbleStrokes } from "../../src/bench/live.js";
import { openDataset } from "../../src/datasets/open.js";
import { type SylvaServer, startSylvaServer } from "../../src/server/app.js";
import { silentLogger } from "../../src/sync/index.js";
import { DATA } from "../helpers/data.js";
import { isbi } from "../live/helpers.js";
import { connect, type TestClient } from "../sync/helpers.js";

const SECRET = "e2e-secret-0123456789-abcdefghijklmnop";
const ISBI = path.join(DATA, "isbi2012");

type Api = ReturnType<typeof createTRPCClient<AppRouter>>;

async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  ms = 240_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The newest frame per tile of a view's slice, decoded. */
function latestTiles(client: TestClient, view: View): Map<string, TileFrame> {
  const out = new Map<string, TileFrame>();
  for (const bytes of client.frames) {
    const f = decodeTileFrame(bytes);
    if (
      f.layer !== "probabilities" ||
      f.datasetId !== view.datasetId ||
      f.slice !== view.slice ||
      f.level !== 0
    )
      continue;
    const key = `${f.u0},${f.v0}`;
    const prev = out.get(key);
    if (!prev || prev.generation <= f.generation) out.set(key, f);
  }
  return out;
}

/** Fraction of the slice's pixels whose argmax class agrees with ground truth (0 → class 1, 255 → 2). */
function accuracy(tiles: Map<string, TileFrame>, gt: Uint8Array): number {
  let right = 0;
  let total = 0;
  for (const f of tiles.values()) {
    const plane = f.width * f.height;
    const membrane = f.classIds.indexOf(1);
    const cell = f.classIds.indexOf(2);
    for (let v = 0; v < f.height; v++)
      for (let u = 0; u < f.width; u++) {
        const i = v * f.width + u;
        const predicted = f.data[membrane * plane + i] >= f.data[cell * plane + i] ? 0 : 255;
        if (predicted === gt[(f.v0 + v) * 512 + f.u0 + u]) right++;
        total++;
      }
  }
  return right / total;
}

const PG_URL = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const PG_SCHEMA = `sylva_e2e_${randomBytes(6).toString("hex")}`;
/** The metadata database of each run: the embedded default, and PostgreSQL (unless SYLVA_SKIP_POSTGRES=1). */
const DATABASES: [string, Record<string, string>][] = [
  ["SQLite", {}],
  ...(process.env.SYLVA_SKIP_POSTGRES === "1"
    ? []
    : [
        ["PostgreSQL", { DATABASE_URL: PG_URL, SYLVA_DB_SCHEMA: PG_SCHEMA }] as [
          string,
          Record<string, string>,
        ],
      ]),
];

afterAll(async () => {
  if (process.env.SYLVA_SKIP_POSTGRES === "1") return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${PG_SCHEMA}" CASCADE`);
  } finally {
    await client.end();
  }
});

describe.each(DATABASES)("the compute service on %s, end to end", (_name, dbEnv) => {
  let dir: string;
  let server: SylvaServer;
  let url: string;
  const clients: TestClient[] = [];
  const api = (user?: string): Api =>
    createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: `${url}/trpc`,
          headers: user ? { authorization: `Bearer ${issueToken(Buffer.from(SECRET), user)}` } : {},
        }),
      ],
    });
  let projectId: string;
  let datasetId: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sylva-e2e-"));
    server = await startSylvaServer({
      port: 0,
      workers: 2,
      logger: silentLogger,
      env: {
        SYLVA_DATA_DIR: path.join(dir, "data"),
        SYLVA_SECRET: SECRET,
        SYLVA_IMPORT_ROOTS: ISBI,
        ...dbEnv,
      },
    });
    url = server.url;
    for (const name of ["alice", "bob", "carol", "vic"]) await server.db.users.add(name);
    expect(server.db.dialect).toBe(dbEnv.DATABASE_URL ? "postgres" : "sqlite");
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("sets up a project through the API: members, the ISBI import, the feature selection", async () => {
    const alice = api("alice");
    const project = await alice.projects.create.mutate({ name: "ISBI membranes" });
    expect(project.role).toBe("owner");
    projectId = project.id;
    await alice.members.set.mutate({ projectId, user: "bob", role: "annotator" });
    await alice.members.set.mutate({ projectId, user: "vic", role: "viewer" });
    const probe = await alice.datasets.probe.query({ projectId, sources: [path.join(ISBI, "raw")] });
    expect(probe).toMatchObject({ axes: "zyx", shape: [30, 512, 512], dtype: "uint8" });
    const job = await alice.datasets.import.mutate({
      projectId,
      sources: [path.join(ISBI, "raw")],
      options: { name: "ISBI 2012" },
    });
    const done = await until("the import", async () => {
      const j = (await alice.datasets.importJobs.query({ projectId })).find((x) => x.id === job.id);
      if (j?.status === "failed") throw new Error(j.error);
      return j?.status === "done" ? j : undefined;
    });
    datasetId = done.datasetId ?? "";
    expect((await alice.datasets.list.query({ projectId })).map((d) => d.id)).toEqual([datasetId]);
    // The sections are 50 nm apart against 4 nm pixels: filter in 2D, as the data's README advises.
    await alice.features.set.mutate({
      projectId,
      selection: {
        features: ["GS", "LoG", "GGM", "DoG", "STE", "HoGE"],
        scales: [0.7, 1, 1.6, 3.5, 5],
        in2d: true,
      },
    });
    expect((await api("bob").classes.list.query({ projectId })).map((c) => c.name)).toEqual([
      "Label 1",
      "Label 2",
    ]);
    await alice.classes.update.mutate({ projectId, id: 1, change: { name: "Membrane" } });
    await alice.classes.update.mutate({ projectId, id: 2, change: { name: "Cell" } });
  });

  it("two painters converge, the service retrains, both viewports get tiles that improve", async () => {
    const a = connect(
      `${url.replace("http", "ws")}/sync`,
      projectId,
      issueToken(Buffer.from(SECRET), "alice"),
    );
    const b = connect(`${url.replace("http", "ws")}/sync`, projectId, issueToken(Buffer.from(SECRET), "bob"));
    clients.push(a, b);
    const viewOf = (slice: number): View => ({
      datasetId: datasetId as View["datasetId"],
      plane: "xy",
      t: 0,
      slice,
      level: 0,
      viewport: { u0: 0, v0: 0, u1: 512, v1: 512 },
      layers: ["probabilities"],
    });
    const viewA = viewOf(0);
    const viewB = viewOf(1);
    a.provider.awareness.setLocalStateField("view", viewA);
    b.provider.awareness.setLocalStateField("view", viewB);
    await until("both synced", () => (a.provider.synced && b.provider.synced ? true : undefined));

    const gt0 = isbi("gt", 0);
    const gt1 = isbi("gt", 1);
    const paint = (doc: Y.Doc, strokes: Stroke[]) =>
      doc.transact(() => strokesArray(doc, datasetId).push(strokes));
    const strokes = (classId: 1 | 2, count: number, seed: number, author: string) =>
      scribbleStrokes(gt0, 512, 512, { datasetId, classId, count, seed, author });

    const generationShown = async (client: TestClient, view: View, after: number) =>
      until(`tiles of a generation after ${after}`, async () => {
        const { generation, status } = await api("alice").training.state.query({ projectId });
        if (generation <= after || status === "training") return undefined;
        const tiles = latestTiles(client, view);
        return tiles.size === 4 && [...tiles.values()].every((f) => f.generation === generation)
          ? { generation, tiles }
          : undefined;
      });

    // Round 1: a few strokes each, in different classes.
    paint(a.doc, strokes(1, 2, 1, "alice"));
    paint(b.doc, strokes(2, 2, 2, "bob"));
    const first = await generationShown(a, viewA, 0);
    const firstB = await generationShown(b, viewB, first.generation - 1);
    expect(firstB.generation).toBeGreaterThanOrEqual(first.generation);
    const acc1 = accuracy(first.tiles, gt0);

    // Round 2: many more strokes; the new generation reaches both viewports and predicts better.
    paint(a.doc, strokes(1, 40, 3, "alice"));
    paint(b.doc, strokes(2, 40, 4, "bob"));
    const second = await generationShown(a, viewA, firstB.generation);
    const secondB = await generationShown(b, viewB, second.generation - 1);
    const acc2 = accuracy(second.tiles, gt0);
    const acc2b = accuracy(secondB.tiles, gt1);
    console.log(
      `generations ${first.generation} → ${second.generation}; slice 0 accuracy ${acc1.toFixed(3)} → ${acc2.toFixed(3)}; bob's slice 1 ${acc2b.toFixed(3)}`,
    );
    expect(acc2).toBeGreaterThan(acc1 + 0.02);
    expect(acc2).toBeGreaterThan(0.8);
    expect(acc2b).toBeGreaterThan(0.75);

    // A client showing several views (a 3D dataset's xy and xz) gets tiles for each of them.
    const xz: View = { ...viewA, plane: "xz", slice: 256, viewport: { u0: 0, v0: 0, u1: 512, v1: 30 } };
    a.provider.awareness.setLocalStateField("views", [viewA, xz]);
    await until("xz tiles", () =>
      a.frames.some((bytes) => {
        const f = decodeTileFrame(bytes);
        return f.plane === "xz" && f.slice === 256 && f.generation === second.generation;
      })
        ? true
        : undefined,
    );

    // Both documents, and the service's, hold the same strokes in the same order, with their authors.
    const ids = (doc: Y.Doc) =>
      strokesArray(doc, datasetId)
        .toArray()
        .map((s) => (s as Stroke).id);
    await until("documents converge", () => (ids(a.doc).join() === ids(b.doc).join() ? true : undefined));
    const room = server.sync.rooms.get(projectId);
    expect(room && ids(room.doc)).toEqual(ids(a.doc));
    expect(ids(a.doc)).toHaveLength(84);
    const authors = new Set(
      strokesArray(a.doc, datasetId)
        .toArray()
        .map((s) => (s as Stroke).author),
    );
    expect([...authors].sort()).toEqual(["alice", "bob"]);
  });

  it("exports the segmentation of the whole stack as a new dataset of the project", async () => {
    const alice = api("alice");
    const job = await alice.exports.create.mutate({
      projectId,
      params: { datasetId, source: "simple-segmentation" },
    });
    expect(job.status).toBe("queued");
    const done = await until("the export", async () => {
      const j = await alice.exports.get.query({ projectId, jobId: job.id });
      if (j.status === "failed") throw new Error(j.error);
      return j.status === "done" ? j : undefined;
    });
    const result = (await alice.datasets.list.query({ projectId })).find((d) => d.prefix === done.resultKey);
    expect(result).toMatchObject({ axes: "zyx", shape: [30, 512, 512], dtype: "uint8" });
    const reader = await openDataset(server.store, result?.id ?? "").then((d) => d.level(0));
    for (const z of [0, 29]) {
      const seg = (await reader.read({ start: [z, 0, 0], stop: [z + 1, 512, 512] })).data;
      const gt = isbi("gt", z);
      let right = 0;
      for (let i = 0; i < gt.length; i++) if ((seg[i] === 1 ? 0 : 255) === gt[i]) right++;
      expect(new Set(seg)).toEqual(new Set([1, 2]));
      expect(right / gt.length).toBeGreaterThan(0.75);
    }
  });

  it("refuses callers without a token, outside the project, or without the permission", async () => {
    const err = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        if (e instanceof TRPCClientError) return (e.data as { code: string }).code;
        throw e;
      }
      return "OK";
    };
    expect(await err(api().projects.list.query())).toBe("UNAUTHORIZED");
    expect(await err(api("carol").projects.get.query({ projectId }))).toBe("NOT_FOUND");
    expect(await err(api("carol").classes.list.query({ projectId }))).toBe("NOT_FOUND");
    expect(await err(api("vic").classes.add.mutate({ projectId, init: { name: "x" } }))).toBe("FORBIDDEN");
    expect(await err(api("vic").members.set.mutate({ projectId, user: "vic", role: "owner" }))).toBe(
      "FORBIDDEN",
    );
    expect(await err(api("bob").members.set.mutate({ projectId, user: "carol", role: "owner" }))).toBe(
      "FORBIDDEN",
    );
    expect(await err(api("vic").classes.list.query({ projectId }))).toBe("OK");
    expect(await err(api("alice").projects.get.query({ projectId: "not-a-project" }))).toBe("BAD_REQUEST");
    expect(await api("carol").projects.list.query()).toEqual([]);

    const upgrade = (user?: string) =>
      new Promise<number>((resolve) => {
        const q = user ? `?token=${issueToken(Buffer.from(SECRET), user)}` : "";
        const ws = new WebSocket(`${url.replace("http", "ws")}/sync/${projectId}${q}`);
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("open", () => {
          ws.close();
          resolve(101);
        });
      });
    expect(await upgrade()).toBe(401);
    expect(await upgrade("carol")).toBe(403);
    expect(await upgrade("mallory")).toBe(401); // a well-signed token of a user who does not exist
    expect(await upgrade("vic")).toBe(101);

    const tile = `${url}/api/projects/${projectId}/datasets/${datasetId}/tiles/0/xy/0/0/1/0`;
    expect((await fetch(tile)).status).toBe(401);
    const carol = await fetch(tile, {
      headers: { authorization: `Bearer ${issueToken(Buffer.from(SECRET), "carol")}` },
    });
    expect(carol.status).toBe(404);
    const ok = await fetch(tile, {
      headers: { authorization: `Bearer ${issueToken(Buffer.from(SECRET), "vic")}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-sylva-shape")).toBe("1,256,256");
    expect(ok.headers.get("cache-control")).toContain("immutable");
    const body = new Uint8Array(await ok.arrayBuffer());
    const raw = isbi("raw", 0);
    const expected = new Uint8Array(256 * 256);
    for (let y = 0; y < 256; y++) expected.set(raw.subarray(y * 512 + 256, y * 512 + 512), y * 256);
    expect(Buffer.compare(Buffer.from(body), Buffer.from(expected))).toBe(0);
  });
});

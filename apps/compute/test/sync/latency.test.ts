// Latency under load: 20 y-websocket clients each append a stroke every 50 ms for about 5 s while a
// forest trains on two worker threads (one training job after another, so both workers stay busy the
// whole time). For every stroke and every other client, the time from the sender's append to that
// client observing it is measured (persist + broadcast included); its 95th percentile must stay under
// 50 ms. The server and the training run in this process; the clients run in a worker thread of their
// own (fixtures/latency-clients.mjs, 4 threads of 5 clients), as real clients do not share the server's
// event loop.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Role } from "@sylva/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as PoolModule from "../../src/pool/forest-pool.js";
import { fsTestStore, type TestStore } from "../helpers/stores.js";
import { DATASET, PROJECT, startServer, type TestServer, token, waitFor } from "./helpers.js";

const DIST = new URL("../../dist/pool/forest-pool.js", import.meta.url);
if (!existsSync(fileURLToPath(DIST)))
  throw new Error(`${fileURLToPath(DIST)} is missing: run "npm run build -w @sylva/compute" first`);
const { ForestPool } = (await import(DIST.href)) as typeof PoolModule;
const CLIENTS_SCRIPT = new URL("./fixtures/latency-clients.mjs", import.meta.url);

const CLIENTS = 20;
const THREADS = 4;
const INTERVAL_MS = 50;
const DURATION_MS = 5000;

/** n samples × F features of noisy 3-class data (an LCG: fixed). */
function problem(n: number, F: number) {
  let s = 12345;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const samples = new Float32Array(n * F);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) samples[i * F + f] = rnd();
    const v = samples[i * F] + samples[i * F + 1] + 0.5 * (rnd() - 0.5);
    labels[i] = v < 0.7 ? 1 : v < 1.3 ? 2 : 3;
  }
  return { samples, labels, F };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

type FromClients =
  | { kind: "ready" }
  | { kind: "sent"; sent: number }
  | { kind: "done"; pairs: number[]; firsts: Record<string, number> };

describe("latency", () => {
  let ts: TestStore;
  let server: TestServer;
  let pool: PoolModule.ForestPool;
  const workers: Worker[] = [];
  const roles = new Map<string, Role>();
  for (let k = 0; k < CLIENTS; k++) roles.set(`${PROJECT}/user${k}`, "annotator");

  beforeAll(async () => {
    ts = await fsTestStore();
    server = await startServer(ts.store, roles);
    pool = await ForestPool.start({ workers: 2 });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.terminate()));
    await pool.close();
    await server.close();
    await ts.cleanup();
  });

  // Retried: one 5-second window on a small machine shared with other work (other test runs, builds)
  // can be spoiled by a burst that has nothing to do with the server; each attempt is measured alone.
  it("keeps the 95th percentile of append-to-observe under 50 ms for 20 painters while a forest trains", {
    retry: 2,
  }, async () => {
    // Clients in THREADS worker threads (CLIENTS / THREADS each), as they would be separate machines.
    const messages: FromClients[] = [];
    const failures: Error[] = [];
    for (let w = 0; w < THREADS; w++) {
      const users = [];
      for (let k = w; k < CLIENTS; k += THREADS) users.push({ user: `user${k}`, token: token(`user${k}`) });
      const worker = new Worker(CLIENTS_SCRIPT, {
        workerData: {
          url: server.url,
          project: PROJECT,
          users,
          datasetId: DATASET,
          intervalMs: INTERVAL_MS,
          durationMs: DURATION_MS,
          offsetMs: (w * INTERVAL_MS) / THREADS,
        },
      });
      worker.on("message", (m: FromClients) => messages.push(m));
      worker.on("error", (e) => failures.push(e));
      workers.push(worker);
    }
    const all = async <K extends FromClients["kind"]>(kind: K) => {
      await waitFor(
        () => failures.length > 0 || messages.filter((m) => m.kind === kind).length === THREADS,
        60_000,
        `"${kind}" from the client threads`,
      );
      if (failures.length > 0) throw failures[0];
      return messages.filter((m): m is Extract<FromClients, { kind: K }> => m.kind === kind);
    };
    await all("ready");

    // On the server: append → durable and applied (the time a stroke's id carries, to its update event).
    const serverSide: number[] = [];
    const room = server.sync.rooms.get(PROJECT)!;
    const updatesBefore = room.stats.updates;
    const off = room.on("update", (update) => {
      const now = performance.timeOrigin + performance.now();
      for (const s of Y.decodeUpdate(update).structs)
        if (s instanceof Y.Item && s.content instanceof Y.ContentAny)
          for (const v of s.content.getContent() as { id?: string }[])
            if (typeof v.id === "string" && v.id.includes("@"))
              serverSide.push(now - Number(v.id.split("@")[1]));
    });

    // Training: one job after another on both workers for the whole measurement.
    const data = problem(60_000, 24);
    let training = true;
    let jobs = 0;
    let trainedMs = 0;
    const trainer = (async () => {
      while (training) {
        const t0 = performance.now();
        await pool.train(data.samples, data.labels, data.F, { trees: 8, seed: jobs });
        trainedMs += performance.now() - t0;
        jobs++;
      }
    })();
    await new Promise((r) => setTimeout(r, 200)); // the workers are busy before painting starts

    const start = performance.now();
    for (const w of workers) w.postMessage("start");
    const total = (await all("sent")).reduce((n, m) => n + m.sent, 0);
    for (const w of workers) w.postMessage({ expected: total });
    const done = await all("done");
    const elapsed = performance.now() - start;
    training = false;
    await trainer;
    off();
    await Promise.all(workers.splice(0).map((w) => w.terminate()));

    const pairs = done.flatMap((m) => m.pairs);
    const first = new Map<string, number>();
    for (const m of done)
      for (const [id, t] of Object.entries(m.firsts)) first.set(id, Math.min(t, first.get(id) ?? t));
    const sorted = [...pairs].sort((a, b) => a - b);
    const firsts = [...first.values()].sort((a, b) => a - b);
    const fmt = (xs: number[]) =>
      `p50 ${percentile(xs, 50).toFixed(1)} ms, p95 ${percentile(xs, 95).toFixed(1)} ms, max ${xs.at(-1)!.toFixed(1)} ms`;
    console.info(
      `${total} strokes from ${CLIENTS} clients (${(elapsed / 1000).toFixed(1)} s), ` +
        `${room.stats.writes} log writes (group commit), ${jobs} training jobs (${(trainedMs / 1000).toFixed(1)} s)\n` +
        `  append → observed, every other client (${sorted.length}): ${fmt(sorted)}\n` +
        `  append → first other client (${firsts.length}): ${fmt(firsts)}\n` +
        `  append → durable and applied on the server (${serverSide.length}): ${fmt(serverSide.sort((a, b) => a - b))}`,
    );
    expect(total).toBeGreaterThan(CLIENTS * (DURATION_MS / INTERVAL_MS) * 0.8);
    expect(sorted.length).toBe(total * (CLIENTS - 1));
    expect(first.size).toBe(total);
    expect(room.stats.updates - updatesBefore).toBe(total);
    expect(jobs).toBeGreaterThanOrEqual(2);
    expect(percentile(sorted, 95)).toBeLessThan(50);
  });
});

// The operator's tools and the service's durability, as an operator runs them: `sylva projects add`,
// `sylva users add … --role … --project …` and `sylva token --user …` on the embedded defaults (a data
// folder, SQLite, a generated signing secret), then `sylva serve`. A painter paints continuously while the
// service is killed with SIGKILL; every stroke an observer had received (the service relays only what it
// has persisted) is in the log read while the service is down; after `sylva serve` restarts on the same
// port and folder, the clients resume by themselves and converge on every stroke painted.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type ProjectId, type Stroke, strokesArray } from "@sylva/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsBlobStore } from "../../src/storage/fs-store.js";
import { loadDoc } from "../../src/sync/index.js";
import { connect, DATASET, paint, sleep, strokeIdsOf, type TestClient, waitFor } from "../sync/helpers.js";

const SYLVA = fileURLToPath(new URL("../../bin/sylva.js", import.meta.url));
const run = promisify(execFile);

interface Service {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
}

describe("sylva serve under SIGKILL", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];
  const clients: TestClient[] = [];

  const sylva = async (...args: string[]) =>
    (await run(process.execPath, [SYLVA, ...args], { env })).stdout.trim();

  function serve(port = 0): Promise<Service> {
    const child = spawn(process.execPath, [SYLVA, "serve", "--port", String(port)], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    return new Promise((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve({ child, url: m[1], exited });
      });
      child.once("exit", (code) =>
        reject(new Error(`sylva serve exited (${code}) before listening: ${stderr}`)),
      );
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sylva-serve-kill-"));
    env = { PATH: process.env.PATH, HOME: process.env.HOME, SYLVA_DATA_DIR: path.join(dir, "data") };
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("loses no acknowledged stroke, and the painter resumes after the restart", async () => {
    const projectId = (await sylva("projects", "add", "Kill test")).split("\t")[0] as ProjectId;
    expect(projectId).toMatch(/^pr_/);
    await sylva("users", "add", "painter", "--role", "annotator", "--project", projectId);
    await sylva("users", "add", "observer", "--role", "viewer", "--project", projectId);
    const painterToken = await sylva("token", "--user", "painter");
    const observerToken = await sylva("token", "--user", "observer");

    let service = await serve();
    const ws = `${service.url.replace("http", "ws")}/sync`;
    const painter = connect(ws, projectId, painterToken, { maxBackoffTime: 100 });
    const observer = connect(ws, projectId, observerToken, { maxBackoffTime: 100 });
    clients.push(painter, observer);
    await waitFor(() => painter.provider.synced && observer.provider.synced, 20_000, "sync");

    const seen = new Set<string>();
    strokesArray(observer.doc, DATASET).observe((event) => {
      for (const item of event.changes.added)
        for (const s of item.content.getContent() as Stroke[]) seen.add(s.id);
    });
    const painted: string[] = [];
    const timer = setInterval(() => {
      const id = `p-${painted.length}`;
      paint(painter, id, "painter", painted.length);
      painted.push(id);
    }, 5);
    let paintedAtKill = 0;
    try {
      await waitFor(() => seen.size >= 100, 30_000, "strokes acknowledged");
      service.child.kill("SIGKILL");
      await service.exited;
      const acknowledged = [...seen];
      paintedAtKill = painted.length;
      const durable = new Set(
        strokeIdsOf((await loadDoc(new FsBlobStore(env.SYLVA_DATA_DIR ?? ""), projectId)).doc),
      );
      console.info(
        `SIGKILL after ${paintedAtKill} painted: ${acknowledged.length} acknowledged, ${durable.size} durable`,
      );
      expect(acknowledged.filter((id) => !durable.has(id))).toEqual([]);

      service = await serve(Number(new URL(service.url).port));
      await waitFor(() => painter.provider.synced && observer.provider.synced, 30_000, "reconnect");
      await sleep(300);
    } finally {
      clearInterval(timer);
    }
    expect(painted.length).toBeGreaterThan(paintedAtKill);
    await waitFor(() => observer.strokeIds().length === painted.length, 20_000, "convergence");
    expect(new Set(observer.strokeIds())).toEqual(new Set(painted));
    expect(observer.denied).toEqual([]);

    // A clean stop (SIGTERM) persists and compacts: the log then holds every stroke too.
    service.child.kill("SIGTERM");
    await service.exited;
    expect(
      new Set(strokeIdsOf((await loadDoc(new FsBlobStore(env.SYLVA_DATA_DIR ?? ""), projectId)).doc)),
    ).toEqual(new Set(painted));
  });
});

// The platform started the way the README says (`npm start` builds, then runs `node apps/web/server.mjs`):
// one process, one port, on a fresh data folder. It prints the URL and a sign-in link; the web app's
// pages, the API with the printed token (the Demo project and its dataset), the sync websocket and the
// health check all answer on that port; SIGTERM stops it cleanly. The web app is built first if no
// build exists (turbo builds @sylva/web before its own tests, not before these).

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AppRouter } from "@sylva/shared/api";
import { createTRPCClient, httpLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";

const ROOT = fileURLToPath(new URL("../../../..", import.meta.url));
const WEB = path.join(ROOT, "apps/web");

describe("the platform in one process (node apps/web/server.mjs)", () => {
  let dir: string;
  let child: ChildProcess;
  let output = "";
  let url: string;
  let signIn: string;
  let token: string;

  beforeAll(async () => {
    if (!existsSync(path.join(WEB, ".next/BUILD_ID"))) {
      const build = spawnSync("npm", ["run", "build", "-w", "@sylva/web"], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      });
      if (build.status !== 0)
        throw new Error(`the web app does not build:\n${build.stdout}\n${build.stderr}`.slice(-4000));
    }
    dir = await mkdtemp(path.join(tmpdir(), "sylva-platform-"));
    child = spawn(process.execPath, [path.join(WEB, "server.mjs")], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "0", NEXT_TELEMETRY_DISABLED: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready after 120 s:\n${output}`)), 120_000);
      const onData = (d: Buffer) => {
        output += d.toString();
        const running = /Sylva is running on (http:\/\/localhost:\d+) /.exec(output);
        const link = /Sign in as admin: (http:\/\/localhost:\d+\/signin#token=(\S+))/.exec(output);
        if (running && link) {
          clearTimeout(timer);
          [, url] = running;
          [, signIn, token] = link;
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code}) before it was ready:\n${output}`));
      });
    });
    console.log(
      `the platform was ready in ${((performance.now() - started) / 1000).toFixed(1)} s:\n${output}`,
    );
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("prints the URL and a sign-in link on the same port, on the embedded defaults", () => {
    expect(signIn.startsWith(`${url}/signin#token=sylva1.`)).toBe(true);
    expect(output).toContain(`storage: file system ${path.join(dir, "sylva-data")}`);
    expect(output).toContain("metadata: SQLite");
  });

  it("serves the web app's pages", async () => {
    for (const page of ["/", "/signin"]) {
      const res = await fetch(`${url}${page}`);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toMatch(/<html[^>]*>/);
      expect(html).toContain("/_next/static/");
      expect(res.status, `${page}: ${res.status}`).toBe(200);
    }
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("the API answers with the printed token: the Demo project and its dataset", async () => {
    const api = createTRPCClient<AppRouter>({
      links: [
        httpLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${decodeURIComponent(token)}` } }),
      ],
    });
    expect(await api.me.query()).toEqual({ name: "admin" });
    const projects = await api.projects.list.query();
    expect(projects.map((p) => p.name)).toEqual(["Demo"]);
    const datasets = await api.datasets.list.query({ projectId: projects[0].id });
    expect(datasets.map((d) => [d.name, d.shape.join("×")])).toEqual([["Demo cells", "48×384×384"]]);

    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(
        `${url.replace("http", "ws")}/sync/${projects[0].id}?token=${encodeURIComponent(decodeURIComponent(token))}`,
      );
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => {
        ws.close();
        resolve(101);
      });
    });
    expect(status).toBe(101);
  });

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});

// The platform as a user starts it: `node apps/web/server.mjs` (what `npm start` runs after building) on
// a fresh data folder and a free port, with the URL and first-run sign-in link it prints, plus the
// operator's `sylva` commands on the same folder for adding users and tokens.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const SHARED_DATA = path.resolve(ROOT, "../shared/data");
const SERVER = path.join(ROOT, "apps/web/server.mjs");
const SYLVA = path.join(ROOT, "apps/compute/bin/sylva.js");
const run = promisify(execFile);

export interface Platform {
  readonly url: string;
  /** The first-run sign-in link the server printed (admin's token in the fragment). */
  readonly signInLink: string;
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Runs `sylva ARGS…` on the platform's data folder; its standard output, trimmed. */
  sylva(...args: string[]): Promise<string>;
  /** A token for `user`, created with `role` as a site role if they do not exist yet. */
  tokenFor(user: string, role?: string): Promise<string>;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startPlatform(extraEnv: NodeJS.ProcessEnv = {}): Promise<Platform> {
  const dir = await mkdtemp(path.join(tmpdir(), "sylva-platform-"));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    NEXT_TELEMETRY_DISABLED: "1",
    SYLVA_DATA_DIR: path.join(dir, "data"),
    SYLVA_IMPORT_ROOTS: SHARED_DATA,
    PORT: String(port),
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, [SERVER], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const { url, signInLink } = await new Promise<{ url: string; signInLink: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the platform did not start in 120 s:\n${out}`)),
      120_000,
    );
    const check = () => {
      const u = /(http:\/\/(?:localhost|127\.0\.0\.1):\d+)\/?\s/.exec(out);
      const link = /(http:\/\/\S+\/signin#token=\S+)/.exec(out);
      if (u && link) {
        clearTimeout(timer);
        resolve({ url: u[1], signInLink: link[1] });
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the platform exited (${code}) before it was ready:\n${out}`));
    });
  });
  const sylva = async (...args: string[]) =>
    (await run(process.execPath, [SYLVA, ...args], { env })).stdout.trim();
  return {
    url,
    signInLink,
    dataDir: env.SYLVA_DATA_DIR ?? "",
    env,
    sylva,
    async tokenFor(user, role = "owner") {
      const users = await sylva("users", "list", "--json");
      if (!(JSON.parse(users) as { name: string }[]).some((u) => u.name === user))
        await sylva("users", "add", user, "--role", role);
      return sylva("token", "--user", user);
    },
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

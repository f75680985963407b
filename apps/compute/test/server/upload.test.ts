// Uploads over HTTP: three ISBI sections sent in the upload framing become a z-stack dataset of the
// project, equal to the files; no token, a viewer, a malformed body and an oversized body are refused
// with 401, 403, 400 and 413, and nothing is imported for them.

import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeUpload, type ProjectId } from "@sylva/shared";
import type { AppRouter } from "@sylva/shared/api";
import { createTRPCClient, httpLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "../../src/auth/token.js";
import { openDataset } from "../../src/datasets/open.js";
import { type SylvaServer, startSylvaServer } from "../../src/server/app.js";
import { silentLogger } from "../../src/sync/index.js";
import { ISBI_RAW } from "../helpers/data.js";
import { isbi } from "../live/helpers.js";

const SECRET = "upload-secret-0123456789-abcdefghijklmnop";

describe("uploads", () => {
  let dir: string;
  let server: SylvaServer;
  let projectId: ProjectId;
  const token = (user: string) => issueToken(Buffer.from(SECRET), user);
  const post = (query: string, body: Uint8Array, user?: string) =>
    fetch(`${server.url}/api/projects/${projectId}/uploads?${query}`, {
      method: "POST",
      headers: user ? { authorization: `Bearer ${token(user)}` } : {},
      body,
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sylva-upload-"));
    server = await startSylvaServer({
      port: 0,
      workers: 1,
      logger: silentLogger,
      env: { SYLVA_DATA_DIR: path.join(dir, "data"), SYLVA_SECRET: SECRET, SYLVA_MAX_UPLOAD_MB: "1" },
    });
    for (const name of ["alice", "vic"]) await server.db.users.add(name);
    projectId = (await server.db.projects.create("Uploads", "alice")).id;
    await server.db.members.setRole(projectId, "vic", "viewer");
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("imports a stack of uploaded sections as a dataset of the project", async () => {
    const files = ["00.png", "01.png", "02.png"].map((n) => ({
      name: n,
      bytes: new Uint8Array(readFileSync(path.join(ISBI_RAW, n))),
    }));
    const res = await post("name=Sections%200-2&stackAlong=z", encodeUpload(files), "alice");
    expect(res.status).toBe(202);
    const job = (await res.json()) as { id: string; status: string };
    const api = createTRPCClient<AppRouter>({
      links: [
        httpLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${token("alice")}` } }),
      ],
    });
    let datasetId: string | undefined;
    for (let i = 0; i < 600 && !datasetId; i++) {
      const j = (await api.datasets.importJobs.query({ projectId })).find((x) => x.id === job.id);
      if (j?.status === "failed") throw new Error(j.error);
      datasetId = j?.datasetId;
      if (!datasetId) await new Promise((r) => setTimeout(r, 50));
    }
    const [manifest] = await api.datasets.list.query({ projectId });
    expect(manifest).toMatchObject({
      id: datasetId,
      name: "Sections 0-2",
      axes: "zyx",
      shape: [3, 512, 512],
    });
    expect(manifest.sources).toEqual(["00.png", "01.png", "02.png"]);
    const level0 = await (await openDataset(server.store, datasetId ?? "")).level(0);
    const slice = await level0.read({ start: [2, 0, 0], stop: [3, 512, 512] });
    expect(Buffer.compare(Buffer.from(slice.data as Uint8Array), Buffer.from(isbi("raw", 2)))).toBe(0);
  });

  it("refuses no token, viewers, malformed and oversized bodies, importing nothing", async () => {
    const small = encodeUpload([
      { name: "00.png", bytes: new Uint8Array(readFileSync(path.join(ISBI_RAW, "00.png"))) },
    ]);
    expect((await post("name=x", small)).status).toBe(401);
    expect((await post("name=x", small, "vic")).status).toBe(403);
    const malformed = await post("name=x", small.subarray(0, 100), "alice");
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: string }).error).toMatch(/ends inside file 1 \("00.png"\)/);
    expect((await post("name=a%2Fb", small, "alice")).status).toBe(400);
    const big = encodeUpload([{ name: "big.raw", bytes: new Uint8Array(2 * 2 ** 20) }]);
    expect((await post("name=big", big, "alice")).status).toBe(413);
    expect(await server.db.datasets.list(projectId)).toHaveLength(1);
  });
});

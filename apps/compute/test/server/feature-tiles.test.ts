// Feature preview tiles over HTTP (src/server/feature-tiles-route.ts): a GS σ=1.6 tile and a HoGE σ=1.6
// channel 1 tile of an imported ISBI section equal core's computeFeatures on the whole section at those
// pixels bit for bit, with their headers; no token, a foreign project, bad path parts, an out-of-range
// channel and a scale too large for a 64² crop are refused with 401, 404 and 400.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { computeFeatures, planFeatures, type Volume5, WasmBackend } from "@sylva/core";
import type { ProjectId } from "@sylva/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "../../src/auth/token.js";
import { type SylvaServer, startSylvaServer } from "../../src/server/app.js";
import { silentLogger } from "../../src/sync/index.js";
import { importMemoryVolume, isbi } from "../live/helpers.js";

const SECRET = "feature-tiles-secret-0123456789-abcdefghij";
const W = 512;

describe("feature preview tiles", () => {
  let dir: string;
  let server: SylvaServer;
  let projectId: ProjectId;
  let otherId: ProjectId;
  let datasetId: string;
  let smallId: string;
  const section = isbi("raw", 4);
  const get = (tail: string, user?: string, project: string = projectId) =>
    fetch(`${server.url}/api/projects/${project}/datasets/${datasetId}/features/${tail}`, {
      headers: user ? { authorization: `Bearer ${issueToken(Buffer.from(SECRET), user)}` } : {},
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sylva-feature-tiles-"));
    server = await startSylvaServer({
      port: 0,
      workers: 2,
      logger: silentLogger,
      env: { SYLVA_DATA_DIR: path.join(dir, "data"), SYLVA_SECRET: SECRET },
    });
    for (const name of ["alice", "bob"]) await server.db.users.add(name);
    projectId = (await server.db.projects.create("Features", "alice")).id;
    otherId = (await server.db.projects.create("Other", "bob")).id;
    datasetId = await importMemoryVolume(server.store, section, [W, W], "yx", "isbi-04");
    await server.db.datasets.add(projectId, datasetId);
    const crop = new Uint8Array(64 * 64);
    for (let y = 0; y < 64; y++) crop.set(section.subarray(y * W, y * W + 64), y * 64);
    smallId = await importMemoryVolume(server.store, crop, [64, 64], "yx", "isbi-04-crop");
    await server.db.datasets.add(projectId, smallId);
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The whole section's features of one entry, (y, x, channels). */
  async function whole(feature: "GS" | "HoGE", scale: number) {
    const input: Volume5 = { data: section, shape: [1, 1, W, W, 1], axes: "tzyxc" };
    const plan = planFeatures([{ feature, scale, in2d: false }], input.shape);
    return { data: computeFeatures(await WasmBackend.create(), input, plan), C: plan.channelCount };
  }

  async function expectTile(
    res: Response,
    tu: number,
    tv: number,
    ref: { data: Float32Array; C: number },
    k: number,
  ) {
    expect(res.status).toBe(200);
    expect(res.headers.get("x-sylva-dtype")).toBe("float32");
    expect(res.headers.get("x-sylva-shape")).toBe("1,256,256");
    expect(res.headers.get("x-sylva-origin")).toBe(`${tu * 256},${tv * 256}`);
    expect(res.headers.get("cache-control")).toBe("private, max-age=3600");
    const tile = new Float32Array(await res.arrayBuffer());
    expect(tile.length).toBe(256 * 256);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    let same = true;
    for (let v = 0; v < 256; v++)
      for (let u = 0; u < 256; u++) {
        const got = tile[v * 256 + u];
        const want = ref.data[((tv * 256 + v) * W + tu * 256 + u) * ref.C + k];
        if (!Object.is(got, want)) same = false;
        lo = Math.min(lo, got);
        hi = Math.max(hi, got);
      }
    expect(same, `tile ${tu},${tv} channel ${k}`).toBe(true);
    expect(res.headers.get("x-sylva-range")).toBe(`${lo},${hi}`);
  }

  it("serves a GS σ=1.6 tile equal to the whole section's features", async () => {
    const ref = await whole("GS", 1.6);
    await expectTile(await get("GS/1.6/0/xy/0/0/1/0", "alice"), 1, 0, ref, 0);
    await expectTile(await get("GS/1.6/0/xy/0/0/0/1?channel=0", "alice"), 0, 1, ref, 0);
  });

  it("serves HoGE σ=1.6 channel 1 (the second eigenvalue) equal to the whole section's", async () => {
    const ref = await whole("HoGE", 1.6);
    expect(ref.C).toBe(2);
    await expectTile(await get("HoGE/1.6/1/xy/0/0/1/1?channel=1", "alice"), 1, 1, ref, 1);
  });

  it("refuses no token (401), foreign projects and tiles outside (404), bad parts (400)", async () => {
    expect((await get("GS/1.6/0/xy/0/0/0/0")).status).toBe(401);
    expect((await get("GS/1.6/0/xy/0/0/0/0", "bob")).status).toBe(404);
    expect((await get("GS/1.6/0/xy/0/0/0/0", "bob", otherId)).status).toBe(404);
    expect((await get("GS/1.6/0/xy/0/0/2/0", "alice")).status).toBe(404);
    expect((await get("GS/1.6/0/xz/0/0/0/0", "alice")).status).toBe(404);
    for (const bad of [
      "XYZ/1.6/0/xy/0/0/0/0",
      "GS/abc/0/xy/0/0/0/0",
      "GS/-1/0/xy/0/0/0/0",
      "GS/1000/0/xy/0/0/0/0",
      "GS/1.6/2/xy/0/0/0/0",
      "GS/1.6/0/xy/0/0/0/0?channel=1",
      "HoGE/1.6/0/xy/0/0/0/0?channel=2",
      "GS/1.6/0/xy/0/0/0/0?channel=x",
    ]) {
      const res = await get(bad, "alice");
      expect(res.status, bad).toBe(400);
    }
    const tooLarge = await fetch(
      `${server.url}/api/projects/${projectId}/datasets/${smallId}/features/GS/20/0/xy/0/0/0/0`,
      { headers: { authorization: `Bearer ${issueToken(Buffer.from(SECRET), "alice")}` } },
    );
    expect(tooLarge.status).toBe(400);
    expect(((await tooLarge.json()) as { error: string }).error).toBe(
      "scale 20.0 is too large for the image: it needs 71 pixels along y, the image has 64",
    );
  });
});

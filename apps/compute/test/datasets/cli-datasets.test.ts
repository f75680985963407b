// The dataset commands end to end, as a user runs them: `sylva import` into the file-system store and into
// S3 (s3rver), `sylva datasets`, and the other commands taking a dataset id, an s3:// object or prefix,
// or an http(s) OME-Zarr URL wherever they take an IMAGE.

import { execFile, execFileSync, spawnSync } from "node:child_process";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ISBI_RAW, PYTHON } from "../helpers/data.js";
import type { TestStore } from "../helpers/stores.js";
import { allKeys, fsTestStore, s3TestStore } from "../helpers/stores.js";

const SYLVA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/sylva.js");

function sylva(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [SYLVA, ...args], {
    encoding: "utf8",
    env: { ...process.env, S3_BUCKET: "", ...env },
  });
  return r;
}

function ok(r: ReturnType<typeof sylva>): string {
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The CLI without blocking this process's event loop (which serves the http test's files). */
function sylvaAsync(env: Record<string, string>, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [SYLVA, ...args],
      { env: { ...process.env, S3_BUCKET: "", ...env } },
      (e, stdout, stderr) => (e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

/** A static file server for a folder (what an OME-Zarr on a web server looks like to zarrita). */
function serve(root: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const file = path.join(root, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    if (
      !file.startsWith(root) ||
      !(await stat(file)
        .then((s) => s.isFile())
        .catch(() => false))
    ) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200);
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/** Max |a − b| of two HDF5 datasets, by h5py. */
function h5Diff(a: string, b: string): number {
  const out = execFileSync(
    PYTHON,
    [
      "-c",
      `import h5py, numpy as np; x = h5py.File("${a}")["exported_data"][...]; y = h5py.File("${b}")["exported_data"][...]; assert x.shape == y.shape, (x.shape, y.shape); print(float(np.abs(x.astype("f8") - y).max()))`,
    ],
    { encoding: "utf8" },
  );
  return Number(out.trim());
}

describe("sylva import, datasets, and dataset ids / URLs as IMAGE", () => {
  let fs: TestStore;
  let s3: TestStore;
  let work: string;
  let server: Server | undefined;
  beforeAll(async () => {
    fs = await fsTestStore();
    s3 = await s3TestStore();
    work = await mkdtemp(path.join(tmpdir(), "sylva-cli-ds-"));
  });
  afterAll(async () => {
    server?.close();
    await fs?.cleanup();
    await s3?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("imports a wildcard of 10 slices, lists it, and computes features from the dataset id", async () => {
    const out = ok(sylva(fs.env, "import", path.join(ISBI_RAW, "0*.png"), "--dataset", "ISBI first ten"));
    const [id, name, shape, dtype] = out.trim().split("\t");
    expect(id).toMatch(/^ds_[a-z0-9]{12}$/);
    expect([name, shape, dtype]).toEqual(["ISBI first ten", "z=10 y=512 x=512", "uint8"]);
    const list = ok(sylva(fs.env, "datasets"));
    expect(list).toContain(`${id}\tISBI first ten\tz=10 y=512 x=512\tuint8`);
    const show = JSON.parse(ok(sylva(fs.env, "datasets", "show", id)));
    expect(show.sources).toHaveLength(10);

    const fromId = path.join(work, "from-id.h5");
    const fromFiles = path.join(work, "from-files.h5");
    const files = Array.from({ length: 10 }, (_, i) => path.join(ISBI_RAW, `0${i}.png`)).join(",");
    ok(sylva(fs.env, "features", id, "--out", fromId, "--features", "GS,STE", "--scales", "1.0,3.5", "--2d"));
    ok(
      sylva(
        fs.env,
        "features",
        files,
        "--out",
        fromFiles,
        "--features",
        "GS,STE",
        "--scales",
        "1.0,3.5",
        "--2d",
      ),
    );
    expect(h5Diff(fromId, fromFiles)).toBe(0);
  });

  it("imports into S3 and reads s3:// objects and s3:// OME-Zarr prefixes as IMAGE", async () => {
    // An image object in the bucket, read by range.
    const png = new Uint8Array(readFileSync(path.join(ISBI_RAW, "05.png")));
    await s3.store.put("uploads/05.png", png);
    const bucket = s3.env.S3_BUCKET;
    const out = ok(sylva(s3.env, "import", `s3://${bucket}/uploads/05.png`, "--dataset", "from s3"));
    const id = out.split("\t")[0];
    expect(out).toContain("y=512 x=512");
    expect((await allKeys(s3.store, `datasets/${id}/`)).length).toBeGreaterThan(3);
    expect(ok(sylva(s3.env, "datasets"))).toContain(id);
    // The published dataset's prefix is itself an OME-Zarr another import (or command) can read.
    const again = ok(sylva(s3.env, "import", `s3://${bucket}/datasets/${id}/`, "--dataset", "copy"));
    expect(again).toContain("y=512 x=512");
    const a = path.join(work, "s3-prefix.h5");
    const b = path.join(work, "s3-file.h5");
    ok(
      sylva(
        s3.env,
        "features",
        `s3://${bucket}/datasets/${id}/`,
        "--out",
        a,
        "--features",
        "LoG",
        "--scales",
        "1.6",
      ),
    );
    ok(
      sylva(
        s3.env,
        "features",
        path.join(ISBI_RAW, "05.png"),
        "--out",
        b,
        "--features",
        "LoG",
        "--scales",
        "1.6",
      ),
    );
    expect(h5Diff(a, b)).toBe(0);
  });

  it("reads an http(s) OME-Zarr URL as IMAGE", async () => {
    const out = ok(sylva(fs.env, "import", ISBI_RAW, "--dataset", "served"));
    const id = out.split("\t")[0];
    server = await serve(fs.dir as string);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/datasets/${id}/`;
    const copy = await sylvaAsync(fs.env, "import", url, "--dataset", "over http");
    expect(copy).toContain("z=30 y=512 x=512\tuint8");
    const h5 = path.join(work, "http.h5");
    await sylvaAsync(fs.env, "features", url, "--out", h5, "--features", "GS", "--scales", "0.7");
    expect(existsSync(h5)).toBe(true);
  });

  it("clear errors: unknown dataset id, missing object, wrong --stack-along", () => {
    let r = sylva(fs.env, "features", "ds_aaaaaaaaaaaa", "--out", path.join(work, "x.h5"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no dataset "ds_aaaaaaaaaaaa" in file system/);
    r = sylva(s3.env, "import", `s3://${s3.env.S3_BUCKET}/nothing.png`, "--dataset", "x");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no such object: s3:\/\/sylva-test\/nothing\.png/);
    r = sylva(fs.env, "import", ISBI_RAW, "--dataset", "x", "--stack-along", "q");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/stackAlong/);
  });

  it("--dry-run shows the guessed axes before anything is written; --axes corrects them", async () => {
    const h5 = path.join(work, "noaxes.h5");
    execFileSync(PYTHON, [
      "-c",
      `import h5py, numpy as np; h5py.File("${h5}", "w").create_dataset("v", data=np.zeros((7, 40, 50), np.uint8))`,
    ]);
    const before = await allKeys(fs.store);
    const dry = ok(sylva(fs.env, "import", `${h5}/v`, "--dataset", "x", "--dry-run"));
    expect(dry).toMatch(/noaxes\.h5\/v\tz=7 y=40 x=50\tuint8\taxes guessed/);
    const fixed = ok(sylva(fs.env, "import", `${h5}/v`, "--dataset", "x", "--dry-run", "--axes", "tyx"));
    expect(fixed).toMatch(/t=7 y=40 x=50\tuint8/);
    expect(await allKeys(fs.store)).toEqual(before);
    const imported = ok(sylva(fs.env, "import", `${h5}/v`, "--dataset", "x", "--axes", "tyx"));
    expect(imported).toContain("t=7 y=40 x=50");
  });

  it("stacks 2D images along t or c when asked", () => {
    const t = ok(
      sylva(fs.env, "import", path.join(ISBI_RAW, "0[0-2].png"), "--dataset", "t", "--stack-along", "t"),
    );
    expect(t).toContain("t=3 y=512 x=512");
    const c = ok(
      sylva(fs.env, "import", path.join(ISBI_RAW, "0[0-2].png"), "--dataset", "c", "--stack-along", "c"),
    );
    expect(c).toContain("c=3 y=512 x=512");
  });
});

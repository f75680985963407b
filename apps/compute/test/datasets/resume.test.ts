// A killed import leaves nothing visible, and the same import run again resumes: it reuses the dataset id
// of the interrupted run, skips the chunks already stored, and publishes a dataset equal to the source.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listDatasets } from "../../src/datasets/catalog.js";
import { openDataset } from "../../src/datasets/open.js";
import { PYTHON } from "../helpers/data.js";
import type { TestStore } from "../helpers/stores.js";
import { allKeys, fsTestStore } from "../helpers/stores.js";

const SYLVA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/sylva.js");
const [Z, Y, X] = [192, 1024, 1024];

describe("killed and resumed import", () => {
  let t: TestStore;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    t = await fsTestStore();
    dir = await mkdtemp(path.join(tmpdir(), "sylva-resume-"));
    file = path.join(dir, "noise.npy");
    // Incompressible uint16 noise, 384 MiB: big enough that the import is still running when killed.
    execFileSync(PYTHON, [
      "-c",
      `import numpy as np; np.save("${file}", np.random.default_rng(5).integers(0, 65535, (${Z}, ${Y}, ${X}), dtype=np.uint16))`,
    ]);
  });
  afterAll(async () => {
    await t?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("SIGKILL mid-import publishes nothing; running it again resumes and completes", async () => {
    const env = { ...process.env, ...t.env, S3_BUCKET: "" };
    const child = spawn(process.execPath, [SYLVA, "import", file, "--dataset", "noise"], { env });
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        // Kill once at least 20 % of the chunks are stored.
        if (/import[^\n]*: ([2-9]\d)%/.test(stderr)) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("exit", () => reject(new Error(`import ended before it could be killed:\n${stderr}`)));
    });
    await new Promise((r) => child.on("close", r));

    expect((await listDatasets(t.store)).datasets).toEqual([]);
    const records = await allKeys(t.store, "catalog/imports/");
    expect(records).toHaveLength(1);
    const record = JSON.parse(new TextDecoder().decode(await t.store.get(records[0])));
    const written = (await allKeys(t.store, `datasets/${record.id}/0/`)).length;
    expect(written).toBeGreaterThan(0);

    const again = spawnSync(process.execPath, [SYLVA, "import", file, "--dataset", "noise"], {
      env,
      encoding: "utf8",
    });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.split("\t")[0]).toBe(record.id);
    expect(await allKeys(t.store, "catalog/imports/")).toEqual([]);

    const { datasets } = await listDatasets(t.store);
    expect(datasets.map((d) => d.id)).toEqual([record.id]);
    const level = await (await openDataset(t.store, record.id)).level(0);
    const got = await level.read({ start: [0, 0, 0], stop: [Z, Y, X] });
    const check = execFileSync(
      PYTHON,
      [
        "-c",
        `import numpy as np, sys, hashlib; print(hashlib.sha256(np.load("${file}").tobytes()).hexdigest())`,
      ],
      { encoding: "utf8" },
    ).trim();
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update(got.data).digest("hex")).toBe(check);
  });
});

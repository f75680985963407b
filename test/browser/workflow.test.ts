// The ilastik Pixel Classification tutorial, done in the browser on the ISBI 2012 EM stack: a user creates
// a project; Input Data: enters the server path of the stack, the dimensions dialog shows the guessed
// axes and shape (z y x, 30 × 512 × 512, uint8), imports it and follows the progress until the dataset
// is listed and shown; Feature Selection: tries "Select all", then picks five features at three scales in
// 2D and applies; Training: names two classes, paints membrane and cytoplasm strokes with the mouse on
// the xy view (brush sizes 3 and 7, along the ground truth of that slice), turns on Live Update and sees
// the probability layer appear (live tiles of a trained generation, and the view visibly coloured);
// Prediction Export: the Fiji preset (probabilities, uint8, 0–1 → 0–255, TIFF sequence), Export All,
// progress, download link; the ZIP, fetched with the user's token, holds one 8-bit TIFF per z slice that
// Debian's tifffile reads. Screenshots at 1280 × 800: workflow-input*.png, workflow-features.png,
// workflow-training*.png, workflow-export.png.

import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot } from "../helpers/browser.js";
import { type Platform, SHARED_DATA, startPlatform } from "../helpers/platform.js";
import {
  colourStats,
  paintStroke,
  settle,
  signIn,
  snapshot,
  waitForHook,
  waitForViewer,
} from "../helpers/workspace.js";

const run = promisify(execFile);
const ISBI = path.join(SHARED_DATA, "isbi2012");
const FEATURES = ["GS", "LoG", "GGM", "STE", "HoGE"] as const;
const SCALES = [0.7, 1.6, 3.5] as const;

type Point = [number, number];

/**
 * Strokes along the ground truth of one slice (0 = membrane, 255 = cell), decoded by the page: membrane
 * strokes that walk along membrane pixels, and cytoplasm strokes along runs well inside cells.
 */
async function strokesFromGroundTruth(
  page: Page,
  png: Buffer,
): Promise<{ membrane: Point[][]; cytoplasm: Point[][] }> {
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
    const W = bitmap.width;
    const H = bitmap.height;
    const canvas = new OffscreenCanvas(W, H);
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("no 2D context");
    ctx.drawImage(bitmap, 0, 0);
    const rgba = ctx.getImageData(0, 0, W, H).data;
    const cell = (x: number, y: number) => x >= 0 && y >= 0 && x < W && y < H && rgba[(y * W + x) * 4] > 127;
    const membrane = (x: number, y: number) => x >= 0 && y >= 0 && x < W && y < H && !cell(x, y);
    // Inside a cell by a margin, so a 7-voxel brush stays in the cytoplasm.
    const deepInCell = (x: number, y: number) => {
      for (let dy = -6; dy <= 6; dy += 2)
        for (let dx = -6; dx <= 6; dx += 2) if (!cell(x + dx, y + dy)) return false;
      return true;
    };
    // Surrounded by membrane, so a 3-voxel brush stays on it.
    const deepInMembrane = (x: number, y: number) => {
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) if (!membrane(x + dx, y + dy)) return false;
      return true;
    };

    const cytoplasm: [number, number][][] = [];
    for (const y of [110, 250, 400]) {
      let run: [number, number] | null = null;
      let best: [number, number] | null = null;
      for (let x = 40; x < W - 40; x++) {
        if (deepInCell(x, y)) run = run ? [run[0], x] : [x, x];
        else run = null;
        if (run && (!best || run[1] - run[0] > best[1] - best[0])) best = run;
      }
      if (best && best[1] - best[0] >= 20) {
        const len = Math.min(70, best[1] - best[0]);
        cytoplasm.push([
          [best[0], y],
          [best[0] + Math.round(len / 2), y],
          [best[0] + len, y],
        ]);
      }
    }

    const membraneStrokes: [number, number][][] = [];
    const dirs = [
      [1, 0],
      [1, 1],
      [0, 1],
      [-1, 1],
      [-1, 0],
      [-1, -1],
      [0, -1],
      [1, -1],
    ];
    const visited = new Set<number>();
    for (const [sx, sy] of [
      [120, 120],
      [380, 150],
      [250, 380],
    ]) {
      // The nearest well-inside membrane pixel to the seed.
      let start: [number, number] | null = null;
      for (let r = 0; r < 60 && !start; r++)
        for (let dy = -r; dy <= r && !start; dy++)
          for (let dx = -r; dx <= r && !start; dx++)
            if (Math.max(Math.abs(dx), Math.abs(dy)) === r && deepInMembrane(sx + dx, sy + dy))
              start = [sx + dx, sy + dy];
      if (!start) continue;
      // Walk along the membrane, keeping the heading as straight as the membrane allows.
      const path: [number, number][] = [start];
      let [x, y] = start;
      let heading = 0;
      for (let step = 0; step < 90; step++) {
        let moved = false;
        for (const turn of [0, 1, -1, 2, -2]) {
          const d = (heading + turn + 8) % 8;
          const nx = x + dirs[d][0];
          const ny = y + dirs[d][1];
          if (deepInMembrane(nx, ny) && !visited.has(ny * W + nx)) {
            x = nx;
            y = ny;
            heading = d;
            visited.add(ny * W + nx);
            path.push([x, y]);
            moved = true;
            break;
          }
        }
        if (!moved) break;
      }
      if (path.length >= 15)
        membraneStrokes.push(path.filter((_, i) => i % 6 === 0 || i === path.length - 1));
    }
    return { membrane: membraneStrokes, cytoplasm };
  }, png.toString("base64"));
}

describe("the ilastik tutorial in the browser: import, features, training, live prediction, export", () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let token: string;
  let projectId: string;
  let work: string;
  const measured: Record<string, unknown> = {};

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
    work = await mkdtemp(path.join(tmpdir(), "sylva-workflow-"));
    token = await platform.tokenFor("tess", "owner");
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
    });
    page = await signIn(context, platform, token);
  });
  afterAll(async () => {
    console.log(`workflow measurements: ${JSON.stringify(measured)}`);
    await browser?.close();
    await platform?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("creates a project", async () => {
    await page.getByTestId("new-project-name").fill("ISBI membranes");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.waitForURL(/\/projects\/pr_/, { timeout: 30_000 });
    projectId = /\/projects\/(pr_[^/?#]+)/.exec(page.url())?.[1] ?? "";
    expect(projectId).not.toBe("");
    await expect.poll(() => page.getByTestId("project-name").textContent()).toBe("ISBI membranes");
    // A new project without data opens on Input Data.
    await page.getByTestId("panel-input").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("step-input").getAttribute("aria-selected")).toBe("true");
  });

  it("imports the ISBI stack through the dimensions dialog, with progress", async () => {
    await page.getByTestId("import-sources").fill(path.join(ISBI, "raw"));
    await page.getByTestId("import-check").click();
    const dialog = page.getByTestId("import-dialog");
    await dialog.waitFor({ timeout: 60_000 });
    // The guessed axes and shape: 30 PNG slices of 512 × 512 stacked along z, 8-bit.
    const header = await dialog.locator("thead th").allTextContents();
    const sizes = await dialog.locator("tbody td").allTextContents();
    expect(header.slice(1)).toEqual(["z", "y", "x"]);
    expect(sizes).toEqual(["30", "512", "512"]);
    expect(await page.getByTestId("import-axes").inputValue()).toBe("zyx");
    expect(await page.getByTestId("import-dtype").textContent()).toBe("uint8");
    await expect.poll(() => dialog.textContent()).toContain("30 files");
    await page.getByTestId("import-name").fill("ISBI 2012");
    await screenshot(page, "workflow-input-dimensions");

    const started = Date.now();
    await page.getByTestId("import-confirm").click();
    await dialog.waitFor({ state: "detached", timeout: 30_000 });
    // Follow the job until the dataset is listed (the job list shows progress, then "done").
    const jobs = page.getByTestId("import-jobs");
    await jobs.waitFor({ timeout: 30_000 });
    const progress: number[] = [];
    const card = page.getByTestId("dataset-list").locator("button").filter({ hasText: "ISBI 2012" });
    while ((await card.count()) === 0) {
      const bar = page.getByTestId("import-progress");
      if ((await bar.count()) > 0) {
        const v = await bar
          .first()
          .getAttribute("aria-valuenow", { timeout: 1000 })
          .catch(() => null);
        if (v !== null) progress.push(Number(v));
      }
      if (Date.now() - started > 180_000)
        throw new Error(`the import did not finish: ${await jobs.textContent()}`);
      await page.waitForTimeout(100);
    }
    measured.importMs = Date.now() - started;
    measured.importProgressSeen = [...new Set(progress)];
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
    expect(progress.length).toBeGreaterThan(0);
    const meta = await card.textContent();
    expect(meta).toContain("uint8");
    expect(meta).toMatch(/30\D+512\D+512/);

    // The new dataset is opened in the three views.
    const shown = await waitForViewer(page, ["xy", "xz", "yz"]);
    expect(shown.view.shape).toMatchObject({ x: 512, y: 512, z: 30, t: 1, c: 1 });
    expect(shown.view.position.z).toBe(15);
    await settle(page);
    await screenshot(page, "workflow-input");
  });

  it("selects features: select all, then five features at three scales in 2D, and applies", async () => {
    await page.getByTestId("step-features").click();
    await page.getByTestId("feature-matrix").waitFor();
    await page.getByTestId("features-select-all").click();
    // Select all takes every feature at every scale allowed for this stack.
    expect(await page.getByTestId("feature-HoGE").isChecked()).toBe(true);
    expect(await page.getByTestId("scale-3.5").isChecked()).toBe(true);
    await expect.poll(() => page.getByTestId("features-status").textContent()).toContain("Unsaved");

    await page.getByRole("button", { name: "Clear", exact: true }).click();
    for (const f of FEATURES) await page.getByTestId(`feature-${f}`).check();
    for (const s of SCALES) await page.getByTestId(`scale-${s}`).check();
    await page.getByTestId("features-in2d").check();
    expect(await page.getByTestId("cell-GGM-1.6").getAttribute("data-state")).toBe("on");
    expect(await page.getByTestId("cell-GGM-5").getAttribute("data-state")).not.toBe("on");
    // ilastik computes the derivative features from σ 0.7 only.
    expect(await page.getByTestId("cell-LoG-0.3").getAttribute("data-state")).toBe("disabled");
    await page.getByTestId("features-apply").click();
    await expect
      .poll(() => page.getByTestId("features-status").textContent(), { timeout: 30_000 })
      .toBe("5 features × 3 scales, in 2D");
    await settle(page);
    await screenshot(page, "workflow-features");
  });

  it("paints membrane and cytoplasm, turns on Live Update and sees the probabilities", async () => {
    await page.getByTestId("step-training").click();
    await page.getByTestId("panel-training").waitFor();
    const classButtons = page.getByTestId("class-list").getByTestId(/^class-\d+$/);
    await expect.poll(() => classButtons.count()).toBe(2);
    // Name the two default classes as in the tutorial.
    for (const [i, name] of ["Membrane", "Cytoplasm"].entries()) {
      await page
        .getByTestId("class-list")
        .locator("li")
        .nth(i)
        .getByRole("button", { name: /^Rename/ })
        .click();
      const input = page.getByTestId("class-rename-input");
      await input.fill(name);
      await input.press("Enter");
      await classButtons.nth(i).filter({ hasText: name }).waitFor();
    }

    const gt = await readFile(path.join(ISBI, "gt", "15.png"));
    const strokes = await strokesFromGroundTruth(page, gt);
    expect(strokes.membrane.length).toBeGreaterThanOrEqual(2);
    expect(strokes.cytoplasm.length).toBeGreaterThanOrEqual(2);

    const before = await snapshot(page);
    expect(before?.view.views.xy.slice).toBe(15);
    await classButtons.filter({ hasText: "Membrane" }).click();
    await page.getByTestId("brush-size").selectOption("3");
    for (const s of strokes.membrane) await paintStroke(page, "xy", s);
    await classButtons.filter({ hasText: "Cytoplasm" }).click();
    await page.getByTestId("brush-size").selectOption("7");
    for (const s of strokes.cytoplasm) await paintStroke(page, "xy", s);
    const n = strokes.membrane.length + strokes.cytoplasm.length;
    await waitForHook(page, `${n} strokes`, (s) => s.strokes === n);
    measured.strokes = { membrane: strokes.membrane.length, cytoplasm: strokes.cytoplasm.length };

    const view = page.getByTestId("view-xy");
    await page.mouse.move(5, 5); // no brush outline in the pictures
    const grey = await colourStats(page, await view.screenshot());

    const started = Date.now();
    await page.getByTestId("live-update").check();
    const live = await waitForHook(
      page,
      "probability tiles of a trained classifier",
      (s) => s.probabilityTiles > 0 && s.liveFrames.generation >= 1,
      180_000,
      100,
    );
    measured.firstProbabilityTileMs = live.at - started;
    // Let the visible tiles arrive (the counts stay put for a second).
    await settle(page, 1000, 60_000);
    measured.probabilityTiles = (await snapshot(page))?.probabilityTiles;
    await expect
      .poll(() => page.getByTestId("training-status").textContent(), { timeout: 60_000 })
      .toMatch(/generation [1-9]/);
    expect(await page.getByTestId("live-status").textContent()).toContain("Live Update on");

    // The probability layer colours the slice: most of the view is no longer grey.
    const coloured = await colourStats(page, await view.screenshot());
    measured.colouredFraction = { before: grey.colouredFraction, after: coloured.colouredFraction };
    expect(grey.colouredFraction).toBeLessThan(0.1);
    expect(coloured.colouredFraction).toBeGreaterThan(0.3);
    await screenshot(page, "workflow-training");
  });

  it("exports the probabilities for Fiji (uint8 TIFF sequence) and tifffile reads every slice", async () => {
    await page.getByTestId("step-export").click();
    await page.getByTestId("panel-export").waitFor();
    await page.getByTestId("export-preset").selectOption("fiji");
    expect(await page.getByTestId("export-source").inputValue()).toBe("probabilities");
    expect(await page.getByTestId("export-format").inputValue()).toBe("tiff-sequence");
    expect(await page.getByTestId("export-dtype").inputValue()).toBe("uint8");
    expect(await page.getByTestId("export-renormalize").isChecked()).toBe(true);
    const range = [];
    for (const k of ["inMin", "inMax", "outMin", "outMax"])
      range.push(await page.getByTestId(`export-${k}`).inputValue());
    expect(range.map(Number)).toEqual([0, 1, 0, 255]);
    expect(await page.getByTestId("export-filename").inputValue()).toContain("{slice_index}");

    const started = Date.now();
    const exportAll = page.getByTestId("export-all");
    await expect.poll(() => exportAll.textContent()).toContain("(1)");
    await exportAll.click();
    const job = page.locator('[data-testid^="export-job-"]').first();
    await job.waitFor({ timeout: 30_000 });
    const progress: number[] = [];
    for (;;) {
      const status = await job.getAttribute("data-status");
      if (status === "done") break;
      if (status === "failed") throw new Error(`the export failed: ${await job.textContent()}`);
      const bar = job.getByTestId("export-progress");
      if ((await bar.count()) > 0) {
        const v = await bar.getAttribute("aria-valuenow", { timeout: 1000 }).catch(() => null);
        if (v !== null) progress.push(Number(v));
      }
      if (Date.now() - started > 240_000)
        throw new Error(`the export did not finish: ${await job.textContent()}`);
      await page.waitForTimeout(200);
    }
    measured.exportMs = Date.now() - started;
    measured.exportProgressSeen = [...new Set(progress)];
    const link = job.getByTestId("export-download");
    await link.waitFor();
    await link.scrollIntoViewIfNeeded();
    await screenshot(page, "workflow-export");

    // The download, as a script would fetch it: the link's URL with the token in the header instead.
    const href = await link.getAttribute("href");
    if (!href) throw new Error("the download link has no href");
    const url = new URL(href, platform.url);
    url.searchParams.delete("token");
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const zip = path.join(work, "export.zip");
    await writeFile(zip, Buffer.from(await res.arrayBuffer()));

    const script = [
      "import io, json, sys, zipfile, tifffile",
      "out = []",
      "with zipfile.ZipFile(sys.argv[1]) as z:",
      "    for name in sorted(z.namelist()):",
      "        if name.endswith('/'): continue",
      "        a = tifffile.imread(io.BytesIO(z.read(name)))",
      "        out.append({'name': name, 'dtype': str(a.dtype), 'shape': list(a.shape), 'min': int(a.min()), 'max': int(a.max())})",
      "print(json.dumps(out))",
    ].join("\n");
    const { stdout } = await run("/usr/bin/python3", ["-c", script, zip]);
    const files = JSON.parse(stdout) as {
      name: string;
      dtype: string;
      shape: number[];
      min: number;
      max: number;
    }[];
    measured.exportFiles = { count: files.length, first: files[0], last: files.at(-1) };
    expect(files.length).toBe(30);
    for (const f of files) {
      expect(f.name).toMatch(/\.tiff?$/);
      expect(f.dtype).toBe("uint8");
      expect(f.shape.filter((d) => d === 512).length).toBe(2);
    }
    // Probabilities renormalized to 0–255: confident pixels of some class come close to 255.
    expect(Math.max(...files.map((f) => f.max))).toBeGreaterThan(200);
  });
});

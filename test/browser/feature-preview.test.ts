// The feature preview on the Demo project (48 × 384 × 384, GGM among its features): in Feature
// Selection, the eye of the GGM σ=1.6 cell adds a "Feature preview" layer whose level-0 tiles load
// for the xy, xz and yz views (listed in the Training step's layers panel); a HoGE channel replaces it; the layer's close button removes it.
// Screenshot: feature-preview.png.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot } from "../helpers/browser.js";
import { type Platform, startPlatform } from "../helpers/platform.js";
import { openProject, settle, signIn, waitForHook } from "../helpers/workspace.js";

const previewTiles = (page: Page) => page.evaluate(() => window.__sylva?.featurePreviewTiles() ?? 0);

describe("feature preview", () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await signIn(context, platform, await platform.tokenFor("fay", "owner"));
    await openProject(page, "Demo", ["xy", "xz", "yz"]);
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it("previews GGM σ=1.6 as a layer whose tiles load", async () => {
    await page.getByTestId("step-features").click();
    await page.getByTestId("feature-matrix").waitFor();
    const eye = page.getByTestId("preview-GGM-1.6");
    expect(await eye.getAttribute("aria-label")).toMatch(/Preview GGM σ 1.6/);
    await eye.click();
    await waitForHook(page, "the preview layer", (s) => s.layers.some((l) => l.id === "feature-preview"));
    // xy shows 2 × 2 level-0 tiles, xz and yz 2 × 1 each.
    const deadline = Date.now() + 60_000;
    while ((await previewTiles(page)) < 8 && Date.now() < deadline) await page.waitForTimeout(100);
    expect(await previewTiles(page)).toBeGreaterThanOrEqual(8);
    await settle(page);
    await screenshot(page, "feature-preview");
    // The layers panel (Training step) lists it with its eye and opacity like any layer.
    await page.getByTestId("step-training").click();
    const layer = page.getByTestId("layer-feature-preview");
    await layer.waitFor({ timeout: 10_000 });
    expect(await layer.textContent()).toContain("Feature preview: Gaussian Gradient Magnitude σ=1.6");
    await page.getByTestId("layer-eye-feature-preview").waitFor();
  });

  it("replaces the preview with a HoGE channel, and closes it", async () => {
    await page.getByTestId("step-features").click();
    await page.getByTestId("preview-channel-HoGE-1.6").selectOption("2");
    await page.getByTestId("preview-HoGE-1.6").click();
    await page.getByTestId("step-training").click();
    const layer = page.getByTestId("layer-feature-preview");
    await expect
      .poll(() => layer.textContent(), { timeout: 10_000 })
      .toContain("Hessian of Gaussian Eigenvalues σ=1.6 [2]");
    expect(await page.getByTestId("layer-feature-preview").count()).toBe(1);
    await page.getByTestId("feature-preview-close").click();
    await waitForHook(page, "no preview layer", (s) => !s.layers.some((l) => l.id === "feature-preview"));
    expect(await layer.count()).toBe(0);
  });
});

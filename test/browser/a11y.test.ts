// Accessibility basics: axe-core finds no serious or critical violations on the sign-in page, the
// projects list, and the project workspace at each of its steps (Input Data with the dimensions dialog
// open, Feature Selection, Training, Prediction Export), at 1280 × 800. Screenshots: a11y-*.png.

import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../helpers/axe.js";
import { launchBrowser, screenshot } from "../helpers/browser.js";
import { type Platform, SHARED_DATA, startPlatform } from "../helpers/platform.js";
import { openProject, settle, signIn } from "../helpers/workspace.js";

const STEPS = ["input", "features", "training", "export"] as const;

describe("accessibility of the main screens", () => {
  let platform: Platform;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it("sign-in page", async () => {
    const signin = await context.newPage();
    await signin.goto(`${platform.url}/signin`);
    await signin.getByTestId("signin-token").waitFor();
    await screenshot(signin, "a11y-signin");
    expect(await seriousViolations(signin)).toEqual([]);
    await signin.close();
  });

  it("projects list", async () => {
    page = await signIn(context, platform, await platform.tokenFor("ada", "owner"));
    await page.getByTestId("project-list").waitFor({ timeout: 30_000 });
    await screenshot(page, "a11y-projects");
    expect(await seriousViolations(page)).toEqual([]);
  });

  for (const step of STEPS)
    it(`workspace: ${step} step`, async () => {
      if (step === "input") await openProject(page, "Demo", ["xy", "xz", "yz"]);
      await page.getByTestId(`step-${step}`).click();
      await page.getByTestId(`panel-${step}`).waitFor();
      if (step === "features") await page.getByTestId("feature-matrix").waitFor();
      if (step === "training") await page.getByTestId("class-list").locator("li").first().waitFor();
      if (step === "export") await page.getByTestId("export-preset").waitFor();
      if (step === "input")
        // The dataset thumbnails are drawn once their tile has loaded (the canvas takes the tile's size).
        await page
          .waitForFunction(
            () =>
              Array.from(
                document.querySelectorAll<HTMLCanvasElement>('canvas[data-testid^="thumbnail-"]'),
              ).every((c) => c.width !== 64),
            undefined,
            { timeout: 10_000 },
          )
          .catch(() => undefined);
      await settle(page);
      await screenshot(page, `a11y-workspace-${step}`);
      expect(await seriousViolations(page)).toEqual([]);
    });

  it("workspace: the import dimensions dialog", async () => {
    await page.getByTestId("step-input").click();
    await page.getByTestId("import-sources").fill(`${SHARED_DATA}/isbi2012/raw`);
    await page.getByTestId("import-check").click();
    await page.getByTestId("import-dialog").waitFor({ timeout: 60_000 });
    await screenshot(page, "a11y-workspace-import-dialog");
    expect(await seriousViolations(page)).toEqual([]);
  });
});

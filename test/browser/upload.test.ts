// Input Data from the user's own computer: three ISBI sections picked in the file dialog are uploaded
// (progress shown), stacked along z and listed as a 3 × 512 × 512 uint8 dataset of the new project.

import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshot } from "../helpers/browser.js";
import { type Platform, SHARED_DATA, startPlatform } from "../helpers/platform.js";
import { signIn } from "../helpers/workspace.js";

describe("upload", () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await signIn(context, platform, await platform.tokenFor("uma", "owner"));
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it("uploads a stack of files as a new dataset", async () => {
    await page.getByTestId("new-project-name").fill("Uploaded");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.waitForURL(/\/projects\/pr_/, { timeout: 30_000 });
    await page.getByTestId("panel-input").waitFor({ timeout: 30_000 });
    const raw = path.join(SHARED_DATA, "isbi2012/raw");
    await page
      .getByTestId("upload-files")
      .setInputFiles(["02.png", "00.png", "01.png"].map((n) => path.join(raw, n)));
    await page.getByTestId("upload-name").fill("Three sections");
    await page.getByTestId("upload-start").click();
    const card = page.getByTestId("dataset-list").locator("button").filter({ hasText: "Three sections" });
    await card.waitFor({ timeout: 120_000 });
    const meta = await card.textContent();
    expect(meta).toContain("uint8");
    expect(meta).toMatch(/3\D+512\D+512/);
    await screenshot(page, "upload-done");
  });
});

// First run, as a new user meets it: the platform started the way the README says prints a sign-in
// link; following it signs in as the printed account and shows the demo project on the generated sample
// dataset; the main pages have no serious accessibility violations. Screenshots: first-run-*.png.

import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seriousViolations } from "../helpers/axe.js";
import { launchBrowser, screenshot } from "../helpers/browser.js";
import { type Platform, startPlatform } from "../helpers/platform.js";

describe("first run", () => {
  let platform: Platform;
  let browser: Browser;

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it("signs in with the printed link and finds the demo project", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${platform.url}/signin`);
    await screenshot(page, "first-run-signin");
    expect(await seriousViolations(page)).toEqual([]);

    // Opened as a user opens the printed link: a fresh page (not a fragment change on the one above).
    await page.close();
    const linked = await context.newPage();
    await linked.goto(platform.signInLink);
    await linked.waitForURL(/\/projects/, { timeout: 30_000 });
    await linked.getByText("Demo", { exact: true }).first().waitFor({ timeout: 30_000 });
    await screenshot(linked, "first-run-projects");
    expect(await seriousViolations(linked)).toEqual([]);
    await context.close();
  });
});

// ilastik's per-scale "in 2D" row in the Feature Selection matrix of a 3D dataset: ticking it for one
// scale and applying stores exactly that scale in the project's selection (in2dScales), leaving the
// others in 3D.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../helpers/browser.js";
import { type Platform, startPlatform } from "../helpers/platform.js";
import { openProject, signIn } from "../helpers/workspace.js";

describe("per-scale 2D", () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let token: string;

  beforeAll(async () => {
    [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
    token = await platform.tokenFor("gus", "owner");
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await signIn(context, platform, token);
  });
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it("stores the scales ticked in the 2D row", async () => {
    const projectId = await openProject(page, "Demo", ["xy", "xz", "yz"]);
    await page.getByTestId("step-features").click();
    await page.getByTestId("scale-2d-3.5").check();
    await page.getByTestId("features-apply").click();
    const read = async () => {
      const input = encodeURIComponent(JSON.stringify({ projectId }));
      const res = await fetch(`${platform.url}/trpc/features.get?input=${input}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return ((await res.json()) as { result: { data: { in2d: boolean; in2dScales?: number[] } } }).result
        .data;
    };
    await expect.poll(async () => (await read()).in2dScales, { timeout: 20_000 }).toEqual([3.5]);
    expect((await read()).in2d).toBe(false);
  });
});

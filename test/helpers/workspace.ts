// Driving the project workspace from a test: signing in through the printed kind of link, opening a
// project, reading the read-only hooks the app exposes on window.__sylva (viewer state, stroke and tile
// counts, peers, render statistics), waiting on them, and painting strokes with real mouse drags at the
// screen points of given voxels.

import type { BrowserContext, Page } from "playwright-core";
import type { Platform } from "./platform.js";

export type Plane = "xy" | "xz" | "yz";

export interface Camera {
  readonly cu: number;
  readonly cv: number;
  readonly zoom: number;
}

export interface ViewInfo {
  readonly camera: Camera | null;
  readonly size: { readonly w: number; readonly h: number };
  readonly slice: number;
  readonly level: number | null;
}

export interface ViewState {
  readonly datasetId: string | null;
  readonly shape: { x: number; y: number; z: number; t: number; c: number } | null;
  readonly position: { x: number; y: number; z: number; t: number };
  readonly activePlane: Plane;
  readonly crosshair: boolean;
  readonly views: Record<Plane, ViewInfo>;
}

export interface PeerCursor {
  readonly datasetId: string;
  readonly plane: Plane;
  readonly t: number;
  readonly slice: number;
  readonly u: number;
  readonly v: number;
}

export interface PeerInfo {
  readonly name: string;
  readonly cursor: PeerCursor | null;
  readonly slice: number | null;
}

export interface RenderStat {
  readonly frames: number;
  readonly lastMs: number;
  readonly meanMs: number;
}

/** What the app's window.__sylva returns (apps/web/src/workspace/test-hooks.ts), as the tests read it. */
export interface SylvaHooks {
  viewState(): ViewState;
  strokeCount(): number;
  probabilityTiles(): number;
  uncertaintyTiles(): number;
  liveFrames(): { received: number; generation: number };
  rawTilesLoaded(): number;
  featurePreviewTiles(): number;
  peers(): PeerInfo[];
  tools(): { tool: string; classId: number; brushSize: number; liveUpdate: boolean };
  layers(): { id: string; visible: boolean; opacity: number }[];
  voxelToClient(plane: Plane, u: number, v: number): { x: number; y: number } | null;
  connection(): { status: string; synced: boolean };
  renderStats(): Record<string, RenderStat>;
}

declare global {
  interface Window {
    __sylva?: SylvaHooks;
  }
}

/** Everything the hooks report at one moment. */
export interface Snapshot {
  readonly view: ViewState;
  readonly strokes: number;
  readonly probabilityTiles: number;
  readonly liveFrames: { received: number; generation: number };
  readonly rawTiles: number;
  readonly peers: PeerInfo[];
  readonly tools: { tool: string; classId: number; brushSize: number; liveUpdate: boolean };
  readonly layers: { id: string; visible: boolean; opacity: number }[];
  readonly connection: { status: string; synced: boolean };
  readonly renderStats: Record<string, RenderStat>;
}

/** Signs in as a user opens a printed link: a fresh page on /signin#token=…; resolves on /projects. */
export async function signIn(context: BrowserContext, platform: Platform, token: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${platform.url}/signin#token=${token}`);
  await page.waitForURL(/\/projects$/, { timeout: 30_000 });
  return page;
}

/** The hooks' values now, or null while the workspace has not installed them. */
export async function snapshot(page: Page): Promise<Snapshot | null> {
  return page.evaluate(() => {
    const h = window.__sylva;
    if (!h) return null;
    return {
      view: h.viewState(),
      strokes: h.strokeCount(),
      probabilityTiles: h.probabilityTiles(),
      liveFrames: h.liveFrames(),
      rawTiles: h.rawTilesLoaded(),
      peers: h.peers(),
      tools: h.tools(),
      layers: h.layers(),
      connection: h.connection(),
      renderStats: h.renderStats(),
    };
  });
}

/**
 * Polls the hooks until `ok` holds; returns that snapshot and when it was taken (Date.now()). On timeout
 * the error names `what` and shows the last snapshot.
 */
export async function waitForHook(
  page: Page,
  what: string,
  ok: (s: Snapshot) => boolean,
  timeout = 30_000,
  interval = 20,
): Promise<Snapshot & { at: number }> {
  const deadline = Date.now() + timeout;
  let last: Snapshot | null = null;
  for (;;) {
    last = await snapshot(page);
    const at = Date.now();
    if (last && ok(last)) return { ...last, at };
    if (at > deadline) {
      const shown = last ? { ...last, layers: undefined, tools: undefined } : null;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; last: ${JSON.stringify(shown)}`);
    }
    await page.waitForTimeout(interval);
  }
}

/** Waits until the workspace shows a dataset with fitted views, a synced document and loaded raw tiles. */
export async function waitForViewer(page: Page, planes: readonly Plane[] = ["xy"]): Promise<Snapshot> {
  return waitForHook(
    page,
    "the viewer to show a dataset",
    (s) =>
      s.view.datasetId !== null &&
      s.connection.synced &&
      s.rawTiles > 0 &&
      planes.every((p) => s.view.views[p].camera !== null && s.view.views[p].size.w > 0),
    60_000,
    50,
  );
}

/** Opens the project called `name` from the projects list and waits for its viewer. */
export async function openProject(page: Page, name: string, planes?: readonly Plane[]): Promise<string> {
  const card = page.locator('[data-testid^="project-pr_"]').filter({ hasText: name }).first();
  await card.waitFor({ timeout: 30_000 });
  await card.click();
  await page.waitForURL(/\/projects\/pr_/, { timeout: 30_000 });
  await waitForViewer(page, planes);
  const id = /\/projects\/(pr_[^/?#]+)/.exec(page.url())?.[1];
  if (!id) throw new Error(`no project id in ${page.url()}`);
  return id;
}

/** The page point of voxel (u, v) of a plane view (its centre). */
export async function voxelPoint(
  page: Page,
  plane: Plane,
  u: number,
  v: number,
): Promise<{ x: number; y: number }> {
  const p = await page.evaluate(([pl, uu, vv]) => window.__sylva?.voxelToClient(pl, uu, vv) ?? null, [
    plane,
    u,
    v,
  ] as const);
  if (!p) throw new Error(`voxel (${u}, ${v}) of ${plane} is not on screen`);
  return p;
}

/**
 * Paints one stroke with the current tool: a left-button drag through the screen points of the voxels
 * `points` ([u, v] in the plane), with intermediate mouse moves so the drag is continuous.
 */
export async function paintStroke(page: Page, plane: Plane, points: readonly (readonly [number, number])[]) {
  if (points.length === 0) return;
  const screen = [];
  for (const [u, v] of points) screen.push(await voxelPoint(page, plane, u, v));
  await page.mouse.move(screen[0].x, screen[0].y);
  await page.mouse.down();
  for (const p of screen.slice(1)) await page.mouse.move(p.x, p.y, { steps: 4 });
  await page.mouse.up();
}

/** The centre of an element in page coordinates. */
export async function centreOf(page: Page, testId: string): Promise<{ x: number; y: number }> {
  const box = await page.getByTestId(testId).boundingBox();
  if (!box) throw new Error(`${testId} is not visible`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/**
 * Colour statistics of a screenshot region, decoded by the page itself (no image library needed): the
 * fraction of pixels with a clear hue (max − min channel > 40) and the mean grey level.
 */
export async function colourStats(
  page: Page,
  png: Buffer,
): Promise<{ pixels: number; colouredFraction: number; meanGrey: number }> {
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("no 2D context");
    ctx.drawImage(bitmap, 0, 0);
    const d = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let coloured = 0;
    let grey = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      const r = d[i];
      const g = d[i + 1];
      const bl = d[i + 2];
      if (Math.max(r, g, bl) - Math.min(r, g, bl) > 40) coloured++;
      grey += (r + g + bl) / 3;
    }
    return { pixels: n, colouredFraction: coloured / n, meanGrey: grey / n };
  }, png.toString("base64"));
}

/**
 * Waits until the views have stopped loading: the raw and probability tile counts stay the same for
 * `quietMs` (at most `timeout`), then one more animation frame so the last tiles are drawn.
 */
export async function settle(page: Page, quietMs = 500, timeout = 20_000): Promise<void> {
  const started = Date.now();
  let last = "";
  let since = Date.now();
  while (Date.now() - started < timeout) {
    const s = await snapshot(page);
    const key = s ? `${s.rawTiles}/${s.probabilityTiles}` : "";
    if (key !== last) {
      last = key;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) break;
    await page.waitForTimeout(50);
  }
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  );
}

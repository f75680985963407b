// Camera math: zooming keeps the point under the mouse in place, fitting shows the whole plane.
import { describe, expect, it } from "vitest";
import { fitCamera, panBy, planeToScreen, screenToPlane, visibleRect, zoomAt } from "./camera";

const size = { w: 400, h: 300 };

describe("camera", () => {
  it("round-trips screen and plane coordinates", () => {
    const cam = { cu: 100, cv: 50, zoom: 2.5 };
    const p = screenToPlane(cam, size, 37, 211);
    const s = planeToScreen(cam, size, p.u, p.v);
    expect(s.x).toBeCloseTo(37);
    expect(s.y).toBeCloseTo(211);
  });

  it("zooms about the mouse", () => {
    const cam = { cu: 100, cv: 50, zoom: 1 };
    const before = screenToPlane(cam, size, 300, 40);
    const z = zoomAt(cam, size, 3, 300, 40);
    const after = screenToPlane(z, size, 300, 40);
    expect(z.zoom).toBe(3);
    expect(after.u).toBeCloseTo(before.u);
    expect(after.v).toBeCloseTo(before.v);
  });

  it("pans by screen pixels", () => {
    const cam = panBy({ cu: 10, cv: 10, zoom: 2 }, 20, -10);
    expect(cam).toEqual({ cu: 0, cv: 15, zoom: 2 });
  });

  it("fits the whole plane", () => {
    const cam = fitCamera(512, 30, size);
    const r = visibleRect(cam, size);
    expect(r.u0).toBeLessThanOrEqual(0);
    expect(r.u1).toBeGreaterThanOrEqual(512);
    expect(r.v0).toBeLessThanOrEqual(0);
    expect(r.v1).toBeGreaterThanOrEqual(30);
  });
});

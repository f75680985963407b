// Feature preview tiles over plain HTTP: one channel of one feature at one scale, on one level-0 tile
// of a plane, as float32 — what the viewer's "feature preview" layer draws so users can judge a feature.
//
//   GET /api/projects/<p>/datasets/<d>/features/<featureId>/<scale>/<in2d 0|1>/<plane>/<t>/<slice>/<tu>/<tv>?channel=<k>
//
// The tile's (z, y, x) box is the level-0 slab of live prediction (tile-plan.ts), computed with
// computeFeatureTile for the single entry {feature, scale, in2d} on the shared feature pool through the
// shared FeatureCache, so the numbers equal the whole-volume features bit for bit. channel k (default
// 0) picks one of the entry's channels (input channel × eigenvalue index, in the plan's order). The body
// is height × width float32, little-endian, row-major; headers X-Sylva-Dtype (float32), X-Sylva-Shape
// ("1,h,w"), X-Sylva-Origin ("u0,v0") and X-Sylva-Range ("min,max" of the tile). Same access rule as
// raw tiles: a role in the project, and the dataset belongs to it.

import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type FeatureEntry,
  type FeatureId,
  InvalidScaleError,
  isFeatureId,
  planeTile,
  TileRangeError,
} from "@sylva/core";
import { datasetIdSchema, projectIdSchema, scaleSchema } from "@sylva/shared";
import type { FeatureCache } from "../live/feature-cache.js";
import { computeFeatureTile, datasetPlan, featureKey } from "../live/feature-tiles.js";
import { geometryOf } from "../live/geometry.js";
import { tileBox } from "../live/tile-plan.js";
import type { FeaturePool } from "../pool/features-pool.js";
import { OpenDatasets, type RawTileDeps } from "./raw-tiles.js";

const ROUTE =
  /^\/api\/projects\/([^/]+)\/datasets\/([^/]+)\/features\/([^/]{1,16})\/([^/]{1,16})\/([^/]{1,4})\/(xy|xz|yz)\/(\d{1,9})\/(\d{1,9})\/(\d{1,7})\/(\d{1,7})$/;

export interface FeatureTileRequest {
  projectId: string;
  datasetId: string;
  feature: string;
  scale: string;
  in2d: string;
  plane: "xy" | "xz" | "yz";
  t: number;
  slice: number;
  tu: number;
  tv: number;
  /** The `channel` query parameter as sent (undefined: channel 0). */
  channel: string | null;
}

/** The request a URL names, or undefined when it is not a feature tile route (parts checked later). */
export function parseFeatureTilePath(url: URL): FeatureTileRequest | undefined {
  const m = ROUTE.exec(url.pathname);
  if (!m) return undefined;
  return {
    projectId: m[1],
    datasetId: m[2],
    feature: decodeURIComponent(m[3]),
    scale: decodeURIComponent(m[4]),
    in2d: m[5],
    plane: m[6] as FeatureTileRequest["plane"],
    t: Number(m[7]),
    slice: Number(m[8]),
    tu: Number(m[9]),
    tv: Number(m[10]),
    channel: url.searchParams.get("channel"),
  };
}

export interface FeatureTileDeps extends RawTileDeps {
  readonly featurePool: FeaturePool;
  readonly featureCache: FeatureCache;
}

function fail(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: message }));
}

/** The smallest and largest finite value (0,0 when there is none). */
function valueRange(a: Float32Array): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of a)
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  return lo <= hi ? [lo, hi] : [0, 0];
}

export function featureTileHandler(deps: FeatureTileDeps) {
  const open = new OpenDatasets();
  return async (
    req: IncomingMessage,
    res: ServerResponse,
    user: string,
    q: FeatureTileRequest,
  ): Promise<void> => {
    if (!projectIdSchema.safeParse(q.projectId).success)
      return fail(res, 400, `"${q.projectId}" is not a project id`);
    if (!datasetIdSchema.safeParse(q.datasetId).success)
      return fail(res, 400, `"${q.datasetId}" is not a dataset id`);
    if (!isFeatureId(q.feature)) return fail(res, 400, `"${q.feature}" is not a feature id`);
    const feature: FeatureId = q.feature;
    const scaleText = q.scale.trim();
    const parsedScale = scaleSchema.safeParse(scaleText === "" ? Number.NaN : Number(scaleText));
    if (!parsedScale.success)
      return fail(res, 400, `"${q.scale}" is not a scale: ${parsedScale.error.issues[0]?.message}`);
    const scale = parsedScale.data;
    if (q.in2d !== "0" && q.in2d !== "1") return fail(res, 400, `in2d must be 0 or 1, got "${q.in2d}"`);
    const channelText = q.channel ?? "0";
    if (!/^\d{1,4}$/.test(channelText)) return fail(res, 400, `"${channelText}" is not a channel index`);
    const channel = Number(channelText);

    const manifest = await deps.datasetInProject(user, q.projectId, q.datasetId);
    if (!manifest) return fail(res, 404, `dataset ${q.datasetId} not found in project ${q.projectId}`);
    const g = geometryOf(manifest);
    const entries: FeatureEntry[] = [{ feature, scale, in2d: q.in2d === "1" }];
    let channels: number;
    try {
      channels = datasetPlan(g, entries).channelCount;
    } catch (e) {
      if (e instanceof InvalidScaleError) return fail(res, 400, e.message);
      throw e;
    }
    if (channel >= channels)
      return fail(res, 400, `channel ${channel} is outside 0…${channels - 1} of ${feature} σ=${scale}`);
    let tile: ReturnType<typeof planeTile>;
    try {
      tile = planeTile(manifest.axes, manifest.shape, { ...q, level: 0 });
    } catch (e) {
      if (e instanceof TileRangeError) return fail(res, 404, e.message);
      throw e;
    }
    const etag = `"${q.datasetId}/${feature}/${scale}/${q.in2d}/${channel}/${q.plane}/${q.t}/${q.slice}/${q.tu}/${q.tv}"`;
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }

    const box = tileBox(g, {
      datasetId: g.id,
      t: q.t,
      plane: q.plane,
      slice: q.slice,
      level: 0,
      tu: q.tu,
      tv: q.tv,
    });
    const source = { geometry: g, dataset: open.get(deps.store, manifest) };
    // A client that goes away (the view moved on) stops wanting the computation.
    const gone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gone.abort(new DOMException("the client went away", "AbortError"));
    });
    let features: Float32Array;
    try {
      features = await deps.featureCache.get(
        featureKey(g, entries, q.t, box),
        (signal) => computeFeatureTile(deps.featurePool, source, entries, q.t, box, signal),
        gone.signal,
      );
    } catch (e) {
      if (gone.signal.aborted) return;
      throw e;
    }
    const pixels = tile.width * tile.height;
    if (features.length !== pixels * channels)
      throw new Error(`feature tile has ${features.length} values, expected ${pixels} × ${channels}`);
    const out = new Float32Array(pixels);
    for (let i = 0; i < pixels; i++) out[i] = features[i * channels + channel];
    const [lo, hi] = valueRange(out);
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": out.byteLength,
      "cache-control": "private, max-age=3600",
      etag,
      "x-sylva-dtype": "float32",
      "x-sylva-shape": `1,${tile.height},${tile.width}`,
      "x-sylva-origin": `${tile.u0},${tile.v0}`,
      "x-sylva-range": `${lo},${hi}`,
    });
    res.end(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  };
}

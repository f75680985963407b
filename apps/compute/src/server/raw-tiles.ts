// Raw tiles over plain HTTP: one TILE_SIZE² tile of one plane of a dataset's pyramid level, as the
// dataset's own samples, so browsers cache it (datasets never change once published).
//
//   GET /api/projects/<projectId>/datasets/<datasetId>/tiles/<level>/<plane>/<t>/<slice>/<tu>/<tv>
//
// plane is xy, xz or yz; slice and t are level-0 indices; (tu, tv) the tile's column and row at that
// level (core's planeTile). The body is channels × height × width samples, little-endian, row-major;
// headers X-Sylva-Dtype, X-Sylva-Shape ("c,h,w") and X-Sylva-Origin ("u0,v0", level pixels) describe it.
// The caller needs a role in the project, and the dataset must belong to it.

import type { IncomingMessage, ServerResponse } from "node:http";
import { planeTile, TileRangeError } from "@sylva/core";
import { type DatasetManifest, datasetIdSchema, projectIdSchema } from "@sylva/shared";
import { type OpenDataset, openManifest } from "../datasets/open.js";
import type { BlobStore } from "../storage/blob-store.js";

const ROUTE =
  /^\/api\/projects\/([^/]+)\/datasets\/([^/]+)\/tiles\/(\d{1,2})\/(xy|xz|yz)\/(\d{1,9})\/(\d{1,9})\/(\d{1,7})\/(\d{1,7})$/;

export interface RawTileRequest {
  projectId: string;
  datasetId: string;
  level: number;
  plane: "xy" | "xz" | "yz";
  t: number;
  slice: number;
  tu: number;
  tv: number;
}

/** The tile a path names, or undefined when the path is not a raw tile route. */
export function parseRawTilePath(pathname: string): RawTileRequest | undefined {
  const m = ROUTE.exec(pathname);
  if (!m) return undefined;
  return {
    projectId: m[1],
    datasetId: m[2],
    level: Number(m[3]),
    plane: m[4] as RawTileRequest["plane"],
    t: Number(m[5]),
    slice: Number(m[6]),
    tu: Number(m[7]),
    tv: Number(m[8]),
  };
}

export interface RawTileDeps {
  readonly store: BlobStore;
  /** The caller (already authenticated) may read the project and the dataset belongs to it. */
  readonly datasetInProject: (
    user: string,
    projectId: string,
    datasetId: string,
  ) => Promise<DatasetManifest | undefined>;
}

/** A small LRU of opened datasets (their zarrita arrays), so tile requests skip re-reading metadata. */
export class OpenDatasets {
  private readonly map = new Map<string, OpenDataset>();
  constructor(private readonly capacity = 64) {}
  get(store: BlobStore, manifest: DatasetManifest): OpenDataset {
    let ds = this.map.get(manifest.id);
    if (ds) this.map.delete(manifest.id);
    else ds = openManifest(store, manifest);
    this.map.set(manifest.id, ds);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
    return ds;
  }
}

function fail(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: message }));
}

export function rawTileHandler(deps: RawTileDeps) {
  const open = new OpenDatasets();
  return async (
    req: IncomingMessage,
    res: ServerResponse,
    user: string,
    q: RawTileRequest,
  ): Promise<void> => {
    if (!projectIdSchema.safeParse(q.projectId).success)
      return fail(res, 400, `"${q.projectId}" is not a project id`);
    if (!datasetIdSchema.safeParse(q.datasetId).success)
      return fail(res, 400, `"${q.datasetId}" is not a dataset id`);
    const manifest = await deps.datasetInProject(user, q.projectId, q.datasetId);
    if (!manifest) return fail(res, 404, `dataset ${q.datasetId} not found in project ${q.projectId}`);
    const etag = `"${q.datasetId}/${q.level}/${q.plane}/${q.t}/${q.slice}/${q.tu}/${q.tv}"`;
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    let tile: ReturnType<typeof planeTile>;
    try {
      tile = planeTile(manifest.axes, manifest.shape, q);
    } catch (e) {
      if (e instanceof TileRangeError) return fail(res, 404, e.message);
      throw e;
    }
    const reader = await open.get(deps.store, manifest).level(q.level);
    const volume = await reader.read({ start: tile.start, stop: tile.stop });
    const data = volume.data;
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": data.byteLength,
      "cache-control": "private, max-age=31536000, immutable",
      etag,
      "x-sylva-dtype": manifest.dtype,
      "x-sylva-shape": `${tile.channels},${tile.height},${tile.width}`,
      "x-sylva-origin": `${tile.u0},${tile.v0}`,
    });
    res.end(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  };
}

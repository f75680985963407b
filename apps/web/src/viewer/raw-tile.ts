// One raw tile from the compute service: GET /api/projects/<p>/datasets/<d>/tiles/<level>/<plane>/<t>/
// <slice>/<tu>/<tv> answers little-endian samples (X-Sylva-Dtype, X-Sylva-Shape "c,h,w", X-Sylva-Origin
// "u0,v0"); decoded here into float32 planes, one per channel.
import { authHeaders } from "../lib/auth";
import type { Plane } from "./geometry";

export interface RawTileAddress {
  readonly projectId: string;
  readonly datasetId: string;
  readonly level: number;
  readonly plane: Plane;
  readonly t: number;
  /** A level-0 slice (any slice that falls on the wanted level slice). */
  readonly slice: number;
  readonly tu: number;
  readonly tv: number;
}

export interface RawTile {
  readonly dtype: string;
  readonly channels: number;
  readonly width: number;
  readonly height: number;
  readonly u0: number;
  readonly v0: number;
  /** channels × height × width samples as float32, channel-major. */
  readonly data: Float32Array;
  /** Range of channel 0. */
  readonly min: number;
  readonly max: number;
}

export function rawTileUrl(a: RawTileAddress): string {
  return `/api/projects/${a.projectId}/datasets/${a.datasetId}/tiles/${a.level}/${a.plane}/${a.t}/${a.slice}/${a.tu}/${a.tv}`;
}

function samples(dtype: string, buf: ArrayBuffer): ArrayLike<number> {
  switch (dtype) {
    case "uint8":
      return new Uint8Array(buf);
    case "int8":
      return new Int8Array(buf);
    case "uint16":
      return new Uint16Array(buf);
    case "int16":
      return new Int16Array(buf);
    case "uint32":
      return new Uint32Array(buf);
    case "int32":
      return new Int32Array(buf);
    case "float32":
      return new Float32Array(buf);
    case "float64":
      return new Float64Array(buf);
    default:
      throw new Error(`unsupported dtype ${dtype}`);
  }
}

/** Decodes a tile response body with its headers. */
export function decodeRawTile(headers: Headers, buf: ArrayBuffer): RawTile {
  const dtype = headers.get("x-sylva-dtype") ?? "uint8";
  const [c, h, w] = (headers.get("x-sylva-shape") ?? "").split(",").map(Number);
  const [u0, v0] = (headers.get("x-sylva-origin") ?? "0,0").split(",").map(Number);
  if (!(c > 0 && h > 0 && w > 0)) throw new Error("raw tile without a valid X-Sylva-Shape");
  const src = samples(dtype, buf);
  if (src.length !== c * h * w) throw new Error(`raw tile has ${src.length} samples, expected ${c * h * w}`);
  const data = src instanceof Float32Array ? src : Float32Array.from(src);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < h * w; i++) {
    const v = data[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { dtype, channels: c, width: w, height: h, u0, v0, data, min, max };
}

export async function fetchRawTile(a: RawTileAddress, signal?: AbortSignal): Promise<RawTile> {
  const res = await fetch(rawTileUrl(a), { headers: authHeaders(), signal });
  if (!res.ok) throw new Error(`raw tile ${rawTileUrl(a)}: HTTP ${res.status}`);
  return decodeRawTile(res.headers, await res.arrayBuffer());
}

// Live tile frames: the binary messages that carry probability, uncertainty and segmentation tiles
// from the compute service to a client, on the project's sync websocket (y-websocket message type
// TILE_MESSAGE_TYPE, which y-websocket clients route to `provider.messageHandlers[100]`).
//
// Layout (all integers little-endian), after the leading varuint message type 100:
//   offset  size  field
//   0       4     magic "SYT1"
//   4       1     layer: 0 probabilities, 1 uncertainty, 2 segmentation
//   5       1     plane: 0 xy, 1 xz, 2 yz
//   6       1     level (pyramid level of the tile's pixels)
//   7       1     n: number of class ids that follow
//   8       4     generation (the classifier generation the tile was predicted with)
//   12      4     t
//   16      4     slice (level-0 voxels)
//   20      4     u0: the tile's first column, in level pixels
//   24      4     v0: the tile's first row, in level pixels
//   28      2     width (level pixels)
//   30      2     height
//   32      16    dataset id, ASCII ("ds_" + 12), zero-padded
//   48      n     class ids (1…99), in the order of the probability planes
//   48+n    ...   payload, row-major (v, then u):
//                 probabilities: n planes of width × height uint8, round(255 p)
//                 uncertainty:   1 plane, round(255 (1 − (p_max − p_second)))
//                 segmentation:  1 plane of class ids (0 where nothing is predicted)
// Clients keep showing a tile's previous generation until a frame of a newer generation replaces it.

import type { Plane } from "@sylva/core";
import { PLANES } from "./stroke.js";
import { LIVE_LAYERS, type LiveLayer } from "./view.js";

export const TILE_MESSAGE_TYPE = 100;
const MAGIC = [0x53, 0x59, 0x54, 0x31]; // "SYT1"
export const TILE_HEADER_BYTES = 48;

export interface TileFrame {
  layer: LiveLayer;
  plane: Plane;
  level: number;
  generation: number;
  datasetId: string;
  t: number;
  slice: number;
  u0: number;
  v0: number;
  width: number;
  height: number;
  classIds: readonly number[];
  /** probabilities: classIds.length × width × height bytes; otherwise width × height. */
  data: Uint8Array;
}

export class TileFrameError extends Error {
  override readonly name = "TileFrameError";
}

function payloadBytes(f: Pick<TileFrame, "layer" | "width" | "height" | "classIds">): number {
  return (f.layer === "probabilities" ? f.classIds.length : 1) * f.width * f.height;
}

/** The frame's bytes, without the y-websocket message type prefix. */
export function encodeTileFrame(f: TileFrame): Uint8Array {
  const n = f.classIds.length;
  if (n > 255) throw new TileFrameError(`a tile frame carries at most 255 classes, got ${n}`);
  if (f.datasetId.length > 16) throw new TileFrameError(`dataset id "${f.datasetId}" is longer than 16`);
  const expected = payloadBytes(f);
  if (f.data.length !== expected)
    throw new TileFrameError(`tile payload is ${f.data.length} bytes, expected ${expected}`);
  const out = new Uint8Array(TILE_HEADER_BYTES + n + expected);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = LIVE_LAYERS.indexOf(f.layer);
  out[5] = PLANES.indexOf(f.plane);
  out[6] = f.level;
  out[7] = n;
  dv.setUint32(8, f.generation, true);
  dv.setUint32(12, f.t, true);
  dv.setUint32(16, f.slice, true);
  dv.setUint32(20, f.u0, true);
  dv.setUint32(24, f.v0, true);
  dv.setUint16(28, f.width, true);
  dv.setUint16(30, f.height, true);
  for (let i = 0; i < f.datasetId.length; i++) out[32 + i] = f.datasetId.charCodeAt(i) & 0x7f;
  out.set(f.classIds, TILE_HEADER_BYTES);
  out.set(f.data, TILE_HEADER_BYTES + n);
  return out;
}

/** Parses a frame (without the message type prefix); a TileFrameError names what is wrong. */
export function decodeTileFrame(bytes: Uint8Array): TileFrame {
  if (bytes.length < TILE_HEADER_BYTES)
    throw new TileFrameError(`tile frame of ${bytes.length} bytes is truncated`);
  for (let i = 0; i < 4; i++)
    if (bytes[i] !== MAGIC[i]) throw new TileFrameError("not a tile frame (magic is not SYT1)");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const layer = LIVE_LAYERS[bytes[4]];
  const plane = PLANES[bytes[5]];
  if (layer === undefined) throw new TileFrameError(`unknown tile layer ${bytes[4]}`);
  if (plane === undefined) throw new TileFrameError(`unknown tile plane ${bytes[5]}`);
  const n = bytes[7];
  let idEnd = 32;
  while (idEnd < 48 && bytes[idEnd] !== 0) idEnd++;
  const frame: TileFrame = {
    layer,
    plane,
    level: bytes[6],
    generation: dv.getUint32(8, true),
    t: dv.getUint32(12, true),
    slice: dv.getUint32(16, true),
    u0: dv.getUint32(20, true),
    v0: dv.getUint32(24, true),
    width: dv.getUint16(28, true),
    height: dv.getUint16(30, true),
    datasetId: String.fromCharCode(...bytes.subarray(32, idEnd)),
    classIds: [...bytes.subarray(TILE_HEADER_BYTES, TILE_HEADER_BYTES + n)],
    data: new Uint8Array(0),
  };
  const start = TILE_HEADER_BYTES + n;
  const size = payloadBytes(frame);
  if (bytes.length !== start + size)
    throw new TileFrameError(`tile frame is ${bytes.length} bytes, expected ${start + size}`);
  frame.data = bytes.subarray(start, start + size);
  return frame;
}

import { describe, expect, it } from "vitest";
import {
  decodeTileFrame,
  encodeTileFrame,
  TILE_HEADER_BYTES,
  type TileFrame,
  TileFrameError,
} from "../src/index.js";

const frame = (over: Partial<TileFrame> = {}): TileFrame => ({
  layer: "probabilities",
  plane: "xz",
  level: 2,
  generation: 4_000_000_001,
  datasetId: "ds_abcdefghijkm",
  t: 3,
  slice: 70_000,
  u0: 256,
  v0: 512,
  width: 3,
  height: 2,
  classIds: [1, 4],
  data: Uint8Array.from({ length: 12 }, (_, i) => i * 20),
  ...over,
});

describe("tile frames", () => {
  it("round-trip every field", () => {
    for (const f of [
      frame(),
      frame({ layer: "uncertainty", plane: "yz", data: new Uint8Array(6).fill(7) }),
      frame({ layer: "segmentation", plane: "xy", classIds: [], data: new Uint8Array(6).fill(2) }),
    ]) {
      const bytes = encodeTileFrame(f);
      expect(bytes.length).toBe(TILE_HEADER_BYTES + f.classIds.length + f.data.length);
      const back = decodeTileFrame(bytes);
      expect({ ...back, data: [...back.data] }).toEqual({
        ...f,
        classIds: [...f.classIds],
        data: [...f.data],
      });
    }
  });

  it("decodes at an offset inside a larger buffer", () => {
    const bytes = encodeTileFrame(frame());
    const big = new Uint8Array(bytes.length + 5);
    big.set(bytes, 5);
    expect(decodeTileFrame(big.subarray(5)).generation).toBe(4_000_000_001);
  });

  it("refuses bad payload sizes, truncation and foreign bytes with a named problem", () => {
    expect(() => encodeTileFrame(frame({ data: new Uint8Array(5) }))).toThrow(
      /payload is 5 bytes, expected 12/,
    );
    const bytes = encodeTileFrame(frame());
    expect(() => decodeTileFrame(bytes.subarray(0, 20))).toThrow(TileFrameError);
    expect(() => decodeTileFrame(bytes.subarray(0, bytes.length - 1))).toThrow(/expected/);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeTileFrame(bad)).toThrow(/magic/);
    bad.set(bytes);
    bad[4] = 9;
    expect(() => decodeTileFrame(bad)).toThrow(/unknown tile layer 9/);
  });
});

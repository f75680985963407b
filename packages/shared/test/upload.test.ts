import { describe, expect, it } from "vitest";
import { decodeUpload, encodeUpload, UploadFormatError } from "../src/index.js";

describe("upload bodies", () => {
  it("round-trip names (UTF-8) and bytes of several files", () => {
    const files = [
      { name: "slice 01.png", bytes: Uint8Array.from([1, 2, 3]) },
      { name: "données-é.tif", bytes: new Uint8Array(0) },
      { name: "c.h5", bytes: new Uint8Array(1000).fill(7) },
    ];
    const back = decodeUpload(encodeUpload(files));
    expect(back.map((f) => [f.name, [...f.bytes]])).toEqual(files.map((f) => [f.name, [...f.bytes]]));
  });

  it("names what is wrong with a malformed body", () => {
    const body = encodeUpload([{ name: "a.png", bytes: Uint8Array.from([1, 2, 3, 4]) }]);
    expect(() => decodeUpload(body.subarray(0, body.length - 1))).toThrow(/ends inside file 1 \("a.png"\)/);
    expect(() => decodeUpload(Uint8Array.from([...body, 0]))).toThrow(/1 bytes after its last file/);
    const bad = body.slice();
    bad[0] = 0x41;
    expect(() => decodeUpload(bad)).toThrow(UploadFormatError);
    expect(() => encodeUpload([])).toThrow(/1 to 10000 files/);
    expect(() => encodeUpload([{ name: "", bytes: new Uint8Array(1) }])).toThrow(/1 to 255 bytes/);
  });
});

// The Sylva classifier file (serialize.ts): round trips bit for bit, and every damaged or foreign file
// fails with a ClassifierFormatError that says what is wrong.

import { describe, expect, it } from "vitest";
import type { Classifier, FeatureEntry, Forest } from "../src/index.js";
import {
  CLASSIFIER_MAGIC,
  ClassifierFormatError,
  crc32,
  decodeClassifier,
  encodeClassifier,
  predictForest,
  trainForest,
} from "../src/index.js";

function sampleForest(classes = 3): Forest {
  const n = 400;
  const F = 5;
  const samples = new Float32Array(n * F);
  const labels = new Uint8Array(n);
  let s = 17;
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      samples[i * F + f] = s / 2 ** 32 - 0.25;
    }
    labels[i] = 1 + Math.min(classes - 1, Math.floor(samples[i * F] * 1.33 * classes + 0.33 * classes));
  }
  return trainForest(samples, labels, F, { trees: 7, seed: 2 });
}

const features: FeatureEntry[] = [
  { feature: "GS", scale: 0.3, in2d: false },
  { feature: "GS", scale: 1, in2d: false },
  { feature: "LoG", scale: 1.6, in2d: false },
  { feature: "HoGE", scale: 0.7, in2d: true },
];

function classifier(): Classifier {
  return {
    forest: sampleForest(),
    features,
    classes: [
      { name: "Membrane", color: [255, 0, 0] },
      { name: "Cytoplasm ✓", color: [0, 255, 0] },
      { name: "Background", color: [0, 0, 255] },
    ],
    meta: { images: "a.png,b.png", note: "ünïcödé" },
  };
}

function formatError(fn: () => unknown): ClassifierFormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ClassifierFormatError);
    return e as ClassifierFormatError;
  }
  throw new Error("expected a ClassifierFormatError");
}

/** Rewrites the JSON header (and keeps the data section), fixing the header length. */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const len = dv.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + len)));
  const dataStart = Math.ceil((16 + len) / 8) * 8;
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((16 + json.length) / 8) * 8;
  const out = new Uint8Array(start + bytes.length - dataStart);
  out.set(bytes.subarray(0, 16));
  new DataView(out.buffer).setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(bytes.subarray(dataStart), start);
  return out;
}

describe("classifier files", () => {
  it("round-trip forest, features, classes and meta bit for bit", () => {
    const c = classifier();
    const bytes = encodeClassifier(c);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe(CLASSIFIER_MAGIC);
    expect(new DataView(bytes.buffer).getUint32(8, true)).toBe(1);
    const d = decodeClassifier(bytes);
    expect(d.version).toBe(1);
    expect(d.features).toEqual(features);
    expect(d.classes).toEqual(c.classes);
    expect(d.meta).toEqual(c.meta);
    expect(d.forest.featureCount).toBe(c.forest.featureCount);
    expect(d.forest.classCount).toBe(3);
    expect(d.forest.trees).toHaveLength(7);
    d.forest.trees.forEach((t, i) => {
      const o = c.forest.trees[i];
      for (const name of ["feature", "threshold", "left", "right", "leaf", "leafValues"] as const) {
        expect(t[name].constructor).toBe(o[name].constructor);
        const a = new Uint8Array(t[name].buffer, t[name].byteOffset, t[name].byteLength);
        const b = new Uint8Array(o[name].buffer, o[name].byteOffset, o[name].byteLength);
        expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
        expect(t[name].byteOffset % 8).toBe(0);
      }
    });
    // The decoded forest predicts exactly as the original.
    const x = new Float32Array(500).map((_, i) => Math.sin(i) * 0.6);
    expect(Array.from(predictForest(d.forest, x))).toEqual(Array.from(predictForest(c.forest, x)));
    // Encoding the decoded classifier gives the same bytes; decoding works from an unaligned copy too.
    expect(Buffer.from(encodeClassifier(d)).equals(Buffer.from(bytes))).toBe(true);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeClassifier(shifted.subarray(3)).forest.trees[3].threshold).toEqual(
      c.forest.trees[3].threshold,
    );
  });

  it("aligns every array to 8 bytes in the file", () => {
    const bytes = encodeClassifier(classifier());
    const len = new DataView(bytes.buffer).getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + len)));
    const dataStart = Math.ceil((16 + len) / 8) * 8;
    expect(dataStart % 8).toBe(0);
    for (const t of header.trees)
      for (const name of ["feature", "threshold", "left", "right", "leaf", "leafValues"])
        expect(t[name][0] % 8).toBe(0);
    expect(crc32(bytes.subarray(dataStart))).toBe(header.crc32);
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926); // the CRC-32 check value
  });

  it("refuses newer versions with an upgrade message", () => {
    const bytes = encodeClassifier(classifier());
    new DataView(bytes.buffer).setUint32(8, 7, true);
    expect(formatError(() => decodeClassifier(bytes)).message).toBe(
      "classifier file version 7 is newer than this Sylva understands (1); upgrade Sylva",
    );
  });

  it("reports truncated files", () => {
    const bytes = encodeClassifier(classifier());
    for (const cut of [0, 5, 15, 16, 100, bytes.length - 1]) {
      const e = formatError(() => decodeClassifier(bytes.subarray(0, cut)));
      expect(e.message).toMatch(/too short|truncated/);
    }
    expect(formatError(() => decodeClassifier(bytes.subarray(0, bytes.length - 8))).message).toMatch(
      /truncated classifier file: \d+ bytes, \d+ expected \(8 missing\)/,
    );
  });

  it("reports foreign and corrupt files", () => {
    const bytes = encodeClassifier(classifier());
    const png = new Uint8Array(64);
    png.set([0x89, 0x50, 0x4e, 0x47]);
    expect(formatError(() => decodeClassifier(png)).message).toMatch(/not a Sylva classifier file/);

    const flipped = bytes.slice();
    flipped[flipped.length - 20] ^= 0x10;
    expect(formatError(() => decodeClassifier(flipped)).message).toMatch(/checksum/);

    const badJson = bytes.slice();
    badJson[16] = 0x5b; // "[" … breaks the JSON object
    badJson[17] = 0x7d;
    expect(formatError(() => decodeClassifier(badJson)).message).toMatch(/not valid JSON|not a JSON object/);

    const fewer = withHeader(bytes, (h) => {
      (h.classes as unknown[]).pop();
    });
    expect(formatError(() => decodeClassifier(fewer)).message).toMatch(/3 classes expected/);

    const wrongLength = withHeader(bytes, (h) => {
      const t = (h.trees as Record<string, number[]>[])[0];
      t.leaf = [t.leaf[0], t.leaf[1] + 1];
    });
    expect(formatError(() => decodeClassifier(wrongLength)).message).toMatch(/tree 0's leaf has \d+ entries/);

    const outside = withHeader(bytes, (h) => {
      const t = (h.trees as Record<string, number[]>[])[2];
      t.threshold = [h.dataLength as number, t.threshold[1]];
    });
    expect(formatError(() => decodeClassifier(outside)).message).toMatch(/outside the data section/);

    const unknownFeature = withHeader(bytes, (h) => {
      (h.features as Record<string, unknown>[])[0].feature = "XYZ";
    });
    expect(formatError(() => decodeClassifier(unknownFeature)).message).toMatch(/feature entry 0/);
  });

  it("checks the decoded forest's structure (checkForest), even with a valid checksum", () => {
    const bytes = encodeClassifier(classifier());
    const len = new DataView(bytes.buffer).getUint32(12, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + len)));
    const dataStart = Math.ceil((16 + len) / 8) * 8;
    // Point tree 0's root's left child back at the root: structurally invalid, though the file is intact.
    const at = dataStart + header.trees[0].left[0];
    new DataView(bytes.buffer).setInt32(at, 0, true);
    const patched = withHeader(bytes, (h) => {
      h.crc32 = crc32(bytes.subarray(dataStart));
    });
    expect(formatError(() => decodeClassifier(patched)).message).toMatch(
      /corrupt classifier file: tree 0 node 0: child 0 out of range/,
    );
  });

  it("validates what it encodes", () => {
    const c = classifier();
    expect(() => encodeClassifier({ ...c, classes: c.classes.slice(0, 2) })).toThrow(/3 classes but 2/);
    expect(() =>
      encodeClassifier({ ...c, classes: [...c.classes.slice(0, 2), { name: "x", color: [0, 0, 256] }] }),
    ).toThrow(/color/);
    expect(() => encodeClassifier({ ...c, meta: { a: 1 as unknown as string } })).toThrow(/meta "a"/);
  });
});

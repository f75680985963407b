// Where the shared real data is, and reading it eagerly (the "source" that imported datasets must equal).

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Volume } from "@sylva/core";
import { decodeImage, naturalCompare, stackImages } from "@sylva/core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const SHARED = path.resolve(here, "../../../../../shared");
export const DATA = path.join(SHARED, "data");
export const ISBI_RAW = path.join(DATA, "isbi2012/raw");
export const MITOCHECK = path.join(DATA, "ilastik/mitocheck_2d+t/mitocheck_small_2D+t.h5");
export const T5 = path.join(DATA, "ilastik/5t2d1c.h5");
export const NGFF_SPECS = path.join(SHARED, "specs/ngff-0.4");
export const PYTHON = "/usr/bin/python3";

/** The ISBI raw stack as one "zyx" volume, decoded file by file. */
export async function isbiStack(count = 30): Promise<Volume> {
  const names = readdirSync(ISBI_RAW).sort(naturalCompare).slice(0, count);
  const volumes: Volume[] = [];
  for (const n of names)
    volumes.push(await decodeImage(new Uint8Array(readFileSync(path.join(ISBI_RAW, n))), n));
  return stackImages(volumes, names);
}

/** A deterministic pseudo-random integer in [0, n). */
export function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

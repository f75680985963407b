// File-name wildcards for import sources ("raw/*.png", "stack/slice_??.tif", "t[0-9].tif"): matched in
// the last path segment only, files in natural order ("2" before "10"). Node 20 has no fs.glob.

import { readdir } from "node:fs/promises";
import path from "node:path";
import { naturalCompare } from "@sylva/core";
import { InputError } from "./errors.js";

const WILDCARD = /[*?[]/;

export function hasWildcard(spec: string): boolean {
  return WILDCARD.test(path.basename(spec));
}

/** The regular expression of a file-name pattern: * any run, ? one character, [abc] / [a-z] / [!a] a class. */
export function patternRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "[") {
      const end = pattern.indexOf("]", i + 2);
      if (end < 0) throw new InputError(pattern, `unclosed [ in the file pattern "${pattern}"`);
      let body = pattern.slice(i + 1, end);
      if (body.startsWith("!")) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else re += ch.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/** The files a pattern names, naturally sorted; an InputError when none match. Hidden files need a leading "." in the pattern. */
export async function expandGlob(spec: string): Promise<string[]> {
  const dir = path.dirname(spec);
  if (WILDCARD.test(dir))
    throw new InputError(spec, `wildcards are allowed in the file name only, not in the folder "${dir}"`);
  const pattern = path.basename(spec);
  const re = patternRegExp(pattern);
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && re.test(e.name))
      .filter((e) => !e.name.startsWith(".") || pattern.startsWith("."))
      .map((e) => e.name);
  } catch (e) {
    throw new InputError(spec, `cannot list folder ${dir}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  if (names.length === 0) throw new InputError(spec, `no files match ${spec}`);
  return names.sort(naturalCompare).map((n) => path.join(dir, n));
}

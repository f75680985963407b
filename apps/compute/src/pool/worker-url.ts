// Where a pool's worker script is: beside the compiled pool in dist/, also when the pool itself runs
// from its TypeScript source (under vitest), since worker threads run JavaScript files only.

/** The URL of compiled worker `name` (e.g. "forest-worker.js") for a pool module at `moduleUrl`. */
export function workerUrl(name: string, moduleUrl: string): URL {
  return moduleUrl.endsWith(".ts")
    ? new URL(`../../dist/pool/${name}`, moduleUrl)
    : new URL(`./${name}`, moduleUrl);
}

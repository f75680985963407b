// The shared feature cache (src/live/feature-cache.ts): least recently used entries go first once the
// byte bound is reached, concurrent requests share one computation, and a computation is aborted only
// when every request for it has been (and not when a request re-joins in the same turn).

import { describe, expect, it } from "vitest";
import { FeatureCache, featureCacheBytesFromEnv } from "../../src/live/feature-cache.js";

const floats = (n: number, v = 1) => new Float32Array(n).fill(v);

/** A computation that resolves when told to, recording its signal. */
function deferred() {
  let resolve!: (v: Float32Array) => void;
  let signal: AbortSignal | undefined;
  let calls = 0;
  const compute = (s: AbortSignal) => {
    calls++;
    signal = s;
    return new Promise<Float32Array>((res, rej) => {
      resolve = res;
      s.addEventListener("abort", () => rej(s.reason), { once: true });
    });
  };
  return { compute, resolve: (v: Float32Array) => resolve(v), signal: () => signal, calls: () => calls };
}

const turn = () => new Promise((r) => setImmediate(r));

describe("feature cache", () => {
  it("keeps at most its byte bound, dropping the least recently used", async () => {
    const cache = new FeatureCache({ maxBytes: 1000 });
    for (const k of ["a", "b"]) await cache.get(k, async () => floats(100)); // 400 bytes each
    expect(cache.bytes).toBe(800);
    await cache.get("a", async () => floats(100)); // a is now the most recent
    await cache.get("c", async () => floats(100));
    expect(cache.bytes).toBeLessThanOrEqual(1000);
    expect(cache.has("a")).toBe(true);
    expect(cache.has("b")).toBe(false);
    expect(cache.has("c")).toBe(true);
    // Larger than the whole bound: returned, not kept.
    const big = await cache.get("big", async () => floats(1000));
    expect(big.length).toBe(1000);
    expect(cache.has("big")).toBe(false);
    const stats = cache.stats();
    expect(stats).toMatchObject({
      entries: 2,
      bytes: 800,
      maxBytes: 1000,
      hits: 1,
      computed: 4,
      evictions: 1,
    });
  });

  it("shares one computation between concurrent requests", async () => {
    const cache = new FeatureCache({ maxBytes: 1 << 20 });
    const d = deferred();
    const p1 = cache.get("k", d.compute);
    const p2 = cache.get("k", d.compute, new AbortController().signal);
    expect(cache.hasOrPending("k")).toBe(true);
    d.resolve(floats(4, 7));
    const [a, b] = await Promise.all([p1, p2]);
    expect(a).toBe(b);
    expect(d.calls()).toBe(1);
    expect(cache.stats()).toMatchObject({ joined: 1, computed: 1 });
  });

  it("aborts a computation only when every request for it is aborted", async () => {
    const cache = new FeatureCache({ maxBytes: 1 << 20 });
    const d = deferred();
    const c1 = new AbortController();
    const c2 = new AbortController();
    const p1 = cache.get("k", d.compute, c1.signal);
    const p2 = cache.get("k", d.compute, c2.signal);
    c1.abort(new DOMException("one", "AbortError"));
    await expect(p1).rejects.toThrow("one");
    await turn();
    expect(d.signal()!.aborted).toBe(false);
    c2.abort(new DOMException("two", "AbortError"));
    await expect(p2).rejects.toThrow("two");
    await turn();
    expect(d.signal()!.aborted).toBe(true);
    expect(cache.hasOrPending("k")).toBe(false);
    expect(cache.stats().aborted).toBe(1);
  });

  it("lets a request that cancels and asks again in the same turn keep the computation", async () => {
    const cache = new FeatureCache({ maxBytes: 1 << 20 });
    const d = deferred();
    const c1 = new AbortController();
    const p1 = cache.get("k", d.compute, c1.signal);
    c1.abort(new DOMException("superseded", "AbortError"));
    const p2 = cache.get("k", d.compute, new AbortController().signal);
    await expect(p1).rejects.toThrow("superseded");
    await turn();
    expect(d.signal()!.aborted).toBe(false);
    d.resolve(floats(4));
    expect((await p2).length).toBe(4);
    expect(d.calls()).toBe(1);
    expect(cache.has("k")).toBe(true);
  });

  it("reads its bound from SYLVA_FEATURE_CACHE_MB", () => {
    expect(featureCacheBytesFromEnv({})).toBe(1024 * 2 ** 20);
    expect(featureCacheBytesFromEnv({ SYLVA_FEATURE_CACHE_MB: "64" })).toBe(64 * 2 ** 20);
    expect(() => featureCacheBytesFromEnv({ SYLVA_FEATURE_CACHE_MB: "lots" })).toThrow(
      /SYLVA_FEATURE_CACHE_MB/,
    );
  });
});

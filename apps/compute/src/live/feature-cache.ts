// The feature cache: computed feature blocks (float32, channels last) keyed by dataset, time point, box
// and feature selection (feature-tiles.ts makes the keys), least recently used dropped beyond a byte
// bound. One cache serves every live project of the process (projects on the same dataset share
// blocks); the bound defaults to SYLVA_FEATURE_CACHE_MB (1024 MiB).
//
// Concurrent requests for the same key share one computation. Each request may bring an AbortSignal;
// the computation is aborted only when every request waiting for it has been aborted, and only after the
// current turn of the event loop, so a caller that cancels and immediately asks again (a superseded
// training, a tile re-prioritized) joins the running computation instead of restarting it.

import { ByteLru } from "./byte-lru.js";

export const DEFAULT_FEATURE_CACHE_MB = 1024;

export interface FeatureCacheStats {
  readonly bytes: number;
  readonly maxBytes: number;
  readonly entries: number;
  readonly hits: number;
  /** Requests that joined a computation already running. */
  readonly joined: number;
  /** Computations started. */
  readonly computed: number;
  /** Computations aborted because nobody wanted them any more. */
  readonly aborted: number;
  readonly evictions: number;
}

interface InFlight {
  readonly promise: Promise<Float32Array>;
  readonly controller: AbortController;
  waiters: number;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("aborted", "AbortError");
}

/** The byte bound from SYLVA_FEATURE_CACHE_MB (MiB), or the default. */
export function featureCacheBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.SYLVA_FEATURE_CACHE_MB;
  if (text === undefined || text.trim() === "") return DEFAULT_FEATURE_CACHE_MB * 2 ** 20;
  const mb = Number(text);
  if (!(Number.isFinite(mb) && mb >= 0))
    throw new RangeError(`SYLVA_FEATURE_CACHE_MB must be a number of MiB ≥ 0, got "${text}"`);
  return Math.round(mb * 2 ** 20);
}

export class FeatureCache {
  private readonly lru: ByteLru<Float32Array>;
  private readonly inflight = new Map<string, InFlight>();
  private hits = 0;
  private joined = 0;
  private computed = 0;
  private aborted = 0;

  constructor(options: { maxBytes?: number } = {}) {
    this.lru = new ByteLru(options.maxBytes ?? featureCacheBytesFromEnv());
  }

  get maxBytes(): number {
    return this.lru.maxBytes;
  }

  get bytes(): number {
    return this.lru.bytes;
  }

  stats(): FeatureCacheStats {
    return {
      bytes: this.lru.bytes,
      maxBytes: this.lru.maxBytes,
      entries: this.lru.size,
      hits: this.hits,
      joined: this.joined,
      computed: this.computed,
      aborted: this.aborted,
      evictions: this.lru.evictions,
    };
  }

  /** Whether `key` is cached (does not count as a use). */
  has(key: string): boolean {
    return this.lru.has(key);
  }

  /** Whether `key` is cached or being computed. */
  hasOrPending(key: string): boolean {
    return this.lru.has(key) || this.inflight.has(key);
  }

  /** The cached value, marked as recently used; undefined when not cached. */
  peek(key: string): Float32Array | undefined {
    return this.lru.get(key);
  }

  /**
   * The features of `key`: cached, joined to a running computation, or computed with `compute` (which
   * receives the signal that aborts it once no request wants it any more). Rejects with `signal`'s reason
   * when this request is aborted.
   */
  get(
    key: string,
    compute: (signal: AbortSignal) => Promise<Float32Array>,
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const cached = this.lru.get(key);
    if (cached) {
      this.hits++;
      return Promise.resolve(cached);
    }
    let entry = this.inflight.get(key);
    if (entry) {
      this.joined++;
      entry.waiters++;
    } else {
      const controller = new AbortController();
      this.computed++;
      const promise = (async () => {
        try {
          const value = await compute(controller.signal);
          if (!controller.signal.aborted) this.lru.set(key, value, value.byteLength);
          return value;
        } finally {
          if (this.inflight.get(key)?.controller === controller) this.inflight.delete(key);
        }
      })();
      promise.catch(() => {});
      entry = { promise, controller, waiters: 1 };
      this.inflight.set(key, entry);
    }
    const e = entry;
    if (!signal) return e.promise;
    return new Promise<Float32Array>((resolve, reject) => {
      let released = false;
      const onAbort = () => {
        if (released) return;
        released = true;
        this.release(key, e);
        reject(abortError(signal));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      e.promise.then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          if (released) return;
          released = true;
          e.waiters--;
          resolve(v);
        },
        (err) => {
          signal.removeEventListener("abort", onAbort);
          if (released) return;
          released = true;
          e.waiters--;
          reject(err);
        },
      );
    });
  }

  /** Drops every cached entry (running computations go on). */
  clear(): void {
    this.lru.clear();
  }

  /** One waiter gave up; abort the computation after this turn if nobody else waits for it. */
  private release(key: string, e: InFlight): void {
    e.waiters--;
    if (e.waiters > 0) return;
    setImmediate(() => {
      if (e.waiters > 0 || e.controller.signal.aborted) return;
      if (this.inflight.get(key) === e) this.inflight.delete(key);
      this.aborted++;
      e.controller.abort(new DOMException("no request wants these features any more", "AbortError"));
    });
  }
}

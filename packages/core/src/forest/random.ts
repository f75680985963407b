// A small seedable pseudo-random generator for the forest: xoshiro128** 1.1 (Blackman & Vigna, 2018)
// over 32-bit unsigned integer arithmetic (Math.imul and >>> only, so every JavaScript engine produces
// the same sequence), seeded through splitmix32 so that nearby seeds give unrelated streams.
//
// Streams: `Xoshiro128.forStream(seed, stream)` derives an independent generator from a (seed, stream)
// pair. Training gives tree i the stream (seed, i), so a tree's randomness depends on nothing but the
// seed and its index: trees trained in any order, on any number of workers, are the same trees.
//
// Integers in [0, n) come from `below(n)` by rejection (the arc4random_uniform method): no modulo bias,
// and the same values on every platform. Floats in [0, 1) from `float()` carry 53 random bits.

/** One step of splitmix32 (a 32-bit variant of splitmix64's mixer): returns the new state and output. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [s, z >>> 0];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** xoshiro128**: 128 bits of state, period 2^128 − 1, 32-bit outputs. */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A generator seeded from a 32-bit integer (any number; its low 32 bits are used). */
  constructor(seed: number) {
    let s = seed | 0;
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [ns, z] = splitmix32(s);
      s = ns;
      out.push(z | 0);
    }
    // The all-zero state is the one state xoshiro cannot leave; splitmix32 never yields four zeros in a
    // row, but guard anyway.
    if ((out[0] | out[1] | out[2] | out[3]) === 0) out[0] = 1;
    [this.a, this.b, this.c, this.d] = out;
  }

  /**
   * An independent generator for the pair (seed, stream): the stream index is mixed into the seed with
   * a second splitmix32 round, so (seed, i) and (seed + 1, i − 1) do not collide.
   */
  static forStream(seed: number, stream: number): Xoshiro128 {
    const [, h] = splitmix32((seed | 0) ^ Math.imul(stream | 0, 0x27d4eb2f));
    const [, h2] = splitmix32(h ^ (stream >>> 0));
    return new Xoshiro128(h2 ^ Math.imul(seed | 0, 0x165667b1));
  }

  /** The next 32-bit unsigned integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A uniform integer in [0, n), 1 ≤ n ≤ 2^32, without modulo bias. */
  below(n: number): number {
    if (n <= 1) return 0;
    // 2^32 mod n: values below it are rejected so that every residue is equally likely.
    const threshold = (4294967296 - n) % n;
    for (;;) {
      const r = this.u32();
      if (r >= threshold) return r % n;
    }
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.u32() >>> 5; // 27 bits
    const lo = this.u32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}

// The filter backend in WebAssembly with 128-bit SIMD (compiled from assembly/filters.ts), the fast path
// on every platform that runs WebAssembly SIMD (Node ≥ 16, all current browsers).

import type { CombineKind, FilterBackend, Ptr } from "./backend.js";
import { COMBINE_KINDS } from "./backend.js";
import type { Arithmetic } from "./kernels.js";
import { FILTERS_WASM_BASE64 } from "./wasm-binary.generated.js";

interface FilterExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  convX(...args: number[]): void;
  convLines(...args: number[]): void;
  convX64(...args: number[]): void;
  convLines64(...args: number[]): void;
  convXMixed(...args: number[]): void;
  convLinesMixed(...args: number[]): void;
  mul(a: number, b: number, dst: number, n: number): void;
  combine(...args: number[]): void;
}

const PAGE = 65536;
let compiled: Promise<WebAssembly.Module> | undefined;

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The compiled filter module (compiled once per thread; a Module can also be posted to workers). */
export function filtersWasmModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(decodeBase64(FILTERS_WASM_BASE64) as Uint8Array<ArrayBuffer>);
  return compiled;
}

/** True where WebAssembly with SIMD is available. */
export async function wasmSimdSupported(): Promise<boolean> {
  try {
    await filtersWasmModule();
    return true;
  } catch {
    return false;
  }
}

export class WasmBackend implements FilterBackend {
  readonly name = "wasm" as const;
  readonly heapBase: number;

  private constructor(private readonly ex: FilterExports) {
    this.heapBase = Math.ceil(Math.max(ex.heapBase(), 1024) / 16) * 16;
  }

  /** A backend with its own memory; pass `module` to skip compiling (e.g. a Module posted to a worker). */
  static async create(module?: WebAssembly.Module): Promise<WasmBackend> {
    const instance = await WebAssembly.instantiate(module ?? (await filtersWasmModule()), {
      env: {
        abort: (_msg: number, _file: number, line: number, col: number) => {
          throw new Error(`filters.wasm aborted at ${line}:${col}`);
        },
      },
    });
    return new WasmBackend(instance.exports as unknown as FilterExports);
  }

  memory(): ArrayBuffer {
    return this.ex.memory.buffer as ArrayBuffer;
  }

  ensure(bytes: number): void {
    const have = this.ex.memory.buffer.byteLength;
    if (bytes > have) this.ex.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  convX(
    src: Ptr,
    srcRow: number,
    srcPlane: number,
    nz: number,
    ny: number,
    dst: Ptr,
    dnx: number,
    map: Ptr,
    taps: Ptr,
    radius: number,
    symmetry: number,
    pad: Ptr,
    arithmetic: Arithmetic,
  ): void {
    if (arithmetic === "double")
      this.ex.convX64(src, srcRow, srcPlane, nz, ny, dst, dnx, map, taps, radius, symmetry, pad);
    else if (arithmetic === "mixed")
      this.ex.convXMixed(src, srcRow, srcPlane, nz, ny, dst, dnx, map, taps, radius, pad);
    else this.ex.convX(src, srcRow, srcPlane, nz, ny, dst, dnx, map, taps, radius, pad);
  }

  convLines(
    src: Ptr,
    sn: number,
    dst: Ptr,
    dn: number,
    outer: number,
    len: number,
    map: Ptr,
    taps: Ptr,
    radius: number,
    symmetry: number,
    arithmetic: Arithmetic,
  ): void {
    if (arithmetic === "double")
      this.ex.convLines64(src, sn, dst, dn, outer, len, map, taps, radius, symmetry);
    else if (arithmetic === "mixed") this.ex.convLinesMixed(src, sn, dst, dn, outer, len, map, taps, radius);
    else this.ex.convLines(src, sn, dst, dn, outer, len, map, taps, radius);
  }

  mul(a: Ptr, b: Ptr, dst: Ptr, n: number): void {
    this.ex.mul(a, b, dst, n);
  }

  combine(
    kind: CombineKind,
    sources: readonly Ptr[],
    srcRow: number,
    srcPlane: number,
    nz: number,
    ny: number,
    nx: number,
    dst: Ptr,
    channels: number,
    channel: number,
  ): void {
    const s = [0, 0, 0, 0, 0, 0];
    sources.forEach((p, i) => {
      s[i] = p;
    });
    this.ex.combine(COMBINE_KINDS.indexOf(kind), ...s, srcRow, srcPlane, nz, ny, nx, dst, channels, channel);
  }
}

// A stack allocator over a backend's linear memory: blocks allocate their buffers, then release back to
// a mark, so memory stays bounded by the largest block rather than growing with the volume.

import type { FilterBackend, Ptr } from "./backend.js";

const ALIGN = 16;

export class Arena {
  private top: number;
  private readonly base: number;

  constructor(private readonly backend: FilterBackend) {
    this.base = Math.ceil(backend.heapBase / ALIGN) * ALIGN;
    this.top = this.base;
  }

  /** Allocates `count` elements of `bytesPerElement` (16-byte aligned) and returns the pointer. */
  alloc(count: number, bytesPerElement = 4): Ptr {
    const ptr = this.top;
    this.top = Math.ceil((ptr + count * bytesPerElement) / ALIGN) * ALIGN;
    this.backend.ensure(this.top);
    return ptr;
  }

  f32(ptr: Ptr, count: number): Float32Array {
    return new Float32Array(this.backend.memory(), ptr, count);
  }

  i32(ptr: Ptr, count: number): Int32Array {
    return new Int32Array(this.backend.memory(), ptr, count);
  }

  /** Copies `values` into a fresh allocation. */
  allocF32(values: ArrayLike<number>): Ptr {
    const p = this.alloc(values.length);
    this.f32(p, values.length).set(values);
    return p;
  }

  allocF64(values: ArrayLike<number>): Ptr {
    const p = this.alloc(values.length, 8);
    new Float64Array(this.backend.memory(), p, values.length).set(values);
    return p;
  }

  allocI32(values: ArrayLike<number>): Ptr {
    const p = this.alloc(values.length);
    this.i32(p, values.length).set(values);
    return p;
  }

  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }

  reset(): void {
    this.top = this.base;
  }
}

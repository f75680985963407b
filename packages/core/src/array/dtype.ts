// Pixel data types Sylva reads and writes, and the typed arrays that hold them.

export const DTYPES = ["uint8", "uint16", "uint32", "int8", "int16", "int32", "float32", "float64"] as const;
export type DType = (typeof DTYPES)[number];

export type TypedArray =
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array;

type TypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

const CONSTRUCTORS: Record<DType, TypedArrayConstructor> = {
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

export function isDType(s: string): s is DType {
  return (DTYPES as readonly string[]).includes(s);
}

export function typedArrayConstructor(dtype: DType): TypedArrayConstructor {
  return CONSTRUCTORS[dtype];
}

/** A zero-filled typed array of `dtype`, optionally over shared memory (for worker threads). */
export function allocate(dtype: DType, length: number, shared = false): TypedArray {
  const C = CONSTRUCTORS[dtype];
  if (!shared) return new C(length);
  return new C(new SharedArrayBuffer(length * C.BYTES_PER_ELEMENT), 0, length);
}

/** The dtype of a typed array (Uint8ClampedArray counts as uint8). */
export function dtypeOf(a: TypedArray | Uint8ClampedArray): DType {
  if (a instanceof Uint8Array || a instanceof Uint8ClampedArray) return "uint8";
  if (a instanceof Uint16Array) return "uint16";
  if (a instanceof Uint32Array) return "uint32";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Int16Array) return "int16";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Float32Array) return "float32";
  return "float64";
}

export function bytesPerElement(dtype: DType): number {
  return CONSTRUCTORS[dtype].BYTES_PER_ELEMENT;
}

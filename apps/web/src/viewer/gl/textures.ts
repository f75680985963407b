// GPU textures of tiles, by key and serial (a changed serial re-uploads), evicting the least recently
// used beyond a budget. Uploads: float32 raw samples, uint8 planes and uint8 plane arrays.

const MAX_TEXTURES = 384;

interface Entry {
  tex: WebGLTexture;
  serial: number;
  target: number;
  used: number;
}

export class TextureCache {
  private readonly entries = new Map<string, Entry>();
  private frame = 0;

  constructor(private readonly gl: WebGL2RenderingContext) {}

  /** Marks the start of a frame (for LRU eviction). */
  beginFrame(): void {
    this.frame++;
  }

  endFrame(): void {
    if (this.entries.size <= MAX_TEXTURES) return;
    const old = [...this.entries]
      .filter(([, e]) => e.used < this.frame)
      .sort((a, b) => a[1].used - b[1].used);
    for (const [k, e] of old.slice(0, this.entries.size - MAX_TEXTURES)) {
      this.gl.deleteTexture(e.tex);
      this.entries.delete(k);
    }
  }

  /** The texture for `key`; `upload` fills a fresh texture when missing or when `serial` changed. */
  get(
    key: string,
    serial: number,
    target: number,
    upload: (gl: WebGL2RenderingContext) => void,
  ): WebGLTexture {
    const gl = this.gl;
    let e = this.entries.get(key);
    if (e && e.serial === serial) {
      e.used = this.frame;
      return e.tex;
    }
    if (!e) {
      const tex = gl.createTexture();
      e = { tex, serial, target, used: this.frame };
      this.entries.set(key, e);
    }
    e.serial = serial;
    e.used = this.frame;
    gl.bindTexture(target, e.tex);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texParameteri(target, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(target, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(target, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(target, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    upload(gl);
    return e.tex;
  }

  dispose(): void {
    for (const e of this.entries.values()) this.gl.deleteTexture(e.tex);
    this.entries.clear();
  }
}

export function uploadR8(gl: WebGL2RenderingContext, w: number, h: number, data: Uint8Array): void {
  gl.texImage2D(gl.TEXTURE_2D, 0, gl.R8, w, h, 0, gl.RED, gl.UNSIGNED_BYTE, data);
}

export function uploadR8Array(
  gl: WebGL2RenderingContext,
  w: number,
  h: number,
  n: number,
  data: Uint8Array,
): void {
  gl.texImage3D(gl.TEXTURE_2D_ARRAY, 0, gl.R8, w, h, n, 0, gl.RED, gl.UNSIGNED_BYTE, data);
}

/** Channel planes (channel-major float32) as R32F for one channel, else RGBA32F of the first four. */
export function uploadFloat(
  gl: WebGL2RenderingContext,
  w: number,
  h: number,
  channels: number,
  data: Float32Array,
): void {
  if (channels === 1) {
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32F, w, h, 0, gl.RED, gl.FLOAT, data);
    return;
  }
  const n = w * h;
  const rgba = new Float32Array(n * 4);
  for (let c = 0; c < Math.min(4, channels); c++) {
    const plane = data.subarray(c * n, (c + 1) * n);
    for (let i = 0; i < n; i++) rgba[i * 4 + c] = plane[i];
  }
  gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA32F, w, h, 0, gl.RGBA, gl.FLOAT, rgba);
}

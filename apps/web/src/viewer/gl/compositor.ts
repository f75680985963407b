// The WebGL2 compositor of one view: draws, bottom to top, the visible layers' tiles of the level the
// zoom asks for. A tile not loaded yet is stood in for by the finest coarser tile that covers it
// (scissored to the tile), so panning and zooming never show holes once the coarsest level is in.
// A feature preview layer is drawn from level-0 feature tiles only (scaled at coarser zoom), and only
// while at most MAX_PREVIEW_TILES of them are visible: zoomed further out it shows nothing.
import type { LiveLayer } from "@sylva/shared";
import type { Camera, Size } from "../camera";
import { visibleRect } from "../camera";
import type { FeatureTileCache } from "../feature-tile-cache";
import {
  type Geometry,
  type Plane,
  planeExtent,
  planeScale,
  type TileRef,
  tileRef,
  tilesInRect,
} from "../geometry";
import type { LabelTiles } from "../label-tiles";
import type { Layer } from "../layers";
import { type LiveTile, type LiveTileStore, liveTileKey } from "../live-tiles";
import { type RawTileCache, rawTileKey } from "../raw-tile-cache";
import { Program } from "./program";
import {
  LABEL_FRAGMENT,
  MAX_SHADER_CLASSES,
  PROBABILITY_FRAGMENT,
  QUAD_VERTEX,
  RAW_FRAGMENT,
  SEGMENTATION_FRAGMENT,
  UNCERTAINTY_FRAGMENT,
} from "./shaders";
import { TextureCache, uploadFloat, uploadR8, uploadR8Array } from "./textures";

export interface RenderInput {
  readonly g: Geometry;
  readonly plane: Plane;
  readonly camera: Camera;
  readonly size: Size;
  readonly dpr: number;
  readonly t: number;
  /** Level-0 slice. */
  readonly slice: number;
  readonly level: number;
  /** Layers top first (invisible ones are skipped). */
  readonly layers: readonly Layer[];
  readonly display: { min: number; max: number; channel: number; rgb: boolean };
  readonly threshold: number;
  /** Class id → color, for labels and segmentation. */
  readonly classColors: ReadonlyMap<number, readonly [number, number, number]>;
  readonly raw: RawTileCache;
  readonly live: LiveTileStore;
  readonly labels: LabelTiles;
  readonly features: FeatureTileCache;
}

export interface RenderStats {
  rawTiles: number;
  liveTiles: number;
  missing: number;
}

const BACKGROUND = [0.075, 0.08, 0.09] as const;
/** Most level-0 feature tiles a view draws (and fetches) for a feature preview. */
export const MAX_PREVIEW_TILES = 16;

export class Compositor {
  private readonly gl: WebGL2RenderingContext;
  private readonly textures: TextureCache;
  private readonly raw: Program;
  private readonly label: Program;
  private readonly prob: Program;
  private readonly seg: Program;
  private readonly unc: Program;
  private readonly palette: WebGLTexture;
  private paletteKey = "";

  constructor(readonly canvas: HTMLCanvasElement) {
    const gl = canvas.getContext("webgl2", { alpha: false, antialias: false, preserveDrawingBuffer: true });
    if (!gl) throw new Error("WebGL2 is not available in this browser");
    this.gl = gl;
    this.textures = new TextureCache(gl);
    this.raw = new Program(gl, QUAD_VERTEX, RAW_FRAGMENT);
    this.label = new Program(gl, QUAD_VERTEX, LABEL_FRAGMENT);
    this.prob = new Program(gl, QUAD_VERTEX, PROBABILITY_FRAGMENT);
    this.seg = new Program(gl, QUAD_VERTEX, SEGMENTATION_FRAGMENT);
    this.unc = new Program(gl, QUAD_VERTEX, UNCERTAINTY_FRAGMENT);
    this.palette = gl.createTexture();
    gl.bindVertexArray(gl.createVertexArray());
  }

  dispose(): void {
    this.textures.dispose();
    this.gl.getExtension("WEBGL_lose_context")?.loseContext();
  }

  /** The last slice whose raw tiles were all drawn at the wanted level (shown while another loads). */
  private lastComplete: { id: string; plane: string; t: number; slice: number } | null = null;

  render(input: RenderInput): RenderStats {
    const gl = this.gl;
    const stats: RenderStats = { rawTiles: 0, liveTiles: 0, missing: 0 };
    const W = Math.max(1, Math.round(input.size.w * input.dpr));
    const H = Math.max(1, Math.round(input.size.h * input.dpr));
    if (this.canvas.width !== W || this.canvas.height !== H) {
      this.canvas.width = W;
      this.canvas.height = H;
    }
    gl.viewport(0, 0, W, H);
    gl.disable(gl.SCISSOR_TEST);
    gl.clearColor(BACKGROUND[0], BACKGROUND[1], BACKGROUND[2], 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    this.textures.beginFrame();
    this.updatePalette(input.classColors);

    const { g, plane } = input;
    const rect = visibleRect(input.camera, input.size);
    const targets = tilesInRect(g, plane, input.level, rect);
    this.requestRaw(input, targets);

    gl.enable(gl.SCISSOR_TEST);
    for (let i = input.layers.length - 1; i >= 0; i--) {
      const layer = input.layers[i];
      if (!layer.visible || layer.opacity <= 0) continue;
      if (layer.kind === "feature-preview") {
        this.drawFeaturePreview(input, layer);
        continue;
      }
      for (const target of targets) {
        if (!this.scissor(input, target)) continue;
        switch (layer.kind) {
          case "raw":
            if (this.drawRaw(input, target, layer)) stats.rawTiles++;
            else stats.missing++;
            break;
          case "labels":
            this.drawLabels(input, target, layer);
            break;
          default:
            if (this.drawLive(input, target, layer)) stats.liveTiles++;
        }
      }
    }
    gl.disable(gl.SCISSOR_TEST);
    this.textures.endFrame();
    if (stats.missing === 0 && stats.rawTiles > 0)
      this.lastComplete = { id: g.id, plane, t: input.t, slice: input.slice };
    return stats;
  }

  /** Asks the cache for the visible tiles, nearest the centre last (served first), and the coarsest. */
  private requestRaw(input: RenderInput, targets: readonly TileRef[]): void {
    const { g, plane, t, slice } = input;
    const raw = input.layers.find((l) => l.kind === "raw");
    if (!raw?.visible) return;
    const coarsest = g.levels.length - 1;
    const rect = visibleRect(input.camera, input.size);
    const cu = (rect.u0 + rect.u1) / 2;
    const cv = (rect.v0 + rect.v1) / 2;
    const { su, sv } = planeScale(g, plane, input.level);
    const dist = (r: TileRef) =>
      ((r.u0 + r.width / 2) * su - cu) ** 2 + ((r.v0 + r.height / 2) * sv - cv) ** 2;
    const sorted = [...targets].sort((a, b) => dist(b) - dist(a));
    const slices = planeExtent(g, plane).slices;
    if (sorted.length <= 16)
      for (const ds of [1, -1])
        if (slice + ds >= 0 && slice + ds < slices)
          for (const r of sorted)
            input.raw.want(g, { level: input.level, plane, t, slice: slice + ds, tu: r.tu, tv: r.tv });
    for (const r of sorted) input.raw.want(g, { level: input.level, plane, t, slice, tu: r.tu, tv: r.tv });
    if (coarsest !== input.level)
      for (const r of tilesInRect(g, plane, coarsest, rect))
        input.raw.want(g, { level: coarsest, plane, t, slice, tu: r.tu, tv: r.tv });
  }

  /** Clip-space rectangle of a tile's texture (its full, unclipped extent). */
  private clipRect(input: RenderInput, ref: TileRef): [number, number, number, number] {
    const { su, sv } = planeScale(input.g, input.plane, ref.level);
    const { camera: c, size } = input;
    const x0 = ((ref.u0 * su - c.cu) * c.zoom + size.w / 2) / size.w;
    const x1 = (((ref.u0 + ref.width) * su - c.cu) * c.zoom + size.w / 2) / size.w;
    const y0 = ((ref.v0 * sv - c.cv) * c.zoom + size.h / 2) / size.h;
    const y1 = (((ref.v0 + ref.height) * sv - c.cv) * c.zoom + size.h / 2) / size.h;
    return [x0 * 2 - 1, 1 - y0 * 2, x1 * 2 - 1, 1 - y1 * 2];
  }

  /** Scissors to a target tile ∩ the plane; false when nothing of it is on screen. */
  private scissor(input: RenderInput, ref: TileRef): boolean {
    const { su, sv } = planeScale(input.g, input.plane, ref.level);
    const ext = planeExtent(input.g, input.plane);
    const { camera: c, size, dpr } = input;
    const u0 = ref.u0 * su;
    const v0 = ref.v0 * sv;
    const u1 = Math.min(ext.width, (ref.u0 + ref.width) * su);
    const v1 = Math.min(ext.height, (ref.v0 + ref.height) * sv);
    const x0 = Math.max(0, Math.round(((u0 - c.cu) * c.zoom + size.w / 2) * dpr));
    const x1 = Math.min(this.canvas.width, Math.round(((u1 - c.cu) * c.zoom + size.w / 2) * dpr));
    const y0 = Math.max(0, Math.round(((v0 - c.cv) * c.zoom + size.h / 2) * dpr));
    const y1 = Math.min(this.canvas.height, Math.round(((v1 - c.cv) * c.zoom + size.h / 2) * dpr));
    if (x1 <= x0 || y1 <= y0) return false;
    this.gl.scissor(x0, this.canvas.height - y1, x1 - x0, y1 - y0);
    return true;
  }

  /** The finest loaded tile at `target`'s level or coarser covering it. */
  private coverOf<T>(input: RenderInput, target: TileRef, find: (ref: TileRef) => T | undefined) {
    const { g, plane } = input;
    const base = planeScale(g, plane, target.level);
    for (let l = target.level; l < g.levels.length; l++) {
      const s = planeScale(g, plane, l);
      const tu = Math.floor((target.tu * base.su) / s.su);
      const tv = Math.floor((target.tv * base.sv) / s.sv);
      const ref = l === target.level ? target : tileRef(g, plane, l, tu, tv);
      if (ref.width <= 0 || ref.height <= 0) continue;
      const hit = find(ref);
      if (hit !== undefined) return { ref, hit };
    }
    return undefined;
  }

  private quad(p: Program, rect: [number, number, number, number]): void {
    this.gl.uniform4f(p.loc("uRect"), rect[0], rect[1], rect[2], rect[3]);
    this.gl.drawArrays(this.gl.TRIANGLE_STRIP, 0, 4);
  }

  private drawRaw(input: RenderInput, target: TileRef, layer: Layer): boolean {
    const gl = this.gl;
    const { g, plane, t, slice } = input;
    const find = (tt: number, sl: number) => (ref: TileRef) => {
      const key = rawTileKey(g, { level: ref.level, plane, t: tt, slice: sl, tu: ref.tu, tv: ref.tv });
      const tile = input.raw.get(key);
      return tile ? { key, tile } : undefined;
    };
    let cover = this.coverOf(input, target, find(t, slice));
    // While the new slice's tiles load, keep showing the last complete slice's rather than a blank.
    const last = this.lastComplete;
    let stale = false;
    if (
      !cover &&
      last &&
      last.id === g.id &&
      last.plane === plane &&
      (last.t !== t || last.slice !== slice)
    ) {
      cover = this.coverOf(input, target, find(last.t, last.slice));
      stale = cover !== undefined;
    }
    if (!cover) return false;
    const { key, tile } = cover.hit;
    const tex = this.textures.get(`raw/${key}`, 0, gl.TEXTURE_2D, () =>
      uploadFloat(gl, tile.width, tile.height, tile.channels, tile.data),
    );
    const p = this.raw.bind();
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.uniform1i(p.loc("uTex"), 0);
    const d = input.display;
    const rgb = d.rgb && tile.channels >= 3;
    const ch = Math.min(Math.min(3, tile.channels - 1), Math.max(0, d.channel));
    gl.uniform4f(p.loc("uMask"), ch === 0 ? 1 : 0, ch === 1 ? 1 : 0, ch === 2 ? 1 : 0, ch === 3 ? 1 : 0);
    gl.uniform1i(p.loc("uRgb"), rgb ? 1 : 0);
    gl.uniform2f(p.loc("uRange"), d.min, d.max);
    gl.uniform1f(p.loc("uOpacity"), layer.opacity);
    this.quad(p, this.clipRect(input, cover.ref));
    return !stale && cover.ref.level === target.level;
  }

  /** The preview's visible level-0 tiles, grayscale over the union of their ranges. */
  private drawFeaturePreview(input: RenderInput, layer: Layer): void {
    const gl = this.gl;
    const { g, plane, t, slice } = input;
    const p = layer.preview;
    if (!p) return;
    const tiles = tilesInRect(g, plane, 0, visibleRect(input.camera, input.size));
    if (tiles.length > MAX_PREVIEW_TILES) return;
    const range = input.features.range(g, p);
    for (const ref of tiles) {
      const tile = input.features.want(g, p, { plane, t, slice, tu: ref.tu, tv: ref.tv });
      if (!tile || !range || !this.scissor(input, ref)) continue;
      const key = `feature/${g.id}/${p.feature}/${p.scale}/${p.in2d}/${p.channel}/${plane}/${t}/${slice}/${ref.tu}/${ref.tv}`;
      const tex = this.textures.get(key, 0, gl.TEXTURE_2D, () =>
        uploadFloat(gl, tile.width, tile.height, 1, tile.data),
      );
      const prog = this.raw.bind();
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, tex);
      gl.uniform1i(prog.loc("uTex"), 0);
      gl.uniform4f(prog.loc("uMask"), 1, 0, 0, 0);
      gl.uniform1i(prog.loc("uRgb"), 0);
      gl.uniform2f(prog.loc("uRange"), range.min, range.max > range.min ? range.max : range.min + 1);
      gl.uniform1f(prog.loc("uOpacity"), layer.opacity);
      this.quad(prog, this.clipRect(input, ref));
    }
  }

  private drawLabels(input: RenderInput, target: TileRef, layer: Layer): void {
    const gl = this.gl;
    const { g, plane, t, slice } = input;
    const tile = input.labels.get(g, plane, t, slice, target);
    if (tile.empty) return;
    const key = `label/${g.id}/${plane}/${t}/${slice}/${target.level}/${target.tu}/${target.tv}`;
    const tex = this.textures.get(key, tile.serial, gl.TEXTURE_2D, () =>
      uploadR8(gl, tile.width, tile.height, tile.data),
    );
    const p = this.label.bind();
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.uniform1i(p.loc("uTex"), 0);
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, this.palette);
    gl.uniform1i(p.loc("uPalette"), 1);
    gl.uniform1f(p.loc("uOpacity"), layer.opacity);
    this.quad(p, this.clipRect(input, target));
  }

  private liveTile(input: RenderInput, ref: TileRef, layer: LiveLayer): LiveTile | undefined {
    const { g, plane, t, slice } = input;
    return input.live.get(liveTileKey(g.id, plane, t, slice, ref.level, ref.u0, ref.v0, layer));
  }

  private probTexture(tile: LiveTile): WebGLTexture {
    const gl = this.gl;
    const f = tile.frame;
    const key = `live/${f.datasetId}/${f.plane}/${f.t}/${f.slice}/${f.level}/${f.u0}/${f.v0}/${f.layer}`;
    return f.layer === "probabilities"
      ? this.textures.get(key, tile.serial, gl.TEXTURE_2D_ARRAY, () =>
          uploadR8Array(gl, f.width, f.height, f.classIds.length, f.data),
        )
      : this.textures.get(key, tile.serial, gl.TEXTURE_2D, () => uploadR8(gl, f.width, f.height, f.data));
  }

  private drawLive(input: RenderInput, target: TileRef, layer: Layer): boolean {
    const gl = this.gl;
    if (layer.kind === "uncertainty") {
      const own = this.coverOf(input, target, (ref) => this.liveTile(input, ref, "uncertainty"));
      const probs = own
        ? undefined
        : this.coverOf(input, target, (ref) => this.liveTile(input, ref, "probabilities"));
      const cover = own ?? probs;
      if (!cover) return false;
      const p = this.unc.bind();
      const tex = this.probTexture(cover.hit);
      gl.activeTexture(own ? gl.TEXTURE0 : gl.TEXTURE1);
      gl.bindTexture(own ? gl.TEXTURE_2D : gl.TEXTURE_2D_ARRAY, tex);
      gl.uniform1i(p.loc("uPlane"), 0);
      gl.uniform1i(p.loc("uProbs"), 1);
      gl.uniform1i(p.loc("uMode"), own ? 0 : 1);
      gl.uniform1i(p.loc("uN"), Math.min(MAX_SHADER_CLASSES, cover.hit.frame.classIds.length));
      const c = layer.color ?? [255, 255, 0];
      gl.uniform3f(p.loc("uColor"), c[0] / 255, c[1] / 255, c[2] / 255);
      gl.uniform1f(p.loc("uOpacity"), layer.opacity);
      this.quad(p, this.clipRect(input, cover.ref));
      return true;
    }
    const cover = this.coverOf(input, target, (ref) => this.liveTile(input, ref, "probabilities"));
    if (!cover) return false;
    const f = cover.hit.frame;
    const tex = this.probTexture(cover.hit);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D_ARRAY, tex);
    if (layer.kind === "probability") {
      const index = f.classIds.indexOf(layer.classId ?? -1);
      if (index < 0) return false;
      const p = this.prob.bind();
      gl.uniform1i(p.loc("uTex"), 0);
      gl.uniform1f(p.loc("uLayer"), index);
      const c = layer.color ?? [255, 255, 255];
      gl.uniform3f(p.loc("uColor"), c[0] / 255, c[1] / 255, c[2] / 255);
      gl.uniform1f(p.loc("uOpacity"), layer.opacity);
      this.quad(p, this.clipRect(input, cover.ref));
      return true;
    }
    const p = this.seg.bind();
    gl.uniform1i(p.loc("uTex"), 0);
    const n = Math.min(MAX_SHADER_CLASSES, f.classIds.length);
    gl.uniform1i(p.loc("uN"), n);
    const colors = new Float32Array(MAX_SHADER_CLASSES * 3);
    for (let i = 0; i < n; i++) {
      const c = input.classColors.get(f.classIds[i]) ?? [128, 128, 128];
      colors.set([c[0] / 255, c[1] / 255, c[2] / 255], i * 3);
    }
    gl.uniform3fv(p.loc("uColors"), colors);
    gl.uniform1f(p.loc("uThreshold"), input.threshold);
    gl.uniform1f(p.loc("uOpacity"), layer.opacity);
    this.quad(p, this.clipRect(input, cover.ref));
    return true;
  }

  /** Class id → color lookup texture (256 × 1 RGBA; id 0 transparent). */
  private updatePalette(colors: ReadonlyMap<number, readonly [number, number, number]>): void {
    const key = [...colors].map(([id, c]) => `${id}:${c.join(",")}`).join(";");
    if (key === this.paletteKey) return;
    this.paletteKey = key;
    const data = new Uint8Array(256 * 4);
    for (const [id, c] of colors) if (id > 0 && id < 256) data.set([c[0], c[1], c[2], 255], id * 4);
    // The eraser (0) stays transparent.
    const gl = this.gl;
    gl.bindTexture(gl.TEXTURE_2D, this.palette);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, 256, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, data);
  }
}

// Sylva's OME-Zarr layout and writing primitives (reading goes through zarrita: io/zarr-reader.ts).
export * from "./chunk.js";
export * from "./downsample.js";
export * from "./layout.js";
export * from "./metadata.js";
export * from "./plane-tile.js";

// @sylva/core: pure computation shared by the compute service and the browser.
export * from "./array/box.js";
export * from "./array/copy.js";
export * from "./array/dtype.js";
export * from "./array/volume.js";
export * from "./export/index.js";
export * from "./features/block.js";
export * from "./features/compute.js";
export * from "./features/definitions.js";
export * from "./features/plan.js";
export type { CombineKind, FilterBackend, Ptr } from "./filters/backend.js";
export { JsBackend } from "./filters/backend-js.js";
export { filtersWasmModule, WasmBackend, wasmSimdSupported } from "./filters/backend-wasm.js";
export * from "./filters/kernels.js";
export * from "./forest/index.js";
export * from "./ilastik/index.js";
export * from "./io/index.js";
export * from "./labels/rasterize.js";
export * from "./zarr/index.js";

// Exports: dtype conversion, renormalization, cutouts, filename placeholders, file formats and the pipeline.
export * from "./cutout.js";
export * from "./dtype.js";
export * from "./errors.js";
export * from "./formats.js";
export * from "./pipeline.js";
export * from "./placeholders.js";
export * from "./renormalize.js";

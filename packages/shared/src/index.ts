// @sylva/shared: the contracts between browser and compute (schemas, defaults), re-exporting the
// definitions from @sylva/core that both sides show or validate.
export type { FeatureDefinition, FeatureId } from "@sylva/core";
export { DEFAULT_SCALES, FEATURE_IDS, FEATURES } from "@sylva/core";
export * from "./doc.js";
export * from "./schema/classes.js";
export * from "./schema/dataset.js";
export * from "./schema/export.js";
export * from "./schema/features.js";
export * from "./schema/ids.js";
export * from "./schema/jobs.js";
export * from "./schema/project.js";
export * from "./schema/roles.js";
export * from "./schema/stroke.js";
export * from "./schema/tile.js";
export * from "./schema/upload.js";
export * from "./schema/view.js";

// @sylva/shared/api: the API contract (tRPC router, service interface, typed errors). A subpath of its
// own so browser code that only needs `type AppRouter` never bundles the server runtime.
export * from "./errors.js";
export * from "./router.js";
export * from "./types.js";

// ilastik projects (.ilp): feature selections, label classes, input lanes and stored forests; vigra
// forest import lives in ../forest/vigra.ts and is exported from here (forest/index.ts is not ours).
export * from "../forest/vigra.js";
export * from "./project.js";

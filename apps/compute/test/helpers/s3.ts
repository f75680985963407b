export * from "../../src/devtools/s3rver.js";

#!/usr/bin/env node
// The `sylva` command line: a thin launcher for the compiled entry point.
import("../dist/cli/main.js").catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli/main.js")) {
    console.error(
      "sylva: the command line is not built yet; run `npm install` (or `npm run build`) at the repository root.",
    );
    process.exit(1);
  }
  throw err;
});

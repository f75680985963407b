// The `sylva` command line: dispatches to one module per command.

import { readFileSync } from "node:fs";
import { runDatasets } from "./datasets.js";
import { describeError, isUserError, UsageError } from "./errors.js";
import { runFeatures } from "./features.js";
import { runImport } from "./import.js";
import { runPredict } from "./predict.js";
import { runProjects } from "./projects.js";
import { runServe } from "./serve.js";
import { runToken } from "./token.js";
import { runTrain } from "./train.js";
import { runUsers } from "./users.js";

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<void> }> = {
  serve: { summary: "run the compute service: API, label sync, live training and tiles", run: runServe },
  import: {
    summary: "import images into the store as a chunked, multiscale OME-Zarr dataset",
    run: runImport,
  },
  datasets: { summary: "list, show or delete the datasets in the store", run: runDatasets },
  features: { summary: "compute ilastik's pixel features of an image or stack into HDF5", run: runFeatures },
  train: { summary: "train a pixel classifier (random forest) on labeled images", run: runTrain },
  predict: {
    summary: "classify images with a classifier or an ilastik project, and export",
    run: runPredict,
  },
  users: { summary: "add, list or remove users and their site or project roles", run: runUsers },
  token: { summary: "print a signed sign-in token for a user", run: runToken },
  projects: { summary: "add, list or remove projects", run: runProjects },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

function help(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `Sylva ${version()} — collaborative pixel classification for microscopy

usage: sylva <command> [options]     (sylva <command> --help for a command's options)

commands:
${lines.join("\n")}

examples:
  sylva import ../shared/data/isbi2012/raw --dataset "ISBI 2012"
  sylva datasets
  sylva features raw/00.png --out features.h5 --scales 0.7,1.6,3.5 --features GS,HoGE
  sylva train --image raw/00.png raw/01.png --labels labels/00.png labels/01.png --out em.sylva
  sylva predict em.sylva raw/20.png --out "{nickname}_{result_type}"
  sylva predict em.sylva raw/ --source probabilities --dtype uint8 --renormalize 0,1,0,255 --format tiff-sequence
  sylva users add alice --role owner
  sylva projects add "EM course" --owner alice
  sylva users add bob --role annotator --project pr_abcdefghijkm
  sylva token --user bob --days 7`;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    console.log(help());
    return 0;
  }
  if (cmd === "--version" || cmd === "-v") {
    console.log(version());
    return 0;
  }
  const command = COMMANDS[cmd];
  try {
    if (!command)
      throw new UsageError(`unknown command "${cmd}"; commands: ${Object.keys(COMMANDS).join(", ")}`);
    await command.run(rest);
    return 0;
  } catch (e) {
    if (
      isUserError(e) ||
      (e instanceof TypeError && "code" in e && String(e.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      console.error(`sylva ${cmd}: ${describeError(e)}`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));

// Loading an ilastik project (.ilp) from disk with its raw data, for `sylva predict MODEL.ilp …`: core
// parses the project (features, classes, lanes, forests); here the lane's raw data is found and read.
//
// A lane's filePath is resolved as ilastik does: "FileSystem" paths are relative to the project's folder
// (or absolute), an HDF5 file with its dataset appended ("data/cells.h5/exported_data"), an image file,
// or a stack pattern with "*" in its file name ("slices/*.png", natural order); "ProjectInternal" paths
// name a dataset inside the project itself. The project's axistags for the lane say how to read the
// dimensions (they win over the file's own), and the volume is transposed to (t, z, y, x, c).
// Every failure is an InputError whose message names the project or the data file and the problem.

import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { IlastikDatasetInfo, IlastikProject, Volume, Volume5 } from "@sylva/core";
import {
  IlastikProjectError,
  ImageFormatError,
  naturalCompare,
  planFeatures,
  readHdf5,
  readIlastikProject,
  transposeToCanonical,
} from "@sylva/core";
import { InputError } from "./errors.js";
import { readImageSpec } from "./input.js";

export interface LoadedIlastikProject {
  readonly project: IlastikProject;
  /** The lane's raw data in canonical (t, z, y, x, c) order. */
  readonly raw: Volume5;
  /** The lane read (lanes[options.lane ?? 0]). */
  readonly lane: IlastikDatasetInfo;
  /** Where the raw data was read: the resolved spec (file, FILE.h5/dataset, or comma list of a stack). */
  readonly rawSource: string;
}

export interface LoadIlastikOptions {
  /** Input lane to read (default 0). */
  readonly lane?: number;
}

async function readBytes(file: string, what: string): Promise<Uint8Array> {
  try {
    const b = await readFile(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = e instanceof Error && "code" in e ? String(e.code) : "";
    const problem =
      code === "ENOENT" || code === "ENOTDIR"
        ? `no such ${what}: ${file}`
        : code === "EISDIR"
          ? `${file} is a folder, not a ${what}`
          : `cannot read ${what} ${file}: ${e instanceof Error ? e.message : String(e)}`;
    throw new InputError(file, problem, { cause: e });
  }
}

function globRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`);
}

/** Files matching a "*" pattern in the last path component, in natural order. */
async function expandStack(spec: string, project: string): Promise<string[]> {
  const dir = path.dirname(spec);
  const re = globRegExp(path.basename(spec));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new InputError(dir, `${project}: the raw data's folder ${dir} cannot be listed (${String(e)})`, {
      cause: e,
    });
  }
  const files = names.filter((n) => re.test(n) && !n.startsWith(".")).sort(naturalCompare);
  if (files.length === 0)
    throw new InputError(spec, `${project}: no files match the raw data's pattern ${spec}`);
  return files.map((n) => path.join(dir, n));
}

/** The lane's stored axes applied to the volume as read (the project's axistags win over the file's). */
function withLaneAxes(volume: Volume, lane: IlastikDatasetInfo, source: string): Volume {
  if (lane.axes.length === volume.shape.length) {
    if (lane.shape?.some((s, i) => s !== volume.shape[i]))
      throw new InputError(
        source,
        `${source}: shape [${volume.shape.join(", ")}] differs from the project's [${lane.shape.join(", ")}] for lane ${lane.lane}`,
      );
    return { ...volume, axes: lane.axes };
  }
  // e.g. a grayscale image read as "yx" for a lane tagged "yxc": keep the file's axes when the lane
  // only adds axes (of size 1 in ilastik's view)
  if ([...volume.axes].every((a) => lane.axes.includes(a))) return volume;
  throw new InputError(
    source,
    `${source}: the data has ${volume.shape.length} dimensions ("${volume.axes}", shape [${volume.shape.join(
      ", ",
    )}]), the project's axistags name ${lane.axes.length} ("${lane.axes}")`,
  );
}

/**
 * Reads the project at `projectPath` and its lane's raw data. Checks that the forest (if trained) takes as
 * many features as the project's selection gives on this data.
 */
export async function loadIlastikProject(
  projectPath: string,
  options: LoadIlastikOptions = {},
): Promise<LoadedIlastikProject> {
  const bytes = await readBytes(projectPath, "ilastik project");
  let project: IlastikProject;
  try {
    project = await readIlastikProject(bytes, projectPath);
  } catch (e) {
    if (e instanceof IlastikProjectError) throw new InputError(projectPath, e.message, { cause: e });
    throw e;
  }
  const index = options.lane ?? 0;
  const lane = project.lanes[index];
  if (!lane)
    throw new InputError(
      projectPath,
      project.lanes.length === 0
        ? `${projectPath}: the project has no input data`
        : `${projectPath}: no lane ${index} (the project has ${project.lanes.length})`,
    );

  let volume: Volume;
  let rawSource: string;
  if (lane.location === "ProjectInternal") {
    rawSource = `${projectPath}/${lane.filePath}`;
    try {
      volume = await readHdf5(bytes, lane.filePath, projectPath);
    } catch (e) {
      if (e instanceof ImageFormatError) throw new InputError(projectPath, e.message, { cause: e });
      throw e;
    }
  } else {
    const resolved = path.resolve(path.dirname(projectPath), lane.filePath);
    rawSource = resolved;
    if (path.basename(resolved).includes("*")) {
      const files = await expandStack(resolved, projectPath);
      if (files.some((f) => f.includes(",")))
        throw new InputError(
          resolved,
          `${projectPath}: stack files with commas in their names are not supported`,
        );
      rawSource = files.join(",");
    }
    try {
      volume = (await readImageSpec(rawSource)).volume;
    } catch (e) {
      if (e instanceof InputError)
        throw new InputError(e.path, `${projectPath}: lane ${lane.lane} raw data: ${e.message}`, {
          cause: e,
        });
      throw e;
    }
  }
  const raw = transposeToCanonical(withLaneAxes(volume, lane, rawSource));

  const { forest } = project;
  if (forest && project.features.length > 0) {
    const channels = planFeatures(project.features, raw.shape).channelCount;
    if (channels !== forest.featureCount)
      throw new InputError(
        projectPath,
        `${projectPath}: the project's features give ${channels} channels on this data (shape t, z, y, x, c = ${raw.shape.join(
          ", ",
        )}), its forest was trained on ${forest.featureCount}`,
      );
  }
  return { project, raw, lane, rawSource };
}

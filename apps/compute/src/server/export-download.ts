// Downloading a finished file export as one ZIP (store-only, zip.ts), streamed from the store with an
// exact Content-Length:
//
//   GET /api/projects/<projectId>/exports/<jobId>/download
//
// The caller (already authenticated) needs project.read in the project, and the job must belong to it
// (otherwise 404, as the API reports projects one has no role in); a job that is not done is 409, an
// OME-Zarr export (a dataset, not files) 404. Large files are read in ranges, respecting backpressure.

import type { IncomingMessage, ServerResponse } from "node:http";
import { can, exportJobIdSchema, exportParamsSchema, projectIdSchema } from "@sylva/shared";
import type { MetadataDb } from "../db/metadata.js";
import type { BlobStore } from "../storage/blob-store.js";
import { type ExportManifest, isFileExport, readExportManifest } from "./export-manifest.js";
import { zipLayout } from "./zip.js";

const ROUTE = /^\/api\/projects\/([^/]+)\/exports\/([^/]+)\/download$/;
/** Bytes read from the store at once. */
const RANGE = 8 * 1024 * 1024;

export interface ExportDownloadRequest {
  readonly projectId: string;
  readonly jobId: string;
}

/** The download a path names, or undefined when the path is not the download route. */
export function parseExportDownloadPath(pathname: string): ExportDownloadRequest | undefined {
  const m = ROUTE.exec(pathname);
  return m ? { projectId: m[1], jobId: m[2] } : undefined;
}

/** Where the API says a job's files are downloaded (ExportJob.downloadUrl), relative to the service. */
export function exportDownloadPath(projectId: string, jobId: string): string {
  return `/api/projects/${projectId}/exports/${jobId}/download`;
}

export interface ExportDownloadDeps {
  readonly store: BlobStore;
  readonly db: MetadataDb;
}

function fail(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: message }));
}

/** A file name for Content-Disposition: ASCII fallback plus the UTF-8 original (RFC 6266). */
function disposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The archive's name: the first file's name without its extension and slice number. */
function archiveName(manifest: ExportManifest): string {
  const first = manifest.files[0]?.name.split("/").pop() ?? "export";
  const base = first.replace(/\.[A-Za-z0-9]+$/, "");
  return `${manifest.files.length > 1 ? base.replace(/[_-]?\d+$/, "") || base : base}.zip`;
}

/** Writes `chunk`, waiting for the socket to drain when its buffer is full. */
function write(res: ServerResponse, chunk: Uint8Array): Promise<void> {
  if (res.destroyed) return Promise.reject(new Error("the client went away"));
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", closed);
      resolve();
    };
    const closed = () => {
      res.off("drain", done);
      reject(new Error("the client went away"));
    };
    res.once("drain", done);
    res.once("close", closed);
  });
}

export function exportDownloadHandler(deps: ExportDownloadDeps) {
  return async (
    req: IncomingMessage,
    res: ServerResponse,
    user: string,
    q: ExportDownloadRequest,
  ): Promise<void> => {
    const projectId = projectIdSchema.safeParse(q.projectId);
    if (!projectId.success) return fail(res, 400, `"${q.projectId}" is not a project id`);
    const jobId = exportJobIdSchema.safeParse(q.jobId);
    if (!jobId.success) return fail(res, 400, `"${q.jobId}" is not an export job id`);
    const role = await deps.db.members.roleOf(user, projectId.data);
    if (!role) return fail(res, 404, `project ${projectId.data} not found`);
    if (!can(role, "project.read")) return fail(res, 403, `a ${role} may not do this (needs project.read)`);
    const job = await deps.db.exports.get(jobId.data);
    if (!job || job.projectId !== projectId.data)
      return fail(res, 404, `export job ${jobId.data} not found in project ${projectId.data}`);
    const params = exportParamsSchema.safeParse(job.params);
    if (!params.success || !isFileExport(params.data))
      return fail(res, 404, `export ${job.id} is an OME-Zarr dataset of the project, not files`);
    if (job.status !== "done") return fail(res, 409, `export ${job.id} is ${job.status}, not done`);
    const manifest = await readExportManifest(deps.store, job.id);
    if (!manifest) return fail(res, 410, `the files of export ${job.id} are gone`);

    const layout = zipLayout(manifest.files, { date: new Date(job.updatedAt) });
    res.writeHead(200, {
      "content-type": "application/zip",
      "content-length": layout.size,
      "content-disposition": disposition(archiveName(manifest)),
      "cache-control": "private, no-store",
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    try {
      for (const part of layout.parts) {
        if (part.kind === "bytes") {
          await write(res, part.bytes);
          continue;
        }
        const file = manifest.files[part.entry];
        for (let offset = 0; offset < file.size; offset += RANGE) {
          const bytes = await deps.store.getRange(file.key, {
            offset,
            length: Math.min(RANGE, file.size - offset),
          });
          if (!bytes || bytes.length !== Math.min(RANGE, file.size - offset))
            throw new Error(`export ${job.id}: ${file.key} is missing or shorter than recorded`);
          await write(res, bytes);
        }
      }
      res.end();
    } catch (e) {
      // Headers are sent: all that is left is to cut the connection, so the client sees a short body.
      const gone = res.destroyed || res.writableEnded;
      res.destroy();
      if (!gone) throw e; // logged by the caller; a client that went away is not an error
    }
  };
}

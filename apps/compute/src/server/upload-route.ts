// Uploads over HTTP: `POST /api/projects/<projectId>/uploads?name=…[&stackAlong=z|t|c][&axes=…]
// [&internalPath=…]` with a body in the upload framing of @sylva/shared (schema/upload.ts: one image or a
// stack of files). The caller needs "datasets.import" in the project; the body is bounded
// (SYLVA_MAX_UPLOAD_MB, default 2048) and refused with 413 beyond it; the answer is the import job,
// which the Input Data panel then follows through `datasets.importJobs` like any import.

import type { IncomingMessage, ServerResponse } from "node:http";
import { can, decodeUpload, importOptionsSchema, projectIdSchema, UploadFormatError } from "@sylva/shared";
import type { MetadataDb } from "../db/metadata.js";
import type { Env } from "../storage/config.js";
import type { ServiceExtras } from "./services.js";

const ROUTE = /^\/api\/projects\/([^/]+)\/uploads$/;
export const DEFAULT_MAX_UPLOAD_MB = 2048;

export function parseUploadPath(pathname: string): string | undefined {
  return ROUTE.exec(pathname)?.[1];
}

export function maxUploadBytes(env: Env): number {
  const mb = Number(env.SYLVA_MAX_UPLOAD_MB || DEFAULT_MAX_UPLOAD_MB);
  if (!(Number.isFinite(mb) && mb > 0))
    throw new Error(`SYLVA_MAX_UPLOAD_MB must be a positive number, got "${env.SYLVA_MAX_UPLOAD_MB}"`);
  return Math.floor(mb * 2 ** 20);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Reads the body up to `limit` bytes; undefined when it is larger (the rest is not read). */
async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  if (declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks, size);
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

export function uploadHandler(deps: { db: MetadataDb; services: ServiceExtras; maxBytes: number }) {
  return async (req: IncomingMessage, res: ServerResponse, user: string, project: string): Promise<void> => {
    if (req.method !== "POST") return reply(res, 405, { error: "uploads are sent with POST" });
    const projectId = projectIdSchema.safeParse(project);
    if (!projectId.success) return reply(res, 400, { error: `"${project}" is not a project id` });
    const role = await deps.db.members.roleOf(user, projectId.data);
    if (!role) return reply(res, 404, { error: `project ${project} not found` });
    if (!can(role, "datasets.import")) return reply(res, 403, { error: `a ${role} may not import datasets` });
    const url = new URL(req.url ?? "/", "http://localhost");
    const options = importOptionsSchema.safeParse({
      name: url.searchParams.get("name") ?? undefined,
      axes: url.searchParams.get("axes") || undefined,
      stackAlong: url.searchParams.get("stackAlong") || undefined,
    });
    if (!options.success)
      return reply(res, 400, {
        error: options.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
      });
    const body = await readBody(req, deps.maxBytes);
    if (!body) {
      res.setHeader("connection", "close");
      return reply(res, 413, { error: `the upload is larger than the limit of ${deps.maxBytes} bytes` });
    }
    let files: ReturnType<typeof decodeUpload>;
    try {
      files = decodeUpload(body);
    } catch (e) {
      if (e instanceof UploadFormatError) return reply(res, 400, { error: e.message });
      throw e;
    }
    const internalPath = url.searchParams.get("internalPath") || undefined;
    reply(res, 202, deps.services.importUploaded(projectId.data, user, files, options.data, internalPath));
  };
}

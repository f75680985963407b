// The HTTP side of joining a room: which upgrade requests are the sync server's (`<base>/<projectId>`,
// token in the query string as y-websocket's `params` put it), and refusing one with a real HTTP
// response before the socket is destroyed (so clients see 400/401/403/404/503, never a bare reset).

import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { type ProjectId, projectIdSchema } from "@sylva/shared";

export type SyncTarget =
  | { readonly ok: true; readonly projectId: ProjectId; readonly token: string | undefined }
  | { readonly ok: false; readonly status: 400; readonly reason: string };

/** The sync request `url` names, undefined when the path is not under `basePath` (not ours). */
export function parseSyncUrl(url: string | undefined, basePath: string): SyncTarget | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url ?? "", "http://localhost");
  } catch {
    return undefined;
  }
  const path = parsed.pathname;
  if (path !== basePath && !path.startsWith(`${basePath}/`)) return undefined;
  const room = path.slice(basePath.length + 1);
  const projectId = projectIdSchema.safeParse(room);
  if (!projectId.success)
    return {
      ok: false,
      status: 400,
      reason: `not a project id: "${room.slice(0, 64)}" (expected pr_ + 12 characters)`,
    };
  return { ok: true, projectId: projectId.data, token: parsed.searchParams.get("token") ?? undefined };
}

/** Answers the upgrade request with `status` and a text body, then destroys the socket. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return;
  const body = `${reason.replace(/[\r\n]+/g, " ")}\n`;
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    "Connection: close",
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  socket.once("finish", () => socket.destroy());
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
}

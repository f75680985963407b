// The Sylva compute service in one process: HTTP (tRPC API at /trpc, raw and feature preview tiles and
// export downloads at /api/…, /healthz) and the Yjs sync websocket (/sync/<projectId>) on one port,
// over the BlobStore and metadata database the environment selects, with live training and tiles on
// shared worker pools.
// Requests for anything else go to `fallback` (the web app, when apps/web/server.mjs runs the whole
// platform in this process), or get a 404. With `demo`, the first-run setup (demo/ensure-demo.ts) runs
// before the port opens.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { ProjectId } from "@sylva/shared";
import { type ApiContext, appRouter } from "@sylva/shared/api";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { deploymentSecret } from "../auth/secret.js";
import { accessFromEnv } from "../datasets/access.js";
import { getDataset } from "../datasets/catalog.js";
import { createDatasetService } from "../datasets/service.js";
import type { MetadataDb } from "../db/metadata.js";
import { openMetadataDb } from "../db/open.js";
import type { DemoDatasetOptions } from "../demo/demo-dataset.js";
import { type DemoSetup, ensureDemo } from "../demo/ensure-demo.js";
import { FeatureCache } from "../live/feature-cache.js";
import type { LiveProjectOptions } from "../live/live-project.js";
import { FeaturePool } from "../pool/features-pool.js";
import { ForestPool } from "../pool/forest-pool.js";
import type { BlobStore } from "../storage/blob-store.js";
import { type Env, storeFromEnv } from "../storage/config.js";
import { createSyncServer, type SyncLogger, type SyncServer } from "../sync/index.js";
import { exportDownloadHandler, parseExportDownloadPath } from "./export-download.js";
import { runExportJob } from "./export-job.js";
import { featureTileHandler, parseFeatureTilePath } from "./feature-tiles-route.js";
import { authenticate, requestToken } from "./http-auth.js";
import { LiveRooms } from "./live-rooms.js";
import { parseRawTilePath, rawTileHandler } from "./raw-tiles.js";
import { createApiServices } from "./services.js";
import { maxUploadBytes, parseUploadPath, uploadHandler } from "./upload-route.js";

export interface SylvaServerOptions {
  readonly env?: Env;
  /** Port to listen on (0: any free port); default PORT or 8787. */
  readonly port?: number;
  /** Default HOST or 127.0.0.1 (the embedded default only listens locally). */
  readonly host?: string;
  /** Worker threads per pool (default: available parallelism). */
  readonly workers?: number;
  readonly live?: LiveProjectOptions;
  readonly logger?: SyncLogger;
  /** Use these instead of the environment's (tests share a store or database). */
  readonly store?: BlobStore;
  readonly db?: MetadataDb;
  /** Handles every HTTP request that is not a route of the service (the web app). */
  readonly fallback?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  /** Handles websocket upgrades that are not /sync/… (e.g. the web app's dev-mode reloads). */
  readonly fallbackUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** First run: an "admin" user when there are none, a sign-in token for admin, the "Demo" project. */
  readonly demo?: boolean | { readonly dataset?: DemoDatasetOptions };
  /** The largest array one exported file may be made from (default 1 GiB). */
  readonly maxExportFileBytes?: number;
}

export interface SylvaServer {
  readonly url: string;
  readonly port: number;
  readonly http: Server;
  readonly sync: SyncServer;
  readonly live: LiveRooms;
  readonly db: MetadataDb;
  readonly store: BlobStore;
  /** What the first-run setup did (with `demo`): the demo user's fresh token, the demo project. */
  readonly demo?: DemoSetup;
  close(): Promise<void>;
}

export const DEFAULT_PORT = 8787;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export async function startSylvaServer(options: SylvaServerOptions = {}): Promise<SylvaServer> {
  const env = options.env ?? process.env;
  const logger = options.logger;
  const log = (m: string) => (logger ?? console).warn(m);
  const store = options.store ?? storeFromEnv(env);
  const secret = await deploymentSecret(env);
  const db = options.db ?? (await openMetadataDb(env));
  const datasets = createDatasetService({ store, access: await accessFromEnv(env) });
  const [featurePool, forestPool] = await Promise.all([
    FeaturePool.start({ workers: options.workers }),
    ForestPool.start({ workers: options.workers }),
  ]);
  const featureCache = new FeatureCache();
  const userExists = async (name: string) => (await db.users.get(name)) !== undefined;

  const sync = createSyncServer({
    store,
    logger,
    authorize: async ({ token, projectId }) => {
      const who = await authenticate(secret, token, userExists);
      if (!who.ok) return { ok: false, status: 401, reason: who.reason };
      const role = await db.members.roleOf(who.user, projectId);
      if (!role)
        return { ok: false, status: 403, reason: `user ${who.user} has no role in project ${projectId}` };
      return { ok: true, user: who.user, role };
    },
  });
  const live = new LiveRooms({
    rooms: sync.rooms,
    db,
    store,
    featurePool,
    forestPool,
    featureCache,
    options: options.live,
    log,
  });
  // Export jobs run in this process; shutting down aborts them and waits for them to settle.
  const exportsAbort = new AbortController();
  const runningExports = new Set<Promise<void>>();
  const services = createApiServices({
    db,
    datasets,
    docs: {
      read: async (projectId, fn) => {
        const lease = await sync.rooms.acquire(projectId);
        try {
          return fn(lease.room.doc);
        } finally {
          lease.release();
        }
      },
      change: (projectId, fn) => sync.rooms.change(projectId, fn),
    },
    trainingState: (projectId: ProjectId) => live.state(projectId),
    runExport: (job) => {
      const run = runExportJob({
        job,
        db,
        store,
        rooms: sync.rooms,
        live,
        featurePool,
        forestPool,
        log,
        signal: exportsAbort.signal,
        maxFileBytes: options.maxExportFileBytes,
      }).finally(() => runningExports.delete(run));
      runningExports.add(run);
    },
  });

  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/trpc/",
    createContext: async ({ req }): Promise<ApiContext> => {
      const who = await authenticate(secret, requestToken(req), userExists);
      return { user: who.ok ? { name: who.user } : null, services };
    },
  });
  const datasetInProject = async (user: string, projectId: string, datasetId: string) => {
    const role = await db.members.roleOf(user, projectId as ProjectId);
    if (!role || !(await db.datasets.has(projectId as ProjectId, datasetId))) return undefined;
    return getDataset(store, datasetId);
  };
  const rawTiles = rawTileHandler({ store, datasetInProject });
  const featureTiles = featureTileHandler({ store, datasetInProject, featurePool, featureCache });

  const download = exportDownloadHandler({ store, db });
  const upload = uploadHandler({ db, services, maxBytes: maxUploadBytes(env) });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/healthz") return json(res, 200, { ok: true });
    if (url.pathname.startsWith("/trpc/")) return trpc(req, res);
    const uploadProject = parseUploadPath(url.pathname);
    if (uploadProject !== undefined) {
      const who = await authenticate(secret, requestToken(req), userExists);
      if (!who.ok) return json(res, 401, { error: who.reason });
      return upload(req, res, who.user, uploadProject);
    }
    const tile = parseRawTilePath(url.pathname);
    const feature = tile ? undefined : parseFeatureTilePath(url);
    const files = tile || feature ? undefined : parseExportDownloadPath(url.pathname);
    if (tile || feature || files) {
      if (req.method !== "GET" && req.method !== "HEAD")
        return json(res, 405, { error: `${tile || feature ? "tiles" : "exports"} are read with GET` });
      const who = await authenticate(secret, requestToken(req), userExists);
      if (!who.ok) return json(res, 401, { error: who.reason });
      if (tile) return rawTiles(req, res, who.user, tile);
      if (feature) return featureTiles(req, res, who.user, feature);
      if (files) return download(req, res, who.user, files);
    }
    if (options.fallback) return options.fallback(req, res);
    json(res, 404, { error: `no route ${url.pathname}` });
  };
  const http = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`http ${req.method} ${req.url}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (!res.headersSent) json(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  http.on("upgrade", (req, socket, head) => {
    if (sync.handleUpgrade(req, socket, head)) return;
    if (options.fallbackUpgrade) return options.fallbackUpgrade(req, socket, head);
    socket.write("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
    socket.destroy();
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      exportsAbort.abort(new Error("the service is shutting down"));
      await Promise.allSettled([...runningExports]);
      services.close();
      live.close();
      await sync.close();
      if (http.listening) await new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await Promise.all([featurePool.close(), forestPool.close()]);
      if (!options.db) await db.close();
    })();
    return closing;
  };

  const port = options.port ?? (env.PORT ? Number(env.PORT) : DEFAULT_PORT);
  const host = options.host ?? env.HOST ?? "127.0.0.1";
  let demo: DemoSetup | undefined;
  try {
    if (options.demo)
      demo = await ensureDemo({
        db,
        store,
        secret,
        changeDoc: (projectId, fn) => sync.rooms.change(projectId, fn),
        dataset: typeof options.demo === "object" ? options.demo.dataset : undefined,
      });
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(port, host, () => {
        http.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
  const actual = (http.address() as AddressInfo).port;
  const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;

  return {
    url: `http://${shownHost}:${actual}`,
    port: actual,
    http,
    sync,
    live,
    db,
    store,
    ...(demo ? { demo } : {}),
    close,
  };
}

// The whole Sylva platform in one process on one port: the compute service (API at /trpc, label sync at
// /sync, raw tiles and export downloads at /api/…) with the Next.js web app serving every other request.
// On first run it sets up the demo (an "admin" user, the "Demo" project on a generated dataset) and on
// every start prints the URL and a sign-in link for admin.
//
//   node apps/web/server.mjs          production: the build in apps/web/.next (`npm start` builds it)
//   node apps/web/server.mjs --dev    Next's dev server (hot reload) in the same process
//
// PORT (default 3000) and HOST (default 127.0.0.1; 0.0.0.0 to serve other machines) pick the address;
// storage and metadata come from the environment as for `sylva serve` (embedded default: ./sylva-data,
// SQLite in it).

import { EventEmitter } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));
const dev = process.argv.includes("--dev");
process.env.NODE_ENV ??= dev ? "development" : "production";

const portText = process.env.PORT ?? "";
const port = portText === "" ? 3000 : Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number (0-65535), got "${portText}"`);
  process.exit(2);
}

const { default: next } = await import("next");
const { startSylvaServer } = await import("@sylva/compute/server");
const { browserUrl, signInUrl } = await import("@sylva/compute/demo");

// Next attaches its own "upgrade" listener to the server of the first request it handles, and would then
// also answer /sync websockets (corrupting them). Hand it a server of its own that never upgrades: the
// compute service routes every upgrade, passing Next's own (dev hot reload) through `fallbackUpgrade`.
const app = next({
  dev,
  dir,
  httpServer: new EventEmitter(),
  ...(port > 0 ? { hostname: "localhost", port } : {}),
});
try {
  await app.prepare();
} catch (e) {
  console.error(
    `cannot start the web app: ${e instanceof Error ? e.message : String(e)}\n` +
      'build it first: "npm run build" at the repository root ("npm start" builds, then starts)',
  );
  process.exit(1);
}
const handle = app.getRequestHandler();

const server = await startSylvaServer({
  port,
  host: process.env.HOST || "127.0.0.1",
  demo: true,
  fallback: (req, res) => handle(req, res),
  ...(dev ? { fallbackUpgrade: app.getUpgradeHandler() } : {}),
});
console.log(
  `Sylva is running on ${browserUrl(server.url)} (storage: ${server.store.description}; metadata: ${server.db.description})`,
);
const user = server.demo?.user;
if (user) console.log(`Sign in as ${user.name}: ${signInUrl(server.url, user.token)}`);

let stopping = false;
const stop = (signal) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: persisting rooms and stopping…`);
  Promise.allSettled([server.close(), app.close()]).then((results) => {
    for (const r of results)
      if (r.status === "rejected") console.error(`error while stopping: ${String(r.reason)}`);
    process.exit(0);
  });
};
process.once("SIGINT", () => stop("SIGINT"));
process.once("SIGTERM", () => stop("SIGTERM"));

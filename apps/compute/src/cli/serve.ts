// `sylva serve`: runs the compute service (API, sync, live training and tiles) until interrupted, on
// the environment's storage and database (embedded defaults: ./sylva-data and SQLite in it). With
// --demo, the first-run setup (an admin user, the Demo project) and a sign-in link for admin.

import { parseArgs } from "node:util";
import { signInUrl } from "../demo/sign-in.js";
import { DEFAULT_PORT, startSylvaServer } from "../server/app.js";
import { intOption } from "./args.js";
import { UsageError } from "./errors.js";

export const SERVE_HELP = `usage: sylva serve [--port N] [--host ADDRESS] [--demo]

Starts the compute service: the API (/trpc), raw tiles (/api/projects/…/tiles/…) and the label sync
websocket (/sync/<projectId>) on one port, default PORT or ${DEFAULT_PORT}, on 127.0.0.1 unless --host
(or HOST) says otherwise.

Storage: SYLVA_DATA_DIR (default ./sylva-data) or S3 when S3_BUCKET is set. Metadata: SQLite in the data
folder, or PostgreSQL when DATABASE_URL is set. Tokens are signed with SYLVA_SECRET (embedded default: a
secret generated once in the data folder). Add users with "sylva users add" and give them tokens with
"sylva token --user NAME". Stops cleanly (every label persisted) on Ctrl-C or SIGTERM.

--demo   first run: when there are no users, creates "admin" (site role owner); when there is no
         project "Demo", creates it on a generated sample dataset ("Demo cells", 48 × 384 × 384
         synthetic EM). Prints a sign-in link for admin (a fresh token) on every start.`;

export async function runServe(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      demo: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(SERVE_HELP);
    return;
  }
  if (positionals.length > 0)
    throw new UsageError(`unexpected arguments: ${positionals.join(" ")}\n\n${SERVE_HELP}`);
  const port =
    values.port !== undefined || process.env.PORT
      ? intOption("port", values.port ?? process.env.PORT, DEFAULT_PORT, 0, 65535)
      : undefined;
  const server = await startSylvaServer({ port, host: values.host, demo: values.demo === true });
  console.log(
    `Sylva compute service listening on ${server.url} (storage: ${server.store.description}; metadata: ${server.db.description})`,
  );
  const user = server.demo?.user;
  if (user) console.log(`Sign in as ${user.name}: ${signInUrl(server.url, user.token)}`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.log(`${signal}: persisting rooms and stopping…`);
      server.close().then(resolve, (e: unknown) => {
        console.error(`error while stopping: ${e instanceof Error ? e.message : String(e)}`);
        resolve();
      });
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}

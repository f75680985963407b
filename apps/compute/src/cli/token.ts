// `sylva token --user NAME [--days N]`: prints a signed token for an existing user, what a browser or a
// script presents to the API and the sync endpoint (signed with SYLVA_SECRET).

import { parseArgs } from "node:util";
import { deploymentSecret } from "../auth/secret.js";
import { issueToken } from "../auth/token.js";
import { withMetadataDb } from "../db/open.js";
import { intOption } from "./args.js";
import { UsageError } from "./errors.js";

export const TOKEN_HELP = `usage: sylva token --user NAME [--days N]

Prints a token for user NAME (who must exist: sylva users add NAME), valid for N days (default 30,
at most 3650), signed with SYLVA_SECRET (the same secret the service runs with).`;

const DEFAULT_DAYS = 30;
const MAX_DAYS = 3650;

export async function runToken(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      user: { type: "string" },
      days: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(TOKEN_HELP);
    return;
  }
  if (positionals.length > 0)
    throw new UsageError(`unexpected arguments: ${positionals.join(" ")}\n\n${TOKEN_HELP}`);
  const user = values.user;
  if (!user) throw new UsageError(`token needs --user NAME\n\n${TOKEN_HELP}`);
  const days = intOption("days", values.days, DEFAULT_DAYS, 1, MAX_DAYS);
  const secret = await deploymentSecret();
  const exists = await withMetadataDb(process.env, async (db) => (await db.users.get(user)) !== undefined);
  if (!exists) throw new UsageError(`no user ${user} (add one with: sylva users add ${user} --role ROLE)`);
  console.log(issueToken(secret, user, days * 24 * 3600));
}

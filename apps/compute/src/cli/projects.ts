// `sylva projects add NAME [--owner USER] | list [--json] | remove ID`: projects in the metadata database,
// created by an operator (a course's projects before its students sign in).

import { parseArgs } from "node:util";
import type { MetadataDb } from "../db/metadata.js";
import { withMetadataDb } from "../db/open.js";
import { UsageError } from "./errors.js";

export const PROJECTS_HELP = `usage: sylva projects add NAME [--owner USER]
       sylva projects list [--json]
       sylva projects remove PROJECT_ID

add      creates a project and prints its id; with --owner, USER (who must exist) becomes its owner.
list     the projects: id, name, creator, classifier generation, members, created.
remove   deletes a project with its memberships and export jobs (not its datasets).`;

async function list(db: MetadataDb, json: boolean): Promise<void> {
  const projects = await db.projects.list();
  const rows = await Promise.all(
    projects.map(async (p) => ({
      ...p,
      members: (await db.members.list(p.id)).map((m) => ({ userName: m.userName, role: m.role })),
    })),
  );
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  if (rows.length === 0) {
    console.log(`no projects in ${db.description}`);
    return;
  }
  for (const p of rows) {
    const members = p.members.map((m) => `${m.userName}:${m.role}`).join(",") || "-";
    console.log(
      `${p.id}\t${p.name}\t${p.createdBy ?? "-"}\tgeneration ${p.generation}\t${members}\t${p.createdAt}`,
    );
  }
}

export async function runProjects(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      owner: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(PROJECTS_HELP);
    return;
  }
  const [action = "list", arg, ...extra] = positionals;
  if (extra.length > 0)
    throw new UsageError(
      `unexpected arguments: ${extra.join(" ")} (quote a NAME with spaces)\n\n${PROJECTS_HELP}`,
    );
  if (action !== "list" && action !== "add" && action !== "remove")
    throw new UsageError(`unknown projects action "${action}"\n\n${PROJECTS_HELP}`);
  if (action === "add" && !arg) throw new UsageError(`projects add needs a NAME\n\n${PROJECTS_HELP}`);
  if (action === "remove" && !arg)
    throw new UsageError(`projects remove needs a PROJECT_ID\n\n${PROJECTS_HELP}`);
  if (action !== "add" && values.owner !== undefined)
    throw new UsageError(`--owner goes with projects add\n\n${PROJECTS_HELP}`);
  await withMetadataDb(process.env, async (db) => {
    if (action === "list") await list(db, values.json);
    else if (action === "add") {
      const p = await db.projects.create(arg, values.owner ?? null);
      console.log(`${p.id}\t${p.name}${p.createdBy ? `\towner ${p.createdBy}` : ""}`);
    } else {
      await db.projects.delete(arg);
      console.log(`removed project ${arg}`);
    }
  });
}

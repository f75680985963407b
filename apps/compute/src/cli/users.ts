// `sylva users add NAME [--role ROLE] [--project ID] | list [--json] | remove NAME`: the operator's view of
// who may use Sylva, in the metadata database (SQLite in the data folder, or PostgreSQL at DATABASE_URL).

import { parseArgs } from "node:util";
import { type Role, roleSchema, userNameSchema } from "@sylva/shared";
import type { MetadataDb } from "../db/metadata.js";
import { withMetadataDb } from "../db/open.js";
import { UsageError } from "./errors.js";

export const USERS_HELP = `usage: sylva users add NAME [--role ROLE] [--project PROJECT_ID]
       sylva users list [--json]
       sylva users remove NAME

add      creates the user NAME if missing. With --role and --project, makes them a member of that
         project with ROLE; with --role alone, gives them ROLE as site role (their role in every
         project where they are not a member).
list     the users, their site roles and memberships.
remove   deletes a user and their memberships.

ROLE is one of owner, instructor, annotator, viewer. The database is SQLite in SYLVA_DATA_DIR
(or SYLVA_DB_PATH), or PostgreSQL when DATABASE_URL is set.`;

function role(text: string | undefined): Role | undefined {
  if (text === undefined) return undefined;
  const r = roleSchema.safeParse(text);
  if (!r.success)
    throw new UsageError(`--role must be one of ${roleSchema.options.join(", ")}, got "${text}"`);
  return r.data;
}

async function add(db: MetadataDb, name: string, role: Role | undefined, projectId?: string) {
  if (!userNameSchema.safeParse(name).success)
    throw new UsageError(`"${name}" is not a user name: 1-64 letters, digits, '.', '_' or '-'`);
  if (projectId !== undefined && role === undefined)
    throw new UsageError("--project needs --role: the user's role in that project");
  const project = projectId === undefined ? undefined : await db.projects.get(projectId);
  if (projectId !== undefined && project === undefined)
    throw new UsageError(`no project ${projectId} (see sylva projects list)`);
  const existing = await db.users.get(name);
  if (existing === undefined) {
    await db.users.add(name, project === undefined ? (role ?? null) : null);
    console.log(`added user ${name}`);
  }
  if (role === undefined) {
    if (existing !== undefined) console.log(`user ${name} already exists`);
  } else if (project !== undefined) {
    await db.members.setRole(project.id, name, role);
    console.log(`${name} is ${role} in project ${project.id} "${project.name}"`);
  } else {
    if (existing !== undefined) await db.users.setSiteRole(name, role);
    console.log(`${name} has site role ${role} (every project where they are not a member)`);
  }
}

async function list(db: MetadataDb, json: boolean): Promise<void> {
  const users = await db.users.list();
  const rows = await Promise.all(
    users.map(async (u) => ({ ...u, memberships: await db.members.listForUser(u.name) })),
  );
  if (json) {
    console.log(
      JSON.stringify(
        rows.map((u) => ({
          name: u.name,
          siteRole: u.siteRole,
          createdAt: u.createdAt,
          memberships: u.memberships.map((m) => ({ projectId: m.projectId, role: m.role })),
        })),
        null,
        2,
      ),
    );
    return;
  }
  if (rows.length === 0) {
    console.log(`no users in ${db.description}`);
    return;
  }
  for (const u of rows) {
    const projects = u.memberships.map((m) => `${m.projectId}:${m.role}`).join(",") || "-";
    console.log(`${u.name}\t${u.siteRole ?? "-"}\t${projects}\t${u.createdAt}`);
  }
}

export async function runUsers(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: "string" },
      project: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USERS_HELP);
    return;
  }
  const [action = "list", name, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(" ")}\n\n${USERS_HELP}`);
  if (action !== "list" && action !== "add" && action !== "remove")
    throw new UsageError(`unknown users action "${action}"\n\n${USERS_HELP}`);
  if (action !== "list" && !name) throw new UsageError(`users ${action} needs a user NAME\n\n${USERS_HELP}`);
  if (action !== "add" && (values.role !== undefined || values.project !== undefined))
    throw new UsageError(`--role and --project go with users add\n\n${USERS_HELP}`);
  const r = role(values.role);
  await withMetadataDb(process.env, async (db) => {
    if (action === "list") await list(db, values.json);
    else if (action === "add") await add(db, name, r, values.project);
    else {
      await db.users.remove(name);
      console.log(`removed user ${name}`);
    }
  });
}

// The metadata database the service uses: users, projects, memberships and roles, project datasets and
// export jobs, over either SQL driver, with the schema migrated when it is opened.

import type { Dialect, SqlDriver } from "./driver.js";
import { ExportJobs } from "./exports.js";
import { Members } from "./members.js";
import { migrate } from "./migrations.js";
import { ProjectDatasets } from "./project-datasets.js";
import { Projects } from "./projects.js";
import { Users } from "./users.js";

export interface MetadataDb {
  readonly dialect: Dialect;
  /** Where the database is, for messages (never with a password). */
  readonly description: string;
  readonly users: Users;
  readonly projects: Projects;
  readonly members: Members;
  readonly datasets: ProjectDatasets;
  readonly exports: ExportJobs;
  close(): Promise<void>;
}

/** The metadata database on `driver`, after applying any missing migration (closes the driver if that fails). */
export async function createMetadataDb(driver: SqlDriver): Promise<MetadataDb> {
  try {
    await migrate(driver);
  } catch (e) {
    await driver.close();
    throw e;
  }
  return {
    dialect: driver.dialect,
    description: driver.description,
    users: new Users(driver),
    projects: new Projects(driver),
    members: new Members(driver),
    datasets: new ProjectDatasets(driver),
    exports: new ExportJobs(driver),
    close: () => driver.close(),
  };
}

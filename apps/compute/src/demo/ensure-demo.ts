// First run: what `sylva serve --demo` (and the web server) set up so that a new user can paint at once.
//
// - No users in the metadata database yet: create "admin" with site role owner.
// - "admin" exists: a fresh sign-in token for them on every start (signed with the deployment secret).
// - No project named "Demo" yet: create it (owned by admin when admin exists), attach the demo dataset
//   (demo-dataset.ts) and give its document the demo's classes and feature selection.
// Every step checks before it acts, so starting again changes nothing but the token.

import type { FeatureSelectionInput, LabelClass, ProjectId } from "@sylva/shared";
import { addClass, readClasses, setFeatureSelection, updateClass } from "@sylva/shared";
import type * as Y from "yjs";
import { issueToken } from "../auth/token.js";
import type { MetadataDb } from "../db/metadata.js";
import type { BlobStore } from "../storage/blob-store.js";
import { type DemoDatasetOptions, ensureDemoDataset } from "./demo-dataset.js";

export const DEMO_USER = "admin";
export const DEMO_PROJECT = "Demo";

/** The demo's label classes, in ilastik's default colors (red, green, yellow). */
export const DEMO_CLASSES: readonly Pick<LabelClass, "name">[] = [
  { name: "Membrane" },
  { name: "Cytoplasm" },
  { name: "Mitochondria" },
];

/**
 * The demo's features: intensity, edges and texture at three scales, filtered in 3D (the cells are
 * isotropic). 15 channels; measured in test/demo: a few strokes give a full 384² prediction in seconds
 * on two cores.
 */
export const DEMO_FEATURES: FeatureSelectionInput = {
  features: ["GS", "LoG", "GGM", "STE", "HoGE"],
  scales: [0.7, 1.6, 3.5],
  in2d: false,
};

export interface DemoDeps {
  readonly db: MetadataDb;
  readonly store: BlobStore;
  /** Changes a project's document through its sync room (persisted, then broadcast). */
  readonly changeDoc: (projectId: ProjectId, fn: (doc: Y.Doc) => void) => Promise<void>;
  /** The deployment's token secret. */
  readonly secret: Buffer;
  readonly dataset?: DemoDatasetOptions;
}

export interface DemoSetup {
  /** The demo user and a fresh token for them (absent when other users exist and "admin" does not). */
  readonly user?: { readonly name: string; readonly token: string; readonly created: boolean };
  readonly project: { readonly id: ProjectId; readonly created: boolean };
  /** The demo dataset, when this start created the project. */
  readonly datasetId?: string;
}

/** The demo classes and features in a document (classes renamed or added in place). */
export function applyDemoDoc(doc: Y.Doc): void {
  doc.transact(() => {
    const existing = readClasses(doc);
    for (const [i, c] of DEMO_CLASSES.entries()) {
      const have = existing[i];
      if (have) updateClass(doc, have.id, { name: c.name });
      else addClass(doc, c);
    }
    setFeatureSelection(doc, DEMO_FEATURES);
  });
}

export async function ensureDemo(deps: DemoDeps): Promise<DemoSetup> {
  const { db } = deps;
  let createdUser = false;
  if ((await db.users.list()).length === 0) {
    await db.users.add(DEMO_USER, "owner");
    createdUser = true;
  }
  const admin = await db.users.get(DEMO_USER);
  const user = admin
    ? { name: admin.name, token: issueToken(deps.secret, admin.name), created: createdUser }
    : undefined;

  const existing = (await db.projects.list()).find((p) => p.name === DEMO_PROJECT);
  if (existing) return { ...(user ? { user } : {}), project: { id: existing.id, created: false } };

  const { manifest } = await ensureDemoDataset(deps.store, {
    ...deps.dataset,
    ...(admin ? { createdBy: admin.name } : {}),
  });
  const project = await db.projects.create(DEMO_PROJECT, admin ? admin.name : null);
  await db.datasets.add(project.id, manifest.id);
  await deps.changeDoc(project.id, applyDemoDoc);
  return { ...(user ? { user } : {}), project: { id: project.id, created: true }, datasetId: manifest.id };
}

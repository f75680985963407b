// Presence in the project's awareness: who I am (`user`), where my mouse is (`cursor`), and what I look
// at (`view`, viewSchema, read by the compute service to schedule live tiles); and the same read back
// from the other clients.
import { type View, viewSchema } from "@sylva/shared";
import type { Awareness } from "y-protocols/awareness";
import type { Plane } from "../viewer/geometry";

export interface PresenceUser {
  readonly name: string;
  readonly color: string;
}

export interface Cursor {
  readonly datasetId: string;
  readonly plane: Plane;
  readonly t: number;
  readonly slice: number;
  readonly u: number;
  readonly v: number;
}

export interface Peer {
  readonly clientId: number;
  readonly user: PresenceUser;
  readonly cursor: Cursor | null;
  readonly view: View | null;
}

export function setUser(awareness: Awareness, user: PresenceUser): void {
  awareness.setLocalStateField("user", user);
}

export function setCursor(awareness: Awareness, cursor: Cursor | null): void {
  awareness.setLocalStateField("cursor", cursor);
}

/** Publishes the views on screen (`views`, active first) and the active one (`view`). */
export function setViews(awareness: Awareness, views: readonly View[]): void {
  awareness.setLocalStateField("views", views);
  awareness.setLocalStateField("view", views[0] ?? null);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

function readUser(v: unknown): PresenceUser | null {
  if (!isRecord(v) || typeof v.name !== "string") return null;
  return { name: v.name.slice(0, 64), color: typeof v.color === "string" ? v.color : "#9ca3af" };
}

function readCursor(v: unknown): Cursor | null {
  if (!isRecord(v)) return null;
  const { datasetId, plane, slice, u, v: vv, t } = v;
  if (typeof datasetId !== "string" || (plane !== "xy" && plane !== "xz" && plane !== "yz")) return null;
  if (typeof slice !== "number" || typeof u !== "number" || typeof vv !== "number") return null;
  return { datasetId, plane, slice, u, v: vv, t: typeof t === "number" ? t : 0 };
}

/** The other clients with a user, sorted by name. */
export function readPeers(awareness: Awareness): Peer[] {
  const out: Peer[] = [];
  for (const [clientId, state] of awareness.getStates()) {
    if (clientId === awareness.clientID || !isRecord(state)) continue;
    const user = readUser(state.user);
    if (!user) continue;
    const view = viewSchema.safeParse(state.view);
    out.push({ clientId, user, cursor: readCursor(state.cursor), view: view.success ? view.data : null });
  }
  return out.sort((a, b) => a.user.name.localeCompare(b.user.name) || a.clientId - b.clientId);
}

// Live training for every open sync room: when a project's room loads, a LiveProject watches its
// document; each connection's awareness `view` (validated, and only for datasets of the project) becomes
// that connection's tile subscription; tile frames go back on the same websocket as message type 100.
// New projects' documents get their defaults (two classes, all features) the first time a room loads.

import {
  encodeTileFrame,
  initProjectDoc,
  type ProjectId,
  readClasses,
  TILE_MESSAGE_TYPE,
  type View,
  viewsOfState,
} from "@sylva/shared";
import type { TrainingState } from "@sylva/shared/api";
import * as encoding from "lib0/encoding";
import type { MetadataDb } from "../db/metadata.js";
import type { FeatureCache } from "../live/feature-cache.js";
import { LiveProject, type LiveProjectOptions } from "../live/live-project.js";
import type { FeaturePool } from "../pool/features-pool.js";
import type { ForestPool } from "../pool/forest-pool.js";
import type { BlobStore } from "../storage/blob-store.js";
import type { Room, Rooms } from "../sync/index.js";

export interface LiveRoomsDeps {
  readonly rooms: Rooms;
  readonly db: MetadataDb;
  readonly store: BlobStore;
  readonly featurePool: FeaturePool;
  readonly forestPool: ForestPool;
  readonly featureCache: FeatureCache;
  readonly options?: LiveProjectOptions;
  readonly log?: (message: string) => void;
}

/** A tile frame as a y-websocket message: varuint 100, then the frame. */
export function tileMessage(frame: Parameters<typeof encodeTileFrame>[0]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, TILE_MESSAGE_TYPE);
  encoding.writeUint8Array(encoder, encodeTileFrame(frame));
  return encoding.toUint8Array(encoder);
}

export class LiveRooms {
  private readonly live = new Map<string, LiveProject>();
  private readonly offs: (() => void)[] = [];

  constructor(private readonly deps: LiveRoomsDeps) {
    this.offs.push(deps.rooms.on("open", (room) => void this.attach(room)));
    this.offs.push(
      deps.rooms.on("close", (room) => {
        this.live.get(room.projectId)?.close();
        this.live.delete(room.projectId);
      }),
    );
  }

  /** The live state of a project whose room is open. */
  state(projectId: ProjectId): TrainingState | undefined {
    const p = this.live.get(projectId);
    if (!p) return undefined;
    const s = p.state();
    return {
      generation: s.generation,
      status: s.status,
      ...(s.error ? { error: s.error } : {}),
      ...(s.lastTrainMs !== null ? { lastTrainMs: s.lastTrainMs } : {}),
      ...(s.lastTrainedAt !== null ? { lastTrainedAt: new Date(s.lastTrainedAt).toISOString() } : {}),
      samplesPerClass: { ...s.samplesPerClass },
    };
  }

  project(projectId: string): LiveProject | undefined {
    return this.live.get(projectId);
  }

  close(): void {
    for (const off of this.offs) off();
    for (const p of this.live.values()) p.close();
    this.live.clear();
  }

  private async attach(room: Room): Promise<void> {
    const { db } = this.deps;
    const projectId = room.projectId;
    try {
      if (readClasses(room.doc).length === 0)
        await this.deps.rooms.change(projectId, (doc) => initProjectDoc(doc));
      if (room.closed) return;
      const project = new LiveProject({
        projectId,
        doc: room.doc,
        store: this.deps.store,
        featurePool: this.deps.featurePool,
        forestPool: this.deps.forestPool,
        featureCache: this.deps.featureCache,
        nextGeneration: () => db.projects.bumpGeneration(projectId),
        datasetAllowed: (id) => db.datasets.has(projectId, id),
        sink: (subscriber, frame) => room.send(Number(subscriber.split("/")[0]), tileMessage(frame)),
        options: {
          initialGeneration: await db.projects.getGeneration(projectId),
          log: this.deps.log,
          ...this.deps.options,
        },
      });
      if (room.closed) {
        project.close();
        return;
      }
      this.live.set(projectId, project);
      let pending = Promise.resolve();
      const refresh = () => {
        pending = pending
          .then(() => this.publishViews(room, project))
          .catch((e: unknown) => this.deps.log?.(`live ${projectId}: ${String(e)}`));
      };
      room.on("awareness", refresh);
      room.on("connection-close", refresh);
      refresh();
    } catch (e) {
      this.deps.log?.(
        `live ${projectId}: cannot start live training: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  /**
   * Every connection's views (`views`, or its single `view`; see @sylva/shared's view.ts) of datasets of
   * this project, keyed "<connection id>/<index>": the tile sink sends each to its connection.
   */
  private async publishViews(room: Room, project: LiveProject): Promise<void> {
    const views = new Map<string, View>();
    const allowed = new Map<string, boolean>();
    const states = room.awareness.getStates();
    for (const conn of room.connections) {
      for (const clientId of conn.awarenessClientIds) {
        const wanted = viewsOfState(states.get(clientId));
        for (const [i, view] of wanted.entries()) {
          const ds = view.datasetId;
          if (!allowed.has(ds)) allowed.set(ds, await this.deps.db.datasets.has(room.projectId, ds));
          if (allowed.get(ds)) views.set(`${conn.id}/${i}`, view);
        }
        if (wanted.length > 0) break;
      }
    }
    project.setViews(views);
  }
}

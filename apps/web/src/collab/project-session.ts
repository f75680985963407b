// A project's live session: its Y.Doc synced over the y-websocket room /sync/<projectId> (token in the
// query), presence in awareness, and live tile frames (message type 100) routed into a LiveTileStore.
import { decodeTileFrame, TILE_MESSAGE_TYPE } from "@sylva/shared";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { Store } from "../lib/store";
import { LiveTileStore } from "../viewer/live-tiles";
import { type PresenceUser, setUser } from "./presence";

export type ConnectionStatus = "connecting" | "connected" | "disconnected";

export interface SessionStatus {
  readonly status: ConnectionStatus;
  /** The document has been synced with the server at least once. */
  readonly synced: boolean;
}

export function syncUrl(): string {
  return `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}/sync`;
}

export class ProjectSession {
  readonly doc = new Y.Doc();
  readonly provider: WebsocketProvider;
  readonly live = new LiveTileStore();
  readonly status = new Store<SessionStatus>({ status: "connecting", synced: false });
  /** The transaction origin of this user's edits: Y.UndoManager tracks exactly these. */
  readonly origin: { readonly user: string };

  constructor(
    readonly projectId: string,
    token: string,
    readonly user: PresenceUser,
  ) {
    this.origin = { user: user.name };
    this.provider = new WebsocketProvider(syncUrl(), projectId, this.doc, { params: { token } });
    this.provider.messageHandlers[TILE_MESSAGE_TYPE] = (_encoder, decoder) => {
      const bytes = decoder.arr.subarray(decoder.pos);
      decoder.pos = decoder.arr.length;
      try {
        this.live.add(decodeTileFrame(bytes));
      } catch (e) {
        console.warn("dropped a malformed tile frame:", e);
      }
    };
    this.provider.on("status", ({ status }) => this.status.set({ status }));
    this.provider.on("sync", (synced: boolean) => {
      if (synced) this.status.set({ synced: true });
    });
    setUser(this.provider.awareness, user);
  }

  destroy(): void {
    this.provider.awareness.setLocalState(null);
    this.provider.destroy();
    this.doc.destroy();
  }
}

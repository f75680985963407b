// The Yjs sync server (y-websocket protocol) and the durable log of each project's document.

export {
  CLOSE_GOING_AWAY,
  CLOSE_INTERNAL_ERROR,
  CLOSE_MALFORMED,
  CLOSE_TRY_AGAIN_LATER,
  type ConnectionInfo,
  MAX_BUFFERED_BYTES,
} from "./connection.js";
export { DocLog, DocLogError, type LoadDocOptions, type LoadedDoc, listLog, loadDoc } from "./doc-log.js";
export { DEFAULT_WRITES_IN_FLIGHT, MAX_BATCH_BYTES } from "./group-commit.js";
export { docPrefix, type LogKey, parseLogKey, SEQ_DIGITS, snapshotKey, updateKey } from "./keys.js";
export { consoleLogger, type SyncLogger, silentLogger } from "./logger.js";
export {
  type ClientMessage,
  decodeClientMessage,
  encodeAwareness,
  encodeMessage,
  encodePermissionDenied,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  MAX_MESSAGE_BYTES,
  MalformedMessageError,
  MESSAGE_AUTH,
  MESSAGE_AWARENESS,
  MESSAGE_QUERY_AWARENESS,
  MESSAGE_SYNC,
} from "./messages.js";
export { Room } from "./room.js";
export {
  type AwarenessChanges,
  DEFAULT_COMPACT_EVERY_BYTES,
  DEFAULT_COMPACT_EVERY_UPDATES,
  type MessageHandler,
  PERMISSION_DENIED_REASON,
  RoomClosedError,
  type RoomEvents,
  type RoomOptions,
  type RoomStats,
  type UpdateOrigin,
} from "./room-types.js";
export {
  DEFAULT_UNLOAD_AFTER_MS,
  type RoomLease,
  Rooms,
  type RoomsEvents,
  type RoomsOptions,
} from "./rooms.js";
export {
  type Authorize,
  type AuthorizeRequest,
  type AuthorizeResult,
  createSyncServer,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_SYNC_PATH,
  type SyncServer,
  type SyncServerOptions,
} from "./server.js";

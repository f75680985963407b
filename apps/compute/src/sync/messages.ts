// The y-websocket wire protocol (lib0 encoding): every message is a varuint message type followed by its
// body. Types: 0 sync (y-protocols/sync: step 1 = state vector, step 2 and update = a Yjs update),
// 1 awareness (a y-protocols awareness update), 2 auth (y-protocols/auth: 0 = permission denied + reason),
// 3 query awareness (no body). Other types carry application frames (TILE_MESSAGE_TYPE = 100, live
// tiles). Incoming messages are decoded strictly: a length past the end, trailing bytes or an unknown
// sync step is a MalformedMessageError, and the connection that sent it is closed.

import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_AUTH = 2;
export const MESSAGE_QUERY_AWARENESS = 3;

export const SYNC_STEP1 = 0;
export const SYNC_STEP2 = 1;
export const SYNC_UPDATE = 2;

/** y-protocols/auth's "permission denied" auth message. */
export const AUTH_PERMISSION_DENIED = 0;

/** The largest message accepted from a client (larger ones close the connection, code 1009). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export class MalformedMessageError extends Error {
  override readonly name = "MalformedMessageError";
}

export type ClientMessage =
  | { readonly kind: "sync-step1"; readonly stateVector: Uint8Array }
  | { readonly kind: "sync-step2"; readonly update: Uint8Array }
  | { readonly kind: "sync-update"; readonly update: Uint8Array }
  | { readonly kind: "awareness"; readonly update: Uint8Array }
  | { readonly kind: "query-awareness" }
  | { readonly kind: "auth"; readonly body: Uint8Array }
  | { readonly kind: "other"; readonly type: number; readonly body: Uint8Array };

function readVarUint(d: decoding.Decoder, what: string): number {
  try {
    return decoding.readVarUint(d);
  } catch {
    throw new MalformedMessageError(`truncated ${what}`);
  }
}

/** A varuint length and that many bytes, copied (lib0's reader does not check the length). */
function readBytes(d: decoding.Decoder, what: string): Uint8Array {
  const len = readVarUint(d, `${what} length`);
  if (len > d.arr.length - d.pos)
    throw new MalformedMessageError(`${what} claims ${len} bytes, ${d.arr.length - d.pos} remain`);
  const out = d.arr.slice(d.pos, d.pos + len);
  d.pos += len;
  return out;
}

function end(d: decoding.Decoder, what: string): void {
  if (d.pos !== d.arr.length)
    throw new MalformedMessageError(`${d.arr.length - d.pos} trailing bytes after ${what}`);
}

/** Decodes one client message; a MalformedMessageError says what is wrong with it. */
export function decodeClientMessage(data: Uint8Array): ClientMessage {
  const d = decoding.createDecoder(data);
  const type = readVarUint(d, "message type");
  switch (type) {
    case MESSAGE_SYNC: {
      const step = readVarUint(d, "sync step");
      if (step === SYNC_STEP1) {
        const stateVector = readBytes(d, "state vector");
        end(d, "sync step 1");
        return { kind: "sync-step1", stateVector };
      }
      if (step === SYNC_STEP2 || step === SYNC_UPDATE) {
        const update = readBytes(d, "update");
        end(d, "sync update");
        return { kind: step === SYNC_STEP2 ? "sync-step2" : "sync-update", update };
      }
      throw new MalformedMessageError(`unknown sync step ${step}`);
    }
    case MESSAGE_AWARENESS: {
      const update = readBytes(d, "awareness update");
      end(d, "awareness update");
      return { kind: "awareness", update };
    }
    case MESSAGE_QUERY_AWARENESS:
      end(d, "query awareness");
      return { kind: "query-awareness" };
    case MESSAGE_AUTH:
      return { kind: "auth", body: data.slice(d.pos) };
    default:
      return { kind: "other", type, body: data.slice(d.pos) };
  }
}

function message(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  write(e);
  return encoding.toUint8Array(e);
}

export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return message((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    encoding.writeVarUint(e, SYNC_STEP1);
    encoding.writeVarUint8Array(e, stateVector);
  });
}

export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  return message((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    encoding.writeVarUint(e, SYNC_STEP2);
    encoding.writeVarUint8Array(e, update);
  });
}

export function encodeSyncUpdate(update: Uint8Array): Uint8Array {
  return message((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    encoding.writeVarUint(e, SYNC_UPDATE);
    encoding.writeVarUint8Array(e, update);
  });
}

export function encodeAwareness(update: Uint8Array): Uint8Array {
  return message((e) => {
    encoding.writeVarUint(e, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(e, update);
  });
}

/** y-protocols/auth `writePermissionDenied`, as a y-websocket message (type 2). */
export function encodePermissionDenied(reason: string): Uint8Array {
  return message((e) => {
    encoding.writeVarUint(e, MESSAGE_AUTH);
    encoding.writeVarUint(e, AUTH_PERMISSION_DENIED);
    encoding.writeVarString(e, reason);
  });
}

/** An application message: varuint `type` then `body` as is (e.g. a tile frame, type 100). */
export function encodeMessage(type: number, body: Uint8Array): Uint8Array {
  return message((e) => {
    encoding.writeVarUint(e, type);
    encoding.writeUint8Array(e, body);
  });
}

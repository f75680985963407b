// Server-side changes to a room's document, made without touching it: `fn` runs in one transaction on a
// scratch copy whose client id is the room's own, and the update it produced is returned, to go through
// the log (persisted, then applied and broadcast) like a client's. Calls must not overlap for one room:
// each copy continues the clock of the previous change, which must already be applied.

import { randomInt } from "node:crypto";
import * as Y from "yjs";

/** A random client id that `doc` has not seen. */
export function unusedClientId(doc: Y.Doc): number {
  const seen = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (;;) {
    const id = randomInt(1, 2 ** 32 - 1);
    if (!seen.has(id)) return id;
  }
}

/** `fn`'s result, and the update it made to a copy of `doc` (undefined when it changed nothing). */
export function changeOnCopy<T>(
  doc: Y.Doc,
  clientId: number,
  fn: (doc: Y.Doc) => T,
  origin: unknown,
): { result: T; update: Uint8Array | undefined } {
  const scratch = new Y.Doc({ gc: false });
  try {
    Y.applyUpdate(scratch, Y.encodeStateAsUpdate(doc));
    // Only now: loading items of `clientId` into a doc that already has that id would make Yjs pick a
    // new random one ("another client seems to be using it").
    scratch.clientID = clientId;
    const updates: Uint8Array[] = [];
    scratch.on("update", (u: Uint8Array) => updates.push(u));
    const result = scratch.transact(() => fn(scratch), origin);
    const update =
      updates.length === 0 ? undefined : updates.length === 1 ? updates[0] : Y.mergeUpdates(updates);
    return { result, update };
  } finally {
    scratch.destroy();
  }
}

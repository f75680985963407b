// What a client's Yjs update would change in a document, decided before anything is persisted: the
// update is fully decoded (a malformed one throws MalformedMessageError) and reduced to what the document
// lacks. An update that only repeats what the document has (the usual sync step 2 of a client with
// nothing new) changes nothing: it is neither persisted nor, from a viewer, refused.

import * as Y from "yjs";
import { MalformedMessageError } from "./messages.js";

export interface UpdateCheck {
  /** Whether applying the update would change the document. */
  readonly changes: boolean;
  /** The update without the structs the document already has (what to persist and apply). */
  readonly update: Uint8Array;
}

/** Whether every range of `deletes` is already deleted in `doc`. */
function deletesKnown(doc: Y.Doc, deletes: Map<number, { clock: number; len: number }[]>): boolean {
  let have: Map<number, { clock: number; len: number }[]> | undefined;
  for (const [client, ranges] of deletes) {
    for (const r of ranges) {
      if (r.len === 0) continue;
      have ??= Y.createDeleteSetFromStructStore(doc.store).clients; // sorted, adjacent ranges merged
      const known = have.get(client) ?? [];
      if (!known.some((k) => k.clock <= r.clock && r.clock + r.len <= k.clock + k.len)) return false;
    }
  }
  return true;
}

export function checkUpdate(doc: Y.Doc, update: Uint8Array): UpdateCheck {
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    decoded = Y.decodeUpdate(update);
  } catch (e) {
    throw new MalformedMessageError(`update does not decode: ${(e as Error).message}`);
  }
  let someNew = false;
  let someKnown = false;
  for (const s of decoded.structs) {
    if (s instanceof Y.Skip) continue;
    const have = Y.getState(doc.store, s.id.client);
    if (s.id.clock + s.length > have) someNew = true;
    if (s.id.clock < have) someKnown = true;
  }
  // The common case, a fresh local change, is all new: kept as it is.
  if (someNew)
    return { changes: true, update: someKnown ? Y.diffUpdate(update, Y.encodeStateVector(doc)) : update };
  if (deletesKnown(doc, decoded.ds.clients)) return { changes: false, update };
  return { changes: true, update: Y.diffUpdate(update, Y.encodeStateVector(doc)) };
}

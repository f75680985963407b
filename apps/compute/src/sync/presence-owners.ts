// Which connection publishes which awareness client ids, so that a connection's presence can be removed
// when it closes. The latest connection to publish an id owns it: a client that reconnects (same id, new
// socket) takes it over from its old socket, whose late close then removes nothing of the new one.

export interface PresenceOwner {
  readonly awarenessClientIds: Set<number>;
}

export class PresenceOwners<C extends PresenceOwner> {
  readonly #owners = new Map<number, C>();

  /** `owner` published states for `ids`. */
  claim(ids: readonly number[], owner: C): void {
    for (const id of ids) {
      const previous = this.#owners.get(id);
      if (previous && previous !== owner) previous.awarenessClientIds.delete(id);
      this.#owners.set(id, owner);
      owner.awarenessClientIds.add(id);
    }
  }

  /** The states of `ids` were removed. */
  release(ids: readonly number[]): void {
    for (const id of ids) {
      this.#owners.get(id)?.awarenessClientIds.delete(id);
      this.#owners.delete(id);
    }
  }

  /** The ids `owner` still owns. */
  ownedBy(owner: C): number[] {
    return [...owner.awarenessClientIds].filter((id) => this.#owners.get(id) === owner);
  }
}

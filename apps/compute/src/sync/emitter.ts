// A small typed event emitter for rooms: a listener that throws is reported to `onError` and never
// disturbs the room or the other listeners.

/** Event name → listener signature (`never[]` accepts any parameter list). */
type EventMap<E> = { [K in keyof E]: (...args: never[]) => void };

export class Emitter<E extends EventMap<E>> {
  readonly #listeners = new Map<keyof E, Set<E[keyof E]>>();

  constructor(private readonly onError: (event: string, e: unknown) => void) {}

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: E[K]): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<K extends keyof E>(event: K, listener: E[K]): void {
    this.#listeners.get(event)?.delete(listener);
  }

  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: Parameters<E[K]>) => void)(...args);
      } catch (e) {
        this.onError(String(event), e);
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}

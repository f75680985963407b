// A tiny observable store (state + subscribers) and its React hook with a selector, for state that plain
// TypeScript modules (the viewer, tools) and React components share without re-rendering everything.
import { useCallback, useRef, useSyncExternalStore } from "react";

export class Store<T> {
  private state: T;
  private readonly listeners = new Set<() => void>();
  constructor(initial: T) {
    this.state = initial;
  }
  get(): T {
    return this.state;
  }
  set(change: Partial<T> | ((s: T) => Partial<T>)): void {
    const patch = typeof change === "function" ? change(this.state) : change;
    let changed = false;
    for (const k of Object.keys(patch) as (keyof T)[])
      if (!Object.is(this.state[k], patch[k])) {
        changed = true;
        break;
      }
    if (!changed) return;
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }
  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
}

/** The selected slice of a store; re-renders only when it changes (Object.is, or `equal`). */
export function useStore<T, S>(
  store: Store<T>,
  select: (s: T) => S,
  equal: (a: S, b: S) => boolean = Object.is,
): S {
  const last = useRef<{ value: S } | null>(null);
  const getSnapshot = useCallback(() => {
    const next = select(store.get());
    if (last.current && equal(last.current.value, next)) return last.current.value;
    last.current = { value: next };
    return next;
  }, [store, select, equal]);
  return useSyncExternalStore(store.subscribe, getSnapshot, getSnapshot);
}

export function shallowEqual<S>(a: S, b: S): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const ka = Object.keys(a) as (keyof S)[];
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.is(a[k], b[k]));
}

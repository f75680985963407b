// Background priority for compute threads: each pool worker lowers its own scheduling priority (nice
// +10 on Linux, where a thread's id is a valid target of setpriority), so that when features, training
// or prediction keep every core busy, the main thread — websocket sync, the API — still gets the CPU at
// once. Throughput is unchanged when the main thread is idle. A no-op where the platform does not allow it.

import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/** The nice value compute threads run at (0 is normal, 19 the lowest priority). */
export const WORKER_NICE = 10;

/** Lowers the calling thread's priority; returns whether it could. */
export function lowerThreadPriority(nice = WORKER_NICE): boolean {
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>" for the calling thread (Linux ≥ 3.17).
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}

// Timestamps of the metadata database: ISO 8601 UTC strings with milliseconds, strictly increasing within
// a process (a second call in the same millisecond gets the next one), so that records created one after
// the other list in that order even when they share a millisecond.

let last = 0;

/** Now, as an ISO 8601 UTC string, later than any this process returned before. */
export function nowIso(): string {
  last = Math.max(Date.now(), last + 1);
  return new Date(last).toISOString();
}

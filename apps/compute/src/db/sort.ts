// Ordering of listed records, done here rather than by ORDER BY: SQLite compares text by code point while
// PostgreSQL follows the database's collation, and lists must come out the same from both.

/** A comparator by the string `key` of each item, by code point, then by the next keys for ties. */
export function byKey<T>(...keys: ((item: T) => string)[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const key of keys) {
      const x = key(a);
      const y = key(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}

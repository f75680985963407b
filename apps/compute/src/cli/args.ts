// Command-line helpers shared by the commands: list options that take several values
// (`--image a.png b.png --labels a_lab.png b_lab.png`), and number parsing with clear errors.

import { UsageError } from "./errors.js";

/**
 * Pulls list options out of `argv`: after `--name`, every following token up to the next option is a
 * value. Returns the lists and the remaining arguments (for node:util parseArgs).
 */
export function takeListOptions(
  argv: readonly string[],
  names: readonly string[],
): { lists: Record<string, string[]>; rest: string[] } {
  const lists: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  const rest: string[] = [];
  let current: string | null = null;
  for (const arg of argv) {
    if (arg.startsWith("--")) {
      const name = arg.slice(2);
      current = names.includes(name) ? name : null;
      if (current === null) rest.push(arg);
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg)) {
      current = null;
      rest.push(arg);
      continue;
    }
    if (current !== null) lists[current].push(arg);
    else rest.push(arg);
  }
  return { lists, rest };
}

/** An integer option within [min, max], or the default when absent. */
export function intOption(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!(Number.isInteger(v) && v >= min && v <= max))
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${text}"`);
  return v;
}

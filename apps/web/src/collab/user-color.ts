// A stable presence color per user name (cursor, online list), from a palette that reads well on the
// dark viewer and stays distinct from pure label colors.
const PALETTE = [
  "#f97316",
  "#a78bfa",
  "#22d3ee",
  "#f472b6",
  "#facc15",
  "#4ade80",
  "#60a5fa",
  "#fb7185",
  "#2dd4bf",
  "#c084fc",
] as const;

export function userColor(name: string): string {
  // FNV-1a, then a final avalanche so short names spread over the palette.
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return PALETTE[(h >>> 0) % PALETTE.length];
}

// Durations in the definition: a number of milliseconds, or a number with a unit ("30d", "12h").
// Parsed here rather than in the schema so that validation and compilation agree on one meaning.

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `500ms`, `30s`, `15m`, `12h`, `30d`, `2w`, `1.5h` (whitespace between number and unit allowed). */
export const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;

export const DURATION_HINT =
  'a duration is milliseconds or a number with a unit: 500ms, 30s, 15m, 12h, 30d, 2w';

/** Milliseconds of a duration, or undefined when it is not one. Fractions of a millisecond round down. */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.floor(value) : undefined;
  const m = DURATION_PATTERN.exec(value);
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * UNIT_MS[m[2]!]!);
}

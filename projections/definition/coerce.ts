// Scalars of the wrong YAML type where the schema's wish is unambiguous, fixed before validation:
// - a plain number or boolean where a string is expected (an expression: `OrderItemAdded: 1`,
//   `where: true`) becomes its text;
// - a string filled in from the environment (`port: "${PORT:-8080}"`, quoted because a flow map
//   cannot hold `${...}` unquoted) becomes a number or boolean where one is expected, when its
//   text is one. Text that is not stays a string, so the located "expected a number" remains.
// The schema says what is expected through its issues, so no list of fields is kept here.
import type { z } from 'zod';
import { Definition } from './schema.ts';

type Path = ReadonlyArray<PropertyKey>;

interface Expectation {
  path: PropertyKey[];
  expected: string;
}

/** Every (path, expected type) the issues name, union branches included. */
function expectations(issues: readonly z.core.$ZodIssue[], base: Path, out: Expectation[]): Expectation[] {
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_type') out.push({ path, expected: issue.expected });
    else if (issue.code === 'invalid_union')
      for (const branch of issue.errors) expectations(branch, path, out);
  }
  return out;
}

function parentOf(root: unknown, path: Path): Record<PropertyKey, unknown> | undefined {
  let node: unknown = root;
  for (const segment of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>) : undefined;
}

function coerced(value: unknown, expected: string, fromEnv: boolean): unknown {
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean'))
    return String(value);
  if (!fromEnv || typeof value !== 'string') return undefined;
  if ((expected === 'number' || expected === 'int') && /^-?\d+(\.\d+)?$/.test(value.trim()))
    return Number(value);
  if (expected === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return undefined;
}

/**
 * Coerces `raw` in place as above. `fromEnvironment` tells whether the scalar at a path was
 * rewritten from the environment (only those strings turn into numbers or booleans).
 */
export function coerceScalars(raw: unknown, fromEnvironment: (path: Path) => boolean): void {
  for (let round = 0; round < 3; round++) {
    const parsed = Definition.safeParse(raw);
    if (parsed.success) return;
    let changed = false;
    for (const { path, expected } of expectations(parsed.error.issues, [], [])) {
      const parent = parentOf(raw, path);
      const key = path.at(-1);
      if (!parent || key === undefined) continue;
      const value = coerced(parent[key], expected, fromEnvironment(path));
      if (value === undefined) continue;
      parent[key] = value;
      changed = true;
    }
    if (!changed) return;
  }
}

// The one CEL environment every expression is parsed in. Built once at module load: building an
// Environment is expensive, parsing against it is cheap.
import { Environment } from '@marcbachmann/cel-js';

const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
};

/** Sums a list, skipping nulls (SQL-like). All-int lists stay int; any double makes the sum a double. */
function sumList(list: unknown[]): number | bigint {
  let total = 0;
  let allInt = true;
  for (const x of list) {
    if (x === null || x === undefined) continue;
    if (typeof x === 'bigint') total += Number(x);
    else if (typeof x === 'number') {
      allInt = false;
      total += x;
    } else throw new Error(`sum() needs numbers, got ${typeof x}`);
  }
  return allInt ? BigInt(total) : total;
}

/** min()/max() of a list, skipping nulls; null for an empty list. */
function extreme(pick: (a: number, b: number) => boolean) {
  return (list: unknown[]): unknown => {
    let best: unknown = null;
    for (const x of list) {
      if (x === null || x === undefined) continue;
      if (best === null || pick(Number(x), Number(best))) best = x;
    }
    return best;
  };
}

function createEnvironment(): Environment {
  const env = new Environment({
    // Rows are schemaless JSON: any identifier is a field (dyn). Validation declares known fields.
    unlistedVariablesAreDyn: true,
    homogeneousAggregateLiterals: false,
    enableOptionalTypes: true,
    limits: { maxAstNodes: 2000, maxDepth: 64 },
  });
  // JSON numbers are CEL doubles and literals like `2` are ints: allow mixing them so `amount * 2` works.
  for (const [op, fn] of Object.entries(ARITHMETIC)) {
    env.registerOperator(`double ${op} int`, (a: number, b: bigint) => fn(a, Number(b)));
    env.registerOperator(`int ${op} double: dyn`, (a: bigint, b: number) => fn(Number(a), b));
  }
  // Every field may be null (SQL-like rows), so `status != null` must type-check for declared fields
  // too. (The library derives `null == T` and `!=` from it.)
  for (const type of ['double', 'int', 'string', 'bool', 'map', 'list']) {
    env.registerOperator(`${type} == null`, () => false);
  }
  // List aggregates the library lacks: `items.map(i, i.price * i.qty).sum()`.
  env.registerFunction('list<int>.sum(): int', sumList);
  env.registerFunction('list<double>.sum(): double', sumList);
  env.registerFunction('list<dyn>.sum(): dyn', sumList);
  for (const [name, fn] of [
    ['min', extreme((a, b) => a < b)],
    ['max', extreme((a, b) => a > b)],
  ] as const) {
    env.registerFunction(`list<int>.${name}(): int`, fn);
    env.registerFunction(`list<double>.${name}(): double`, fn);
    env.registerFunction(`list<dyn>.${name}(): dyn`, fn);
  }
  // A computed day key for per-day limits: `day(now)` → "2026-12-04" (UTC), from epoch milliseconds.
  env.registerFunction('day(double): string', (ms: number) => utcDay(ms));
  env.registerFunction('day(int): string', (ms: bigint) => utcDay(Number(ms)));
  return env;
}

function utcDay(ms: number): string {
  if (!Number.isFinite(ms)) throw new Error(`day() needs epoch milliseconds, got ${ms}`);
  return new Date(ms).toISOString().slice(0, 10);
}

/** The shared environment. Do not register on it after startup: `clone()` freezes it. */
export const baseEnvironment = createEnvironment();

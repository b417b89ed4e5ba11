// Test helpers: compile an inline definition and run records through the pure executor.
import { Definition, type DefinitionInput } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor, type ExecutorInput } from '../../../projections/graph/executor.ts';
import { encodeKey } from '../../../projections/keys.ts';
import type { OutputRecord } from '../../../projections/records.ts';

export type Def = Omit<DefinitionInput, 'application'> & { application?: string };

export function define(def: Def): Definition {
  return Definition.parse({ application: 'app', ...def });
}

export function run(def: Def, inputs: ExecutorInput[]): Executor {
  const executor = new Executor(compileTopology(define(def)), { json: true });
  inputs.forEach((r, i) => executor.process({ timestamp: i, ...r }));
  return executor;
}

/** [key, value] pairs of a projection's changelog (value null = tombstone). */
export function changes(ex: Executor, projection: string): Array<[unknown, unknown]> {
  return ex.outputsOf(projection).map((o) => [o.key, o.value]);
}

/** The final table: encoded key → last value, deleted keys omitted. */
export function table(ex: Executor, projection: string): Record<string, unknown> {
  const t: Record<string, unknown> = {};
  for (const o of ex.outputsOf(projection)) {
    const k = encodeKey(o.key);
    if (o.value === null) delete t[k];
    else t[k] = o.value;
  }
  return t;
}

export const rec = (topic: string, key: unknown, value: unknown, timestamp?: number): ExecutorInput => ({
  topic,
  key,
  value,
  ...(timestamp === undefined ? {} : { timestamp }),
});

export type { OutputRecord };

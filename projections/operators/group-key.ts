// groupBy → the key of each group.
// - omitted: the input key (no repartition when the input is partitioned by it);
// - one expression: a scalar key;
// - a list: a composite key object named by each field path's last segment (`data.field` → field);
// - a map: a composite key object with the given names, in the given order.
// A null key, or a null component of a composite key, drops the row (ksqlDB: no null keys).
import type { CompiledExpression } from '../expressions/index.ts';
import type { GroupByDef } from '../definition/schema.ts';
import type { Scope } from './scope.ts';
import { TopologyError } from './types.ts';

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export interface GroupKey {
  /** The group key for a row, or null to drop it. */
  of(vars: Record<string, unknown>, inputKey: unknown): unknown;
  /** Names of the key's components (composite keys), visible in `having` and `select`. */
  readonly components: readonly string[];
  /** True when the group key is the input key itself (no repartition needed). */
  readonly isInputKey: boolean;
  /** True when a component of a composite key is the input key itself (`{ key: _key, … }`). */
  readonly keepsInputKey?: boolean;
  readonly description: string;
}

const isNull = (v: unknown) => v === null || v === undefined;

export function compileGroupKey(def: GroupByDef | undefined, scope: Scope, where: string): GroupKey {
  if (def === undefined || (typeof def === 'string' && def.trim() === '_key')) {
    return {
      of: (_v, k) => (isNull(k) ? null : k),
      components: [],
      isInputKey: true,
      description: 'the input key',
    };
  }
  if (typeof def === 'string') {
    const expr = scope.compile(def);
    return { of: (vars) => expr.evaluate(vars) ?? null, components: [], isInputKey: false, description: def };
  }
  let named: Array<[string, CompiledExpression]>;
  if (Array.isArray(def)) {
    named = def.map((source) => {
      const s = source.trim();
      if (!FIELD_PATH.test(s)) {
        throw new TopologyError(
          `${where}: groupBy list entry '${source}' is not a field path; use the map form { name: expression }`,
        );
      }
      return [s.split('.').at(-1)!, scope.compile(s)];
    });
    const names = named.map(([n]) => n);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new TopologyError(`${where}: groupBy names '${dup}' twice; use the map form to rename`);
  } else {
    named = Object.entries(def).map(([n, source]) => [n, scope.compile(source)]);
  }
  return {
    of(vars) {
      const key: Record<string, unknown> = {};
      for (const [name, expr] of named) {
        const v = expr.evaluate(vars);
        if (isNull(v)) return null;
        key[name] = v;
      }
      return key;
    },
    components: named.map(([n]) => n),
    isInputKey: false,
    keepsInputKey: named.some(([, e]) => e.source.trim() === '_key'),
    description: `{ ${named.map(([n, e]) => `${n}: ${e.source}`).join(', ')} }`,
  };
}

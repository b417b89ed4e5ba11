// What validation knows about each source and projection: stream or table, whether events carry a
// type, and which fields a row has (when declared or derivable) — and the expression scopes built from it.
import { CEL_TYPE_OF_FIELD } from '../expressions/index.ts';
import { aggregateShape, groupKeyNames } from './aggregates.ts';
import { checkSite, type Scope, type Variable } from './expression-check.ts';
import { joinsOf, type Model } from './model.ts';
import { joinTarget, type ProjectionDef } from './schema.ts';

export interface Relation {
  readonly name: string;
  readonly origin: 'source' | 'projection';
  /** undefined when it cannot be known (unknown input, cycle). */
  readonly kind: 'stream' | 'table' | undefined;
  readonly hasEventType: boolean | undefined;
  /** Field name → type (and sub-fields of a joined row); undefined = unknown (any field allowed). */
  readonly fields: ReadonlyMap<string, Variable> | undefined;
}

/** Variables every event/row expression may read. */
const SPECIALS: [string, Variable][] = [
  ['_key', { type: 'dyn' }],
  ['_type', { type: 'dyn' }],
  ['_timestamp', { type: 'double' }],
  ['_topic', { type: 'string' }],
  ['_partition', { type: 'double' }],
  ['_offset', { type: 'dyn' }],
];

/** Types of aggregate results that do not depend on the argument (JSON numbers are doubles). */
const RESULT_TYPES: Record<string, string> = {
  count: 'double',
  sum: 'double',
  avg: 'double',
  collect_list: 'list',
  collect_set: 'list',
};

export class Catalog {
  private readonly relations = new Map<string, Relation | undefined>();
  private readonly resolving = new Set<string>();

  constructor(readonly model: Model) {}

  relation(name: string): Relation | undefined {
    if (this.relations.has(name)) return this.relations.get(name);
    const source = this.model.sources.get(name);
    let r: Relation | undefined;
    if (source) {
      const fields = source.fields
        ? new Map(Object.entries(source.fields).map(([f, t]) => [f, { type: CEL_TYPE_OF_FIELD[t] ?? 'dyn' }]))
        : undefined;
      r = { name, origin: 'source', kind: source.kind, hasEventType: source.eventType !== undefined, fields };
    } else {
      const p = this.model.projections.get(name);
      if (!p || this.resolving.has(name)) return undefined; // unknown, invalid, or part of a cycle
      this.resolving.add(name);
      r = this.projectionRelation(name, p);
      this.resolving.delete(name);
    }
    this.relations.set(name, r);
    return r;
  }

  private projectionRelation(name: string, p: ProjectionDef): Relation {
    const input = this.relation(p.from);
    const kind = p.aggregate ? 'table' : input?.kind;
    const hasEventType = kind === 'stream' ? input?.hasEventType : kind === 'table' ? false : undefined;
    let fields: Map<string, Variable> | undefined;
    if (p.select) {
      const scope = p.aggregate ? this.resultScope(name, p) : this.rowScope(name, p);
      fields = new Map(
        Object.entries(p.select).map(([f, src]) => [f, { type: checkSite(src, scope, []).type ?? 'dyn' }]),
      );
    } else if (p.aggregate) {
      // the emitted row holds the aggregate fields only; key components live in the key
      fields = this.aggregateFields(name, p);
    } else if (input?.fields) {
      // a joined row: the left row's fields plus each right row under its alias
      fields = new Map(input.fields);
      for (const { join } of joinsOf(name, p)) {
        fields.set(join.as ?? joinTarget(join), {
          type: 'map',
          fields: this.relation(joinTarget(join))?.fields,
        });
      }
    }
    return { name, origin: 'projection', kind, hasEventType, fields };
  }

  /** Aggregate names, typed where possible (min/max/latest/first take their argument's type). */
  private aggregateFields(name: string, p: ProjectionDef): Map<string, Variable> {
    const fields = new Map<string, Variable>();
    const row = this.rowScope(name, p);
    for (const [field, def] of Object.entries(p.aggregate ?? {})) {
      const shape = aggregateShape(def);
      let type = RESULT_TYPES[shape.fn];
      if (!type) {
        const values = shape.expressions
          .filter((e) => e.role === 'value')
          .map((e) => checkSite(e.source, row, []).type);
        type = values.length > 0 && values.every((t) => t === values[0]) ? (values[0] ?? 'dyn') : 'dyn';
      }
      fields.set(field, { type });
    }
    return fields;
  }

  private rowVariables(input: Relation | undefined): Map<string, Variable> {
    const vars = new Map<string, Variable>(SPECIALS);
    vars.set('_value', { type: 'map', fields: input?.fields });
    for (const [f, v] of input?.fields ?? []) vars.set(f, v);
    return vars;
  }

  private describe(input: Relation | undefined): string {
    return input ? `${input.origin} ${input.name}` : 'the input';
  }

  /** Scope of `where`: the input event/row, before any join. */
  whereScope(_name: string, p: ProjectionDef): Scope {
    const input = this.relation(p.from);
    return {
      closed: input?.fields !== undefined,
      vars: this.rowVariables(input),
      describe: this.describe(input),
    };
  }

  /** Scope after the first `joinCount` joins (all by default): the row, the left row under the `from` name, each join's alias. */
  rowScope(name: string, p: ProjectionDef, joinCount = Number.POSITIVE_INFINITY): Scope {
    const input = this.relation(p.from);
    const vars = this.rowVariables(input);
    const joins = joinsOf(name, p).slice(0, joinCount);
    if (joins.length > 0 || joinCount !== Number.POSITIVE_INFINITY)
      vars.set(p.from, { type: 'map', fields: input?.fields });
    for (const { join } of joins) {
      vars.set(join.as ?? joinTarget(join), { type: 'map', fields: this.relation(joinTarget(join))?.fields });
    }
    return { closed: input?.fields !== undefined, vars, describe: this.describe(input) };
  }

  /** Scope of `having` and `select` in an aggregate projection: aggregate results, key components, _key. */
  resultScope(name: string, p: ProjectionDef): Scope {
    const vars = new Map<string, Variable>([['_key', { type: 'dyn' }]]);
    for (const key of groupKeyNames(p.groupBy)) vars.set(key, { type: 'dyn' });
    if (p.window) {
      vars.set('windowStart', { type: 'double' });
      vars.set('windowEnd', { type: 'double' });
    }
    for (const [f, v] of this.aggregateFields(name, p)) vars.set(f, v);
    return { closed: true, vars, describe: `the aggregate row of ${name}` };
  }
}

// How a projection maps onto a PostgreSQL table (docs/views.md, "Mapping"): table and column
// names, column types, the primary key. Pure: validation reports its problems, the runtime
// creates or checks the table from it.
//
// - names: snake_case of the field names (accountId → account_id), or `columns.<field>.name`;
// - key: a plain key is one text column named after the key's field (the groupBy field, else the
//   source's key field, else `key`); a composite key (groupBy list or map) is one text column per
//   component, together the primary key;
// - types: from the declared or inferred field types (CEL double → double precision, int →
//   bigint, string → text, bool → boolean, count → bigint), `jsonb` for anything else; a
//   projection whose fields are unknown gets one `value jsonb` column holding the whole row.
import { aggregateShape, groupKeyNames, isFieldPath } from '../definition/aggregates.ts';
import type { Catalog } from '../definition/catalog.ts';
import type { PathSegment, Problem } from '../definition/problems.ts';
import type { Definition, ProjectionDef } from '../definition/schema.ts';
import type { PostgresConnectionDef, PostgresViewDef } from '../definition/views.ts';

export interface ViewColumn {
  readonly name: string;
  /** The SQL type as PostgreSQL spells it in information_schema (`double precision`, `jsonb`, …). */
  readonly type: string;
  /** Where the value comes from: a row field, a key component, the whole key, or the whole row. */
  readonly from:
    | { kind: 'field'; field: string }
    | { kind: 'key-component'; component: string }
    | { kind: 'key' }
    | { kind: 'row' };
}

export interface TablePlan {
  readonly projection: string;
  readonly schema: string;
  /** The stable name: the SQL view readers query. */
  readonly table: string;
  readonly columns: readonly ViewColumn[];
  /** Names of the primary-key columns (the key columns, in order). */
  readonly primaryKey: readonly string[];
  readonly batchSize: number;
}

/** CEL types of the catalog → SQL types. */
const SQL_TYPE_OF_CEL: Readonly<Record<string, string>> = {
  double: 'double precision',
  int: 'bigint',
  uint: 'bigint',
  string: 'text',
  bool: 'boolean',
};

/** Type names users may write in `columns`, normalised to information_schema's spelling. */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  int: 'integer',
  int4: 'integer',
  int8: 'bigint',
  float8: 'double precision',
  float: 'double precision',
  double: 'double precision',
  float4: 'real',
  bool: 'boolean',
  varchar: 'character varying',
  timestamptz: 'timestamp with time zone',
  timestamp: 'timestamp without time zone',
};

export const normaliseSqlType = (type: string): string => {
  const t = type.trim().toLowerCase().replace(/\s+/g, ' ');
  return TYPE_ALIASES[t] ?? t;
};

export const snakeCase = (name: string): string =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();

/** The name of a plain key's column: the field the key was taken from, where one is known. */
function keyFieldName(definition: DefinitionParts, p: ProjectionDef, depth = 0): string {
  if (typeof p.groupBy === 'string')
    return isFieldPath(p.groupBy) ? p.groupBy.trim().split('.').at(-1)! : 'key';
  if (p.groupBy !== undefined || depth > 20) return 'key';
  const source = definition.sources[p.from];
  if (source) return source.key && isFieldPath(source.key) ? source.key.trim().split('.').at(-1)! : 'key';
  const input = definition.projections[p.from];
  return input ? keyFieldName(definition, input, depth + 1) : 'key';
}

/** The parts of a definition a plan reads (validation builds them from the valid parts). */
export type DefinitionParts = Pick<Definition, 'sources' | 'projections'>;

export interface PlanResult {
  plan?: TablePlan;
  problems: Problem[];
}

/** The table of `name`'s view, or the problems that prevent one. */
export function planTable(definition: DefinitionParts, catalog: Catalog, name: string): PlanResult {
  const p = definition.projections[name]!;
  const view = p.views!.postgres;
  const at = (...rest: PathSegment[]): PathSegment[] => ['projections', name, 'views', 'postgres', ...rest];
  const problems: Problem[] = [];
  if (p.output === false)
    problems.push({
      path: at(),
      target: 'key',
      message: 'a view follows the output topic; remove `output: false`',
    });
  else if (p.output?.format !== undefined && p.output.format !== 'json')
    problems.push({
      path: at(),
      target: 'key',
      message: `a view reads JSON output topics; this one is ${p.output.format}`,
    });
  if (p.window)
    problems.push({
      path: at(),
      target: 'key',
      message: 'views of windowed projections are not supported yet',
    });
  const relation = catalog.relation(name);
  if (relation?.kind === 'stream')
    problems.push({
      path: at(),
      target: 'key',
      message: `${name} is a stream (no rows to keep in a table); views need a table projection`,
    });

  const columns: ViewColumn[] = [];
  const components = groupKeyNames(p.groupBy);
  const keyColumns = components.length > 0 ? components : [keyFieldName(definition, p)];
  for (const c of keyColumns) {
    const from =
      components.length > 0 ? ({ kind: 'key-component', component: c } as const) : ({ kind: 'key' } as const);
    columns.push({ name: snakeCase(c), type: 'text', from });
  }
  const overrides = view.columns ?? {};
  const fields = relation?.fields;
  if (fields) {
    for (const [field, variable] of fields) {
      const o = overrides[field];
      const override = typeof o === 'string' ? { type: o } : (o ?? {});
      columns.push({
        name: override.name ?? snakeCase(field),
        type: normaliseSqlType(override.type ?? derivedType(p, field, variable.type)),
        from: { kind: 'field', field },
      });
    }
    for (const field of Object.keys(overrides))
      if (!fields.has(field))
        problems.push({
          path: at('columns', field),
          target: 'key',
          message: `${name} has no field "${field}"; fields: ${[...fields.keys()].join(', ')}`,
        });
  } else {
    columns.push({ name: 'value', type: 'jsonb', from: { kind: 'row' } });
  }
  const seen = new Map<string, string>();
  for (const c of columns) {
    const what = c.from.kind === 'field' ? c.from.field : 'the key';
    const other = seen.get(c.name);
    if (other !== undefined)
      problems.push({
        path: at('columns'),
        target: 'key',
        message: `${what} and ${other} both map to column "${c.name}"; rename one with columns.<field>.name`,
      });
    else if (!/^[a-z_][a-z0-9_]*$/.test(c.name))
      problems.push({
        path: at('columns'),
        target: 'key',
        message: `"${c.name}" is no plain SQL name; set columns.${what}.name`,
      });
    seen.set(c.name, what);
  }
  if (problems.length > 0) return { problems };
  return {
    problems,
    plan: {
      projection: name,
      schema: view.schema ?? 'public',
      table: view.table ?? snakeCase(name),
      columns,
      primaryKey: columns
        .filter((c) => c.from.kind === 'key' || c.from.kind === 'key-component')
        .map((c) => c.name),
      batchSize: view.batchSize,
    },
  };
}

/** count is a whole number even though JSON makes it a double; the rest follows the catalog. */
function derivedType(p: ProjectionDef, field: string, celType: string): string {
  const aggregate = p.select === undefined ? p.aggregate?.[field] : undefined;
  if (aggregate && aggregateShape(aggregate).fn === 'count') return 'bigint';
  return SQL_TYPE_OF_CEL[celType] ?? 'jsonb';
}

/** The connection of a view: its own url, or the named top-level one. */
export function connectionOf(definition: Definition, view: PostgresViewDef): PostgresConnectionDef {
  if (view.url !== undefined) return { url: view.url, pool: 4 };
  return definition.postgres![view.connection!]!;
}

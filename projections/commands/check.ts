// Semantic checks of `commands:` (the schema checks structure): the entity source can be written
// to, the input names the entity, state is keyed like the entity, and every expression reads only
// what exists and has the type its position needs. Also the sources' first-writer-wins settings.
import { CEL_TYPE_OF_FIELD } from '../expressions/index.ts';
import { aggregateShape } from '../definition/aggregates.ts';
import type { Catalog } from '../definition/catalog.ts';
import { VALUE_NEEDS } from '../definition/checks/expressions.ts';
import { checkSite, checkTyped, type Scope, type Variable } from '../definition/expression-check.ts';
import type { Model } from '../definition/model.ts';
import type { PathSegment, Problem } from '../definition/problems.ts';
import { Aggregate } from '../definition/schema.ts';
import { didYouMean } from '../definition/suggest.ts';
import { aggregateProblems } from '../definition/zod-issues.ts';
import { sourceField } from './compile.ts';
import { fieldSpec } from './input.ts';
import { Command, type CommandDef, type InlineStateDef } from './schema.ts';
import {
  inlineStateProjection,
  inlineStateProjectionName,
  isInlineState,
  notKeyedLikeEntity,
} from './state.ts';

const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function checkCommands(model: Model, catalog: Catalog, raw: unknown): Problem[] {
  const problems = checkVersionedSources(model);
  const commands = isMap(raw) && isMap(raw.commands) ? raw.commands : {};
  for (const [name, value] of Object.entries(commands)) {
    const parsed = Command.safeParse(value);
    // structural errors are reported by the schema; these checks need a well-formed command
    if (parsed.success) problems.push(...checkCommand(name, parsed.data, model, catalog, raw));
  }
  return problems;
}

function checkVersionedSources(model: Model): Problem[] {
  const problems: Problem[] = [];
  for (const [name, s] of model.sources) {
    if (s.conflicts !== undefined && s.entityVersion === undefined) {
      problems.push({
        path: ['sources', name, 'conflicts'],
        target: 'key',
        message:
          'first-writer-wins compares each event with its entity version: declare entityVersion: <field>',
      });
    }
    if (s.entityVersion !== undefined && (s.kind !== 'stream' || s.key === undefined)) {
      problems.push({
        path: ['sources', name, 'entityVersion'],
        target: 'key',
        message: 'entity versions count the events of each entity: they need a stream source with a key',
      });
    }
  }
  return problems;
}

function checkCommand(name: string, c: CommandDef, model: Model, catalog: Catalog, raw: unknown): Problem[] {
  const at = (...rest: PathSegment[]): PathSegment[] => ['commands', name, ...rest];
  const problems: Problem[] = [];
  const source = model.sources.get(c.entity);
  if (!source) {
    if (!model.sourceNames.includes(c.entity)) {
      const hint = didYouMean(c.entity, model.sourceNames);
      problems.push({
        path: at('entity'),
        message: `unknown source "${c.entity}"${hint}; the entity is a source its events are appended to`,
      });
    }
    return problems;
  }
  const keyField = sourceField(source.key);
  for (const [what, expr, required] of [
    ['key', source.key, true],
    ['eventType', source.eventType, true],
    ['eventId', source.eventId, false],
    ['time', source.time, false],
  ] as const) {
    if ((expr === undefined && required) || (expr !== undefined && !sourceField(expr))) {
      problems.push({
        path: at('entity'),
        message: `commands write ${what} into each event, so source ${c.entity} must declare ${what}: <field name>${expr ? `, not the expression "${expr}"` : ''}`,
      });
    }
  }
  if (source.kind !== 'stream' || source.format !== 'json') {
    problems.push({
      path: at('entity'),
      message: `commands append JSON events: source ${c.entity} must be a json stream`,
    });
  }
  if (keyField && !Object.hasOwn(c.input, keyField)) {
    problems.push({
      path: at('input'),
      target: 'key',
      message: `the input must have the entity key field "${keyField}" (source ${c.entity} is keyed by it)`,
    });
  }

  const stateFields = new Map<string, Variable>();
  for (const [state, entry] of Object.entries(c.state ?? {})) {
    const path = at('state', state);
    if (isInlineState(entry)) {
      problems.push(
        ...checkInlineState(
          name,
          state,
          entry,
          c.entity,
          catalog,
          raw,
          path,
          commandScope(name, c, undefined),
        ),
      );
      const fields = new Map(
        Object.keys(entry.aggregate).map((f): [string, Variable] => [f, { type: 'dyn' }]),
      );
      stateFields.set(state, { type: 'map', fields });
      continue;
    }
    if (!model.projectionNames.includes(entry.projection)) {
      const hint = didYouMean(entry.projection, model.projectionNames);
      problems.push({
        path: [...path, 'projection'],
        message: `unknown projection "${entry.projection}"${hint}`,
      });
      continue;
    }
    const why = notKeyedLikeEntity(entry.projection, c.entity, model.sources, model.projections);
    const relation = catalog.relation(entry.projection);
    if (why)
      problems.push({
        path: [...path, 'projection'],
        message: `state must be keyed like the entity: ${why}`,
      });
    else if (relation?.kind === 'stream') {
      problems.push({
        path: [...path, 'projection'],
        message: `${entry.projection} is a stream (no aggregate): it has no row per entity to read`,
      });
    }
    stateFields.set(state, { type: 'map', fields: relation?.fields });
  }

  const scope = commandScope(name, c, stateFields);
  for (const [rule, r] of Object.entries(c.rules ?? {})) {
    problems.push(
      ...checkTyped(r.require, scope, at('rules', rule, 'require'), 'boolean', 'a rule').problems,
    );
  }
  const written = new Set([
    keyField,
    sourceField(source.eventType),
    sourceField(source.eventId),
    sourceField(source.time),
    source.entityVersion,
  ]);
  c.emit.forEach((e, i) => {
    if (e.if !== undefined)
      problems.push(...checkTyped(e.if, scope, at('emit', i, 'if'), 'boolean', 'if').problems);
    for (const [field, expr] of Object.entries(e.fields)) {
      if (written.has(field)) {
        problems.push({
          path: at('emit', i, 'fields', field),
          target: 'key',
          message: `"${field}" is written by the runtime (entity key, type, id, time or version); leave it out`,
        });
      } else problems.push(...checkSite(expr, scope, at('emit', i, 'fields', field)).problems);
    }
  });
  return problems;
}

/** Variables of rules and emitted fields: input, state (when given), key, version, now. */
function commandScope(name: string, c: CommandDef, state: ReadonlyMap<string, Variable> | undefined): Scope {
  const input = new Map(
    Object.entries(c.input).map(([f, def]): [string, Variable] => [
      f,
      { type: CEL_TYPE_OF_FIELD[fieldSpec(def).type] ?? 'dyn' },
    ]),
  );
  const vars = new Map<string, Variable>([
    ['input', { type: 'map', fields: input }],
    ['key', { type: 'dyn' }],
    ['version', { type: 'double' }],
    ['now', { type: 'double' }],
  ]);
  if (state) vars.set('state', { type: 'map', fields: state });
  return { closed: true, vars, describe: `command ${name}` };
}

function checkInlineState(
  command: string,
  state: string,
  entry: InlineStateDef,
  entity: string,
  catalog: Catalog,
  raw: unknown,
  path: PathSegment[],
  atScope: Scope,
): Problem[] {
  const problems: Problem[] = [];
  if ((entry.per === undefined) !== (entry.at === undefined)) {
    problems.push({
      path,
      message:
        "per and at go together: per computes each event's group (e.g. day(_timestamp)), at the group the command reads (e.g. day(now))",
    });
  }
  if (entry.window !== undefined && (entry.per !== undefined || entry.at !== undefined))
    problems.push({
      path: [...path, 'window'],
      message: 'window and per/at both pick the events that count: use one of them',
    });
  if (entry.window !== undefined && entry.window.type !== 'tumbling')
    problems.push({
      path: [...path, 'window', 'type'],
      message:
        'a command reads the window that holds its time: only tumbling windows have exactly one (hopping windows overlap, sessions have no fixed bounds)',
    });
  if (Object.keys(entry.aggregate).length === 0)
    problems.push({ path: [...path, 'aggregate'], message: 'declare at least one aggregate' });
  const hidden = inlineStateProjection(entity, { aggregate: {} });
  const row = catalog.rowScope(inlineStateProjectionName(command, state), hidden);
  if (entry.per !== undefined) problems.push(...checkSite(entry.per, row, [...path, 'per']).problems);
  if (entry.at !== undefined) problems.push(...checkSite(entry.at, atScope, [...path, 'at']).problems);
  for (const [field, value] of Object.entries(entry.aggregate)) {
    const fieldPath = [...path, 'aggregate', field];
    const parsed = Aggregate.safeParse(value);
    if (!parsed.success) {
      problems.push(...aggregateProblems(value, fieldPath, raw));
      continue;
    }
    const shape = aggregateShape(parsed.data);
    for (const e of shape.expressions) {
      const expect = e.role === 'filter' ? 'boolean' : (VALUE_NEEDS[shape.fn] ?? 'any');
      problems.push(
        ...checkTyped(
          e.source,
          row,
          [...fieldPath, ...e.path],
          expect,
          e.role === 'filter' ? 'where' : shape.fn,
        ).problems,
      );
    }
  }
  return problems;
}

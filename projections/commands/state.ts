// The state a command decides on. A `projection:` entry reads a projection's row by the entity key;
// an inline aggregate becomes a hidden projection over the entity's source, grouped by the entity
// key (and by `per`, when given), so the same engine folds it and the same store serves it. Each
// entity source a command writes also gets a hidden projection counting its events: the entity
// version the runtime decides on.
import { Projection, type ProjectionDef, type SourceDef } from '../definition/schema.ts';
import type { CommandDef, InlineStateDef, StateEntryDef } from './schema.ts';

/** The name of the hidden projection behind an inline state entry. */
export function inlineStateProjectionName(command: string, state: string): string {
  return `_command_${command}_${state}`;
}

export const isInlineState = (e: StateEntryDef): e is InlineStateDef => 'aggregate' in e;

/** The hidden projection of one inline state entry (no output topic). */
export function inlineStateProjection(entitySource: string, entry: StateEntryDef): ProjectionDef {
  if (!isInlineState(entry)) throw new Error('not an inline state entry');
  return Projection.parse({
    from: entitySource,
    // per: the group is (entity key, per); without it the entity key itself, so no repartition
    ...(entry.per !== undefined ? { groupBy: { key: '_key', per: entry.per } } : {}),
    // window: windows of the entity key (emit: changes, so the open window has its row)
    ...(entry.window !== undefined ? { window: entry.window } : {}),
    aggregate: entry.aggregate,
    output: false,
  });
}

/** The hidden projection counting an entity source's events (its rows: `{ version }`). */
export function entityVersionProjectionName(source: string): string {
  return `_command_version_of_${source}`;
}

/**
 * Hidden projections are folded in the partition of the entity key, even grouped by `per` (their
 * group key keeps the entity key as its `key` component and they write no topic): the runtime
 * reads them in the task that owns the entity, in the same write cache its commands append to.
 */
export const isCommandStateProjection = (name: string): boolean => name.startsWith('_command_');

/** Every hidden projection the definition's commands need, by name. */
export function commandStateProjections(
  commands: Readonly<Record<string, CommandDef>> | undefined,
): Map<string, ProjectionDef> {
  const out = new Map<string, ProjectionDef>();
  for (const [name, c] of Object.entries(commands ?? {})) {
    out.set(
      entityVersionProjectionName(c.entity),
      Projection.parse({ from: c.entity, aggregate: { version: { count: '*' } }, output: false }),
    );
    for (const [state, entry] of Object.entries(c.state ?? {})) {
      if (isInlineState(entry))
        out.set(inlineStateProjectionName(name, state), inlineStateProjection(c.entity, entry));
    }
  }
  return out;
}

/**
 * Why a projection's rows are not keyed like the entity (same key, same partitions), or undefined
 * when they are: every step from the entity's source keeps the key (no groupBy), and the chain
 * starts at the entity's own source (another topic may be partitioned differently).
 */
export function notKeyedLikeEntity(
  projection: string,
  entitySource: string,
  sources: ReadonlyMap<string, SourceDef>,
  projections: ReadonlyMap<string, ProjectionDef>,
): string | undefined {
  const seen = new Set<string>();
  let name = projection;
  for (;;) {
    if (seen.has(name)) return `${projection} is part of a cycle`;
    seen.add(name);
    const p = projections.get(name);
    if (!p) return sources.has(name) ? undefined : `${name} is not a valid projection`;
    if (p.groupBy !== undefined && !(typeof p.groupBy === 'string' && p.groupBy.trim() === '_key')) {
      return `${name} is grouped by ${JSON.stringify(p.groupBy)}, so its rows are not keyed by the entity key (drop groupBy, or declare the aggregate inline in the command)`;
    }
    if (sources.has(p.from)) {
      if (p.from === entitySource) return undefined;
      return `${projection} reads source ${p.from}, not the entity's source ${entitySource}: its rows may live on other partitions than the entity`;
    }
    name = p.from;
  }
}

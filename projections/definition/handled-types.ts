// Which event types of a stream source the projections act on. An event of another type is valid
// (no dead letter) but changes nothing; the runtime counts such events per type, so that a typo in
// an `on:` list or a producer's new event type shows up in the metrics instead of passing unseen.
// Conservative: a projection that may act on any type (a `where`, a type-less aggregate, a join,
// no aggregate at all) makes every type handled, so nothing handled is ever counted as unhandled.
import type { Definition, ProjectionDef } from './schema.ts';

type AggregateDef = NonNullable<ProjectionDef['aggregate']>[string];

/** Event types one aggregate acts on, or undefined for any type. */
function typesOfAggregate(aggregate: AggregateDef): string[] | undefined {
  const argument: unknown = Object.values(aggregate)[0];
  if (argument === null || typeof argument !== 'object') return undefined; // an expression or '*'
  const options = argument as { of?: unknown; on?: string[]; where?: unknown };
  if ('of' in options || 'on' in options || 'where' in options)
    return options.where === undefined ? options.on : undefined;
  return Object.keys(argument); // a per-type map: its keys are the types
}

/** Types one projection over the source acts on, or undefined for any type. */
function typesOfProjection(p: ProjectionDef): string[] | undefined {
  if (!p.aggregate || p.where !== undefined || p.deleteWhen !== undefined || p.join !== undefined)
    return undefined;
  const types = [...(p.deleteOn ?? [])];
  for (const aggregate of Object.values(p.aggregate)) {
    const some = typesOfAggregate(aggregate);
    if (!some) return undefined;
    types.push(...some);
  }
  return types;
}

/**
 * The event types of stream source `source` some projection acts on; undefined when any type may
 * matter (or the source declares no `eventType:`).
 */
export function handledEventTypes(def: Definition, source: string): ReadonlySet<string> | undefined {
  if (!def.sources[source]?.eventType) return undefined;
  const handled = new Set<string>();
  for (const p of Object.values(def.projections)) {
    const joins = p.join === undefined ? [] : Array.isArray(p.join) ? p.join : [p.join];
    if (joins.some((j) => j.stream === source || j.table === source)) return undefined;
    if (p.from !== source) continue;
    const types = typesOfProjection(p);
    if (!types) return undefined;
    for (const t of types) handled.add(t);
  }
  return handled;
}

// Compiles what drops a source event before a projection sees it: event-id deduplication
// (`eventId`) and first-writer-wins (`conflicts: first-writer-wins`), each with its own store in
// the projection's first sub-topology.
import type { SourceDef } from '../definition/schema.ts';
import { dedupHorizonOf } from '../dedup/horizon.ts';
import { type DedupFilter, eventIdFilter } from '../operators/dedup.ts';
import { firstWriterWinsFilter } from '../operators/first-writer-wins.ts';
import { Scope } from '../operators/scope.ts';
import { reKeysSource } from '../operators/source-repartition.ts';
import { names } from './names.ts';
import type { SubBuilder } from './sub-topology-builder.ts';
import type { TopologyBuilder } from './topology-builder.ts';

/** What drops a source event before the projection: duplicates, then first-writer-wins losers. */
export function sourceFilter(
  b: TopologyBuilder,
  name: string,
  from: { role: string; name: string; source?: SourceDef },
  sub: SubBuilder,
): DedupFilter | undefined {
  const dedup = eventIdDedup(b, name, from.source, sub);
  const versions = from.role === 'source' ? firstWriterWins(b, name, from.name, from.source, sub) : undefined;
  if (!versions) return dedup;
  if (!dedup) return versions;
  return (item, part, ctx) => dedup(item, part, ctx) && versions(item, part, ctx);
}

/** First-writer-wins for a source that declares it (its own version store per projection). */
function firstWriterWins(
  b: TopologyBuilder,
  name: string,
  sourceName: string,
  source: SourceDef | undefined,
  sub: SubBuilder,
): DedupFilter | undefined {
  if (source?.conflicts !== 'first-writer-wins' || !source.entityVersion) return undefined;
  const store = sub.store(names.entityVersionStore(b.app, name), 'entity versions (first-writer-wins)');
  // The first projection reading the source reports its rejections; the others decide alike.
  const reporter = Object.entries(b.def.projections).find(([, p]) => p.from === sourceName)?.[0];
  const rejectionsTopic = reporter === name ? names.rejectionsTopic(b.app) : undefined;
  let rejectedAppendsStore: string | undefined;
  if (rejectionsTopic) {
    sub.send(rejectionsTopic);
    rejectedAppendsStore = sub.store(
      names.rejectedAppendsStore(b.app, name),
      'appends first-writer-wins rejected, by position (within a horizon)',
    );
    b.firstWriterWins.push({
      source: sourceName,
      topic: source.topic,
      projection: name,
      versionStore: store,
      rejectedAppendsStore,
      reKeyed: reKeysSource(source),
    });
  }
  sub.op(
    `drop events whose ${source.entityVersion} is not their entity's version + 1 → store ${store}${rejectionsTopic ? `, rejections to ${rejectionsTopic} and store ${rejectedAppendsStore}` : ''}`,
  );
  return firstWriterWinsFilter({
    store,
    source: sourceName,
    field: source.entityVersion,
    rejectionsTopic,
    rejectedAppendsStore,
  });
}

/** Event-id deduplication for a stream source that declares eventId (its own store per projection). */
function eventIdDedup(
  b: TopologyBuilder,
  name: string,
  source: SourceDef | undefined,
  sub: SubBuilder,
): DedupFilter | undefined {
  if (!source?.eventId) return undefined;
  const store = sub.store(names.dedupStore(b.app, name), 'event ids seen within the dedup horizon');
  const horizonMs = dedupHorizonOf(b.def, source);
  const scope = new Scope();
  const eventId = scope.compile(source.eventId);
  sub.op(
    `drop events whose ${source.eventId} was seen for the same key within ${horizonMs} ms → store ${store}`,
  );
  return eventIdFilter({ store, eventId, scope, horizonMs });
}

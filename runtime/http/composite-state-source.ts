// One query API over several consumer groups: each projection (version) lives in exactly one
// group's state source; every call goes to the source that has it. Which version a request reads
// is decided before routing (runtime/versions/route-url.ts), so every call of one request names
// the same projection id.
import { NOT_FIRST_WRITER_WINS, type StateSource } from './state-source.ts';

export function compositeStateSource(sources: StateSource[]): StateSource {
  const of = (projection: string): StateSource => sources.find((s) => s.has(projection)) ?? sources[0]!;
  return {
    async projections() {
      return (await Promise.all(sources.map((s) => s.projections()))).flat();
    },
    has: (p) => sources.some((s) => s.has(p)),
    queryable: (p) => of(p).queryable(p),
    get: (p, key) => of(p).get(p, key),
    windowOf: (p) => of(p).windowOf(p),
    hasHistory: (p) => of(p).hasHistory(p),
    getAsOf: (p, key, at) => of(p).getAsOf(p, key, at),
    scan: (p, range) => of(p).scan(p, range),
    ownerOf: (p, key) => of(p).ownerOf(p, key),
    owners: (p) => of(p).owners(p),
    partitionStatus: (p, partition) => of(p).partitionStatus(p, partition),
    waitFor: (p, partition, offset, ms) => of(p).waitFor(p, partition, offset, ms),
    ready: () => sources.every((s) => s.ready()),
    getFromStandby: (p, key, maxLagMs) => of(p).getFromStandby?.(p, key, maxLagMs),
    // A source is the same in every group: the first group checking its writers answers.
    writerSource: (source) => {
      const found = sources.map((s) => s.writerSource?.(source));
      return found.find((w) => w !== undefined && w !== NOT_FIRST_WRITER_WINS) ?? found.find(Boolean);
    },
  };
}

// Which projections deduplicate, in which store, with which horizon: the runtime purges these.
import type { Definition, SourceDef } from '../definition/schema.ts';
import { names } from '../graph/names.ts';

/** Used when neither the source nor `processing` gives a horizon. */
export const DEFAULT_DEDUP_HORIZON_MS = 24 * 60 * 60 * 1000;

export function dedupHorizonOf(def: Definition, source: SourceDef): number {
  return source.dedupHorizonMs ?? def.processing?.dedupHorizonMs ?? DEFAULT_DEDUP_HORIZON_MS;
}

export interface DedupStoreSpec {
  store: string;
  projection: string;
  source: string;
  horizonMs: number;
}

/** Every dedup store of a definition: projections reading a stream source that declares eventId. */
export function dedupStores(def: Definition): DedupStoreSpec[] {
  const out: DedupStoreSpec[] = [];
  for (const [projection, p] of Object.entries(def.projections)) {
    const source = def.sources[p.from];
    if (!source?.eventId || source.kind !== 'stream') continue;
    out.push({
      store: names.dedupStore(def.application, projection),
      projection,
      source: p.from,
      horizonMs: dedupHorizonOf(def, source),
    });
  }
  return out;
}

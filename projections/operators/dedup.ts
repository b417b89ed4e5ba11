// Event-id deduplication at the source: an event whose id was already seen for the same key within
// the horizon is dropped before `where` and everything else. Events without an id pass.
import { dedupKey, seenBefore } from '../dedup/state.ts';
import type { CompiledExpression } from '../expressions/index.ts';
import type { Scope } from './scope.ts';
import type { ProcessorContext, StreamItem } from './types.ts';

export interface DedupSpec {
  store: string;
  eventId: CompiledExpression;
  /** Compiled the eventId expression, so `_key` etc. are available to it. */
  scope: Scope;
  horizonMs: number;
}

/** true: pass the event on. `part` numbers the events one record was split into by upcasting. */
export type DedupFilter = (item: StreamItem, part: number, ctx: ProcessorContext) => boolean;

export function eventIdFilter(spec: DedupSpec): DedupFilter {
  return (item, part, ctx) => {
    const id = spec.eventId.evaluate(spec.scope.vars(item.value, item));
    if (id === null || id === undefined || id === '') return true;
    const store = ctx.stores.store<number>(spec.store);
    return !seenBefore(store, dedupKey(item.key, id, part), item.timestamp, spec.horizonMs);
  };
}

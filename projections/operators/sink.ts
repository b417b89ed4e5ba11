// The end of a projection's pipeline: its records, written to its output topic by the runtime.
import type { Next, StreamItem, TableChange } from './types.ts';

/** Stream projections append one record per event. */
export function streamSink(projection: string): Next<StreamItem> {
  return (item, ctx) => ctx.emit({ projection, key: item.key, value: item.value, timestamp: item.timestamp });
}

/**
 * Table projections: a present row is an upsert (emitted even when unchanged: no caching, like
 * ksqlDB with cache.max.bytes.buffering=0); a removed row is a tombstone; nothing before and
 * nothing after emits nothing, unless the change is a forced tombstone.
 */
export function tableSink(projection: string): Next<TableChange> {
  return (change, ctx) => {
    if (change.new !== null) {
      ctx.emit({ projection, key: change.key, value: change.new, timestamp: change.timestamp });
    } else if (change.old !== null || change.force) {
      ctx.emit({ projection, key: change.key, value: null, timestamp: change.timestamp });
    }
  };
}

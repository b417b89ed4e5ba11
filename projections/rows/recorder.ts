// Keeps a table projection's final rows (after having/select) in a store, keyed by the encoded
// row key (windowed aggregates: by group key, then window start): what queries read. The aggregate
// and join stores hold intermediate state (group states, left/right rows), not the row a consumer
// of the output topic sees; this store holds exactly that.
// Like the history recorder, it wraps the processor context of the emitting sub-topology, so every
// kind of table projection gets it the same way without touching the operators.
import { encodeKey } from '../keys.ts';
import type { ProcessorContext } from '../operators/types.ts';
import type { Row } from '../records.ts';
import { isWindowedKey, windowRowKey } from '../windows/keys.ts';

/** What the rows store holds per key: the row and the event time of its last change. */
export interface StoredFinalRow {
  v: Row;
  /** Timestamp (event time, ms) of the record that last changed the row. */
  t: number;
}

export interface RowsSpec {
  projection: string;
  /** names.rowsStore(app, projection) */
  store: string;
  /** Windowed aggregates: rows keyed by (group key, window), windowRowKey's layout. */
  windowed?: boolean;
}

/** The rows-store key of an emitted record key. */
export function rowKeyOf(key: unknown, windowed: boolean | undefined): string {
  return windowed && isWindowedKey(key) ? windowRowKey(encodeKey(key.key), key.window) : encodeKey(key);
}

/** A context wrapper for the emitting sub-topology; one wrapped context per underlying context. */
export function rowsRecorder(spec: RowsSpec): (ctx: ProcessorContext) => ProcessorContext {
  // The executor and each runtime task keep one context for their lifetime: wrap it once.
  const wrapped = new WeakMap<ProcessorContext, ProcessorContext>();
  return (ctx) => {
    let w = wrapped.get(ctx);
    if (!w) {
      const store = ctx.stores.store<StoredFinalRow>(spec.store);
      w = {
        stores: ctx.stores,
        send: (topic, key, value) => ctx.send(topic, key, value),
        late: (record) => ctx.late?.(record),
        emit: (record, encodedKey) => {
          if (record.projection === spec.projection) {
            const key = rowKeyOf(record.key, spec.windowed);
            if (record.value === null) store.delete(key);
            else store.put(key, { v: record.value, t: record.timestamp });
          }
          ctx.emit(record, encodedKey);
        },
      };
      wrapped.set(ctx, w);
    }
    return w;
  };
}

// Records a projection's output as history: every row version its sub-topology emits is also
// folded into the projection's history store (layout.ts), under the encoded row key.
// It wraps the processor context of the emitting sub-topology instead of touching the operators,
// so every kind of table projection (aggregate, join, select) gets history the same way.
// Versions keep the emitted row objects by reference: operators build a new row for every output
// and never change one they emitted.
import { encodeKey } from '../keys.ts';
import type { ProcessorContext } from '../operators/types.ts';
import { type HistoryLimits, recordVersion } from './layout.ts';
import { purgeDeleted } from './purge.ts';

export interface HistorySpec extends HistoryLimits {
  projection: string;
  /** names.historyStore(app, projection) */
  store: string;
}

/** A context wrapper for the emitting sub-topology; one wrapped context per underlying context. */
export function historyRecorder(spec: HistorySpec): (ctx: ProcessorContext) => ProcessorContext {
  // The executor and each runtime task keep one context for their lifetime: wrap it once.
  const wrapped = new WeakMap<ProcessorContext, ProcessorContext>();
  return (ctx) => {
    let w = wrapped.get(ctx);
    if (!w) {
      const store = ctx.stores.store(spec.store);
      w = {
        stores: ctx.stores,
        send: (topic, key, value) => ctx.send(topic, key, value),
        late: (record) => ctx.late?.(record),
        emit: (record, encodedKey) => {
          if (record.projection === spec.projection) {
            const key = encodeKey(record.key);
            const deletedAt = recordVersion(store, key, record.timestamp, record.value, spec);
            purgeDeleted(store, key, record.timestamp, deletedAt, spec);
          }
          ctx.emit(record, encodedKey);
        },
      };
      wrapped.set(ctx, w);
    }
    return w;
  };
}

// First-writer-wins at the source (docs/commands.md): an event whose version field does not advance
// its entity's version by exactly one is rejected before `where` and everything else. The check is
// the one `streamfold test` applies (commands/versions.ts); the entity's current version is kept in
// a store of the projection, so it is changelogged, restored and committed with the task's outputs.
// Every projection reading the source decides alike (same events, same order, same check); one of
// them, the reporter, also writes each rejection to the rejections topic and, by its position in
// the topic, to its rejected-appends store (which answers writers over HTTP).
import { checkEventVersion } from '../commands/versions.ts';
import { RejectedAppends } from '../first-writer-wins/rejected-appends.ts';
import { encodeKey } from '../keys.ts';
import type { DedupFilter } from './dedup.ts';

export interface FirstWriterWinsSpec {
  store: string;
  source: string;
  /** The source's entityVersion field. */
  field: string;
  /** Where this projection reports rejections; undefined when another projection reports them. */
  rejectionsTopic?: string;
  /** The reporter's store of rejected appends by position (set with rejectionsTopic). */
  rejectedAppendsStore?: string;
}

/** What a rejections topic record holds (its key is the encoded entity key). */
export interface RejectionRecord {
  source: string;
  key: unknown;
  reason: string;
  /** The version the event had to carry: the entity's version + 1. */
  expected: number;
  /** What the event carried (null when it had none). */
  actual: unknown;
  origin: { topic: string; partition: number; offset: number } | null;
  event: unknown;
  /** Event time (ms). */
  t: number;
}

export function firstWriterWinsFilter(spec: FirstWriterWinsSpec): DedupFilter {
  return (item, _part, ctx) => {
    const store = ctx.stores.store<number>(spec.store);
    const k = encodeKey(item.key ?? null);
    const current = store.get(k) ?? 0;
    const actual = (item.value as Record<string, unknown>)[spec.field];
    const check = checkEventVersion(current, actual, spec.field);
    if (check.accepted) {
      store.put(k, check.version);
      return true;
    }
    if (spec.rejectionsTopic) {
      const rejection: RejectionRecord = {
        source: spec.source,
        key: item.key ?? null,
        reason: check.reason,
        expected: current + 1,
        actual: actual ?? null,
        origin: item.meta ?? null,
        event: item.value,
        t: item.timestamp,
      };
      ctx.send(spec.rejectionsTopic, k, rejection);
      if (spec.rejectedAppendsStore && item.meta) {
        const { key, reason, expected, t } = rejection;
        new RejectedAppends(ctx.stores.store(spec.rejectedAppendsStore)).record(item.meta, {
          key,
          reason,
          expected,
          actual: rejection.actual,
          t,
        });
      }
    }
    return false;
  };
}

// Logging misrouted records: a topic that is not partitioned by its key misroutes most of its
// records, so one warning per record would flood the log. Instead each record is logged at debug,
// and a warning per source topic says what is wrong and what to do, at once for the first record
// and then at most once per interval, with the count since the previous warning.
import type { Logger } from '../log/logger.ts';
import type { PoisonHandler } from '../formats/poison.ts';

export const MISROUTE_WARNING_INTERVAL_MS = 10_000;

/** Wraps the per-record poison log: misrouted records go to the rate-limited warning instead. */
export function withMisrouteWarnings(
  logger: Logger,
  perRecord: PoisonHandler,
  count: PoisonHandler,
  intervalMs = MISROUTE_WARNING_INTERVAL_MS,
  now: () => number = Date.now,
): PoisonHandler {
  const byTopic = new Map<string, { warnedAt: number; since: number; total: number }>();
  return (record) => {
    if (record.kind !== 'misrouted') return perRecord(record);
    count(record);
    const { raw } = record;
    logger.debug({ topic: raw.topic, partition: raw.partition, offset: raw.offset }, record.message);
    let state = byTopic.get(raw.topic);
    if (!state) byTopic.set(raw.topic, (state = { warnedAt: -Infinity, since: 0, total: 0 }));
    state.since++;
    state.total++;
    const t = now();
    if (t - state.warnedAt < intervalMs) return;
    logger.warn(
      { topic: raw.topic, misrouted: state.since, misroutedTotal: state.total, example: record.message },
      `source topic ${raw.topic} is not partitioned by its entity key: ${state.since} records ` +
        `misrouted since the last warning went to the dead-letter topic (kind misrouted) and changed ` +
        `no state; key the producer by the entity key, or set partitioning: repartition on the source`,
    );
    state.warnedAt = t;
    state.since = 0;
  };
}

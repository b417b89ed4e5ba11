// Whether a version has caught up, from the group's committed offsets: group-wide (every instance
// commits to the group), and a committed offset means the state below it is durable. Committed
// offsets are read before the end offsets: a record an exchange topic receives from an input
// record already committed is then below the end read, so "committed ≥ end" everywhere means the
// version has processed every input that existed when the check began.
import type { Admin } from 'kafkajs';

export interface CatchUp {
  /** Records behind the end, summed over its input partitions. */
  lag: number;
  caughtUp: boolean;
}

export async function catchUp(admin: Admin, group: string, topics: string[]): Promise<CatchUp> {
  if (topics.length === 0) return { lag: 0, caughtUp: true };
  const committed = new Map<string, number>();
  for (const t of await admin.fetchOffsets({ groupId: group, topics })) {
    for (const p of t.partitions) committed.set(`${t.topic}:${p.partition}`, Math.max(0, Number(p.offset)));
  }
  let lag = 0;
  for (const topic of topics) {
    for (const o of await admin.fetchTopicOffsets(topic)) {
      lag += Math.max(0, Number(o.high) - (committed.get(`${topic}:${o.partition}`) ?? 0));
    }
  }
  return { lag, caughtUp: lag === 0 };
}

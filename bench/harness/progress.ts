// The completion rule, the same for every contender, observed from outside through the broker only:
//   - the consumer group has committed the end offset of every source partition, and
//   - every other partition the group commits (repartition/subscription topics) has no lag (under
//     exactly-once a lag of 1 is allowed: the commit marker of the last transaction occupies an offset), and
//   - the output topics' end offsets have not moved for STABLE_MS.
// Elapsed time runs from the last sample that still showed no committed progress on the sources to the first
// sample of the final stable state. Sampling every SAMPLE_MS (and committing every commit interval) makes this
// a slight overestimate of the processing time, the same for every contender.
import type { Admin } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';

export const SAMPLE_MS = 250;
export const STABLE_MS = 1_500;

export interface ProgressSample {
  /** ms since the process was spawned */
  t: number;
  /** committed source records */
  committed: number;
}

export interface ProgressResult {
  status: 'done' | 'exited' | 'timeout';
  /** Wall-clock times (ms since epoch). */
  startedAt: number;
  doneAt: number;
  samples: ProgressSample[];
  detail: string;
}

export interface WatchSpec {
  groupId: string;
  sources: string[];
  outputs: string[];
  exactlyOnce: boolean;
  spawnedAt: number;
  timeoutMs: number;
  /** True once the watched process has exited (stops the wait early). */
  exited: () => boolean;
}

type Offsets = Map<string, number>; // "topic/partition" → offset

async function endOffsets(admin: Admin, topics: string[]): Promise<Offsets> {
  const out: Offsets = new Map();
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) out.set(`${topic}/${p.partition}`, Number(p.high));
  }
  return out;
}

async function committedOffsets(admin: Admin, groupId: string): Promise<Offsets> {
  const out: Offsets = new Map();
  for (const t of await admin.fetchOffsets({ groupId })) {
    for (const p of t.partitions) out.set(`${t.topic}/${p.partition}`, Math.max(0, Number(p.offset)));
  }
  return out;
}

export async function watchUntilDone(admin: Admin, spec: WatchSpec): Promise<ProgressResult> {
  const sourceEnds = await endOffsets(admin, spec.sources);
  const total = [...sourceEnds.values()].reduce((a, b) => a + b, 0);
  const samples: ProgressSample[] = [];
  let lastZeroAt = spec.spawnedAt;
  let streak: { since: number; outputs: string } | undefined;
  const deadline = Date.now() + spec.timeoutMs;
  let detail = '';
  for (;;) {
    const at = Date.now();
    let committed: Offsets;
    let ends: Offsets;
    try {
      committed = await committedOffsets(admin, spec.groupId);
      const internal = [...new Set([...committed.keys()].map((k) => k.slice(0, k.lastIndexOf('/'))))].filter(
        (t) => !spec.sources.includes(t),
      );
      ends = await endOffsets(admin, [...internal, ...spec.outputs]);
    } catch (err) {
      // a topic created meanwhile, a coordinator moving: try again at the next sample
      detail = `offset query failed: ${(err as Error).message}`;
      await sleep(SAMPLE_MS);
      continue;
    }
    let sourceDone = 0;
    for (const [tp, end] of sourceEnds) sourceDone += Math.min(end, committed.get(tp) ?? 0);
    samples.push({ t: at - spec.spawnedAt, committed: sourceDone });
    if (sourceDone === 0) lastZeroAt = at;

    const slack = spec.exactlyOnce ? 1 : 0;
    let internalLag = 0;
    for (const [tp, end] of ends) {
      const topic = tp.slice(0, tp.lastIndexOf('/'));
      if (spec.outputs.includes(topic) && !committed.has(tp)) continue;
      const lag = end - (committed.get(tp) ?? 0);
      if (lag > slack) internalLag += lag;
    }
    const outputState = spec.outputs
      .flatMap((t) => [...ends].filter(([tp]) => tp.startsWith(`${t}/`)).map(([tp, o]) => `${tp}=${o}`))
      .join(',');
    if (sourceDone === total && internalLag === 0) {
      if (!streak || streak.outputs !== outputState) streak = { since: at, outputs: outputState };
      else if (at - streak.since >= STABLE_MS) {
        return { status: 'done', startedAt: lastZeroAt, doneAt: streak.since, samples, detail: '' };
      }
    } else {
      streak = undefined;
      detail = `source ${sourceDone}/${total} committed, internal lag ${internalLag}`;
    }
    if (spec.exited()) return { status: 'exited', startedAt: lastZeroAt, doneAt: at, samples, detail };
    if (at > deadline) return { status: 'timeout', startedAt: lastZeroAt, doneAt: at, samples, detail };
    await sleep(Math.max(0, SAMPLE_MS - (Date.now() - at)));
  }
}

// The partition group takes a task's ordered inputs lowest event time first, holds them back while
// an empty input may still have records on the broker (at most its wait), and never loses or
// repeats a record.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RawRecord } from '../../../runtime/formats/index.ts';
import { PartitionGroup, type QueuedRecord } from '../../../runtime/tasks/index.ts';

/**
 * A queued record of `topic` with event time `time`. Its record timestamp is the time it was written,
 * and each topic was written after the one before it (as when one input is loaded first): the group
 * must order by the event time, not by that.
 */
const WRITTEN_AT: Record<string, number> = {
  orders: 1_000_000,
  payments: 2_000_000,
  a: 1_000_000,
  b: 2_000_000,
};
const rec = (topic: string, offset: number, time: number): QueuedRecord => {
  const raw: RawRecord = {
    topic,
    partition: 0,
    offset,
    key: null,
    value: null,
    timestamp: (WRITTEN_AT[topic] ?? 0) + offset,
  };
  return { raw, time, decoded: undefined };
};

/** A batch of `topic` with records at `times` from `offset`, and whether it reached the high watermark. */
function push(g: PartitionGroup, topic: string, offset: number, times: number[], caughtUp: boolean): void {
  const records = times.map((t, i) => rec(topic, offset + i, t));
  const next = offset + times.length;
  g.push(topic, records, 0, {
    firstOffset: offset,
    nextOffset: next,
    highWatermark: caughtUp ? next : next + 100,
  });
}

function drain(g: PartitionGroup, now: number): string[] {
  const out: string[] = [];
  for (let r = g.next(now); r; r = g.next(now)) out.push(`${r.raw.topic}@${r.time}`);
  return out;
}

describe('PartitionGroup', () => {
  it('interleaves two inputs by event time, whatever order their batches came in', () => {
    const g = new PartitionGroup(['orders', 'payments'], 1000);
    push(g, 'orders', 0, [10, 20, 30, 40], true);
    push(g, 'payments', 0, [5, 25, 35], true);
    assert.deepEqual(drain(g, 0), [
      'payments@5',
      'orders@10',
      'orders@20',
      'payments@25',
      'orders@30',
      'payments@35',
      'orders@40',
    ]);
  });

  it('holds records back while an empty input is behind, without a bound, until its batch comes', () => {
    const g = new PartitionGroup(['orders', 'payments'], 1000);
    push(g, 'payments', 0, [1], false); // payments has more on the broker
    push(g, 'orders', 0, [10, 20, 30], true);
    // payments@1 goes; then the queue of payments is empty and behind: orders wait.
    assert.deepEqual(drain(g, 0), ['payments@1']);
    assert.equal(g.deadline(0), undefined, 'no deadline: the next batch of payments drains the group');
    // However long the consumer takes to hand over the next batch (a loaded machine).
    assert.deepEqual(drain(g, 3_600_000), []);
    // Its next batch comes: both go on in order.
    push(g, 'payments', 1, [15, 25], true);
    assert.deepEqual(drain(g, 3_600_000), [
      'orders@10',
      'payments@15',
      'orders@20',
      'payments@25',
      'orders@30',
    ]);
  });

  it('an input behind holds the others even with no wait for inputs never fetched', () => {
    const g = new PartitionGroup(['orders', 'payments'], 0);
    push(g, 'payments', 0, [1], false);
    push(g, 'orders', 0, [10], true);
    assert.deepEqual(drain(g, 0), ['payments@1']);
    g.fetched('payments', { firstOffset: 1, nextOffset: 2, highWatermark: 2 }, 1); // a commit marker, then the end
    assert.deepEqual(drain(g, 0), ['orders@10']);
  });

  it('a listed partition end says whether an input not fetched yet is behind or caught up', () => {
    const g = new PartitionGroup(['orders', 'payments'], 1000);
    push(g, 'orders', 0, [10, 20], true);
    g.listed('payments', 0, 0); // empty: nothing to wait for
    assert.deepEqual(drain(g, 0), ['orders@10', 'orders@20']);

    const h = new PartitionGroup(['orders', 'payments'], 1000);
    push(h, 'orders', 0, [10, 20], true);
    h.listed('payments', 0, 5); // records on the broker, not handed over yet: no deadline
    assert.equal(h.deadline(0), undefined);
    assert.deepEqual(drain(h, 3_600_000), []);
    push(h, 'payments', 0, [15], true);
    h.listed('payments', 0, 0); // a listing after a fetch changes nothing
    assert.deepEqual(drain(h, 3_600_000), ['orders@10', 'payments@15', 'orders@20']);
  });

  it('lets the others go once the wait is over (enforced processing)', () => {
    const g = new PartitionGroup(['orders', 'payments'], 1000);
    push(g, 'orders', 0, [10, 20], true);
    assert.deepEqual(drain(g, 0), [], 'payments was never fetched: its lag is not known');
    assert.deepEqual(drain(g, 1000), ['orders@10', 'orders@20']);
    assert.equal(g.deadline(1000), undefined);
  });

  it('does not wait for an input whose last fetch reached the high watermark', () => {
    const g = new PartitionGroup(['orders', 'payments'], 1000);
    push(g, 'payments', 0, [1], true);
    push(g, 'orders', 0, [10, 20], true);
    assert.deepEqual(drain(g, 0), ['payments@1', 'orders@10', 'orders@20']);
  });

  it('with no wait, takes what is queued in event-time order at once while no input is known to be behind', () => {
    const g = new PartitionGroup(['orders', 'payments'], 0);
    push(g, 'orders', 0, [10, 20], false);
    assert.deepEqual(drain(g, 0), ['orders@10', 'orders@20']);
  });

  it('skips records queued or processed already (a batch fetched twice)', () => {
    const g = new PartitionGroup(['orders', 'payments'], 0);
    push(g, 'orders', 0, [10, 20], true);
    push(g, 'orders', 0, [10, 20, 30], true);
    const after = [rec('orders', 3, 40)];
    g.push('orders', after, 5, { firstOffset: 3, nextOffset: 4, highWatermark: 4 }); // below the position 5
    assert.deepEqual(drain(g, 0), ['orders@10', 'orders@20', 'orders@30']);
  });

  it('moves the position past control records only once the queue before them is empty', () => {
    const g = new PartitionGroup(['orders', 'payments'], 0);
    push(g, 'orders', 0, [10, 20], true);
    // A batch of only a commit marker at offset 2: offsets up to 3 are seen.
    g.fetched('orders', { firstOffset: 2, nextOffset: 3, highWatermark: 3 }, 0);
    assert.deepEqual(g.takeAdvances(), [], 'two records still queued');
    assert.deepEqual(drain(g, 0), ['orders@10', 'orders@20']);
    assert.deepEqual(g.takeAdvances(), [['orders', 3]]);
    assert.deepEqual(g.takeAdvances(), [], 'each advance is given once');
    // A marker batch after a gap (records not seen) moves nothing.
    g.fetched('orders', { firstOffset: 9, nextOffset: 10, highWatermark: 10 }, 3);
    assert.deepEqual(g.takeAdvances(), []);
  });

  it('forgets everything on clear (the task rolled back: its records are read again)', () => {
    const g = new PartitionGroup(['orders', 'payments'], 0);
    push(g, 'orders', 0, [10, 20], true);
    g.clear();
    assert.equal(g.size, 0);
    push(g, 'orders', 0, [10, 20], true);
    assert.deepEqual(drain(g, 0), ['orders@10', 'orders@20'], 'read again after the rewind, not skipped');
  });

  it('keeps a long queue in order across its compaction', () => {
    const g = new PartitionGroup(['a', 'b'], 0);
    const times = Array.from({ length: 10_000 }, (_, i) => i * 2);
    push(g, 'a', 0, times, true);
    push(g, 'b', 0, [5001], true);
    const out = drain(g, 0);
    assert.equal(out.length, 10_001);
    assert.equal(out.indexOf('b@5001'), 2501);
  });
});

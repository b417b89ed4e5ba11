// The change feed route over a real compacted topic, in process (fastify + Feeds, no runtime):
// - a client resuming from a position whose records the log cleaner removed is told so
//   (`compacted`), gets a snapshot of its rows and then the changes after it: its view equals the
//   table;
// - a client that stops reading is cut off (`end`, slow_consumer) while the server's buffer for it
//   stays bounded, and a client reading beside it gets every change.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { Feeds } from '../../../runtime/http/feeds/feeds.ts';
import { changeRoutes } from '../../../runtime/http/routes/changes.ts';
import { createTopic, kafka, produce, readToEnd, uniqueTopic } from '../helpers.ts';
import { until } from './instances.ts';
import { type FeedChange, SseClient } from './sse-client.ts';

const compacted = uniqueTopic('feed-compacted');
const busy = uniqueTopic('feed-busy');
const MAX_BUFFERED = 256 * 1024;
let app: FastifyInstance;
let url = '';

before(async () => {
  await createTopic(compacted, {
    partitions: 1,
    configs: {
      'cleanup.policy': 'compact',
      'segment.ms': 100,
      'min.cleanable.dirty.ratio': 0.01,
      'delete.retention.ms': 100,
    },
  });
  await createTopic(busy, { partitions: 2, configs: { 'cleanup.policy': 'compact' } });
  app = Fastify();
  const topics: Record<string, string> = { table: compacted, busy };
  changeRoutes(
    app,
    new Feeds({
      kafka: kafka('feeds-test'),
      topicOf: (p) => topics[p],
      partitionsOf: async (t) => (t === busy ? 2 : 1),
      maxBufferedBytes: MAX_BUFFERED,
      stallMs: 2_000,
    }),
  );
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

after(() => app.close());

const row = (key: string, n: number, pad = 200) => ({
  key,
  value: JSON.stringify({ key, n, pad: 'x'.repeat(pad) }),
});

test(
  'resuming past compacted records: compacted, snapshot, then the changes after it',
  { timeout: 120_000 },
  async () => {
    await produce(
      compacted,
      ['k1', 'k2', 'k3'].map((k) => row(k, 1)),
    );
    const first = new SseClient(`${url}/projections/table/changes?lastEventId=0:0`);
    await first.open();
    await first.until(() => first.changes().length === 3, 10_000);
    const resumeAt = first.lastId!;
    first.close();

    // Superseded while the client is away, then compacted: offsets after resumeAt are gone.
    for (let n = 2; n <= 6; n++)
      await produce(
        compacted,
        ['k1', 'k2', 'k3', 'k4'].map((k) => row(k, n)),
      );
    await produce(compacted, [{ key: 'k3', value: null }]);
    await new Promise((r) => setTimeout(r, 300));
    await produce(compacted, [{ key: 'roll', value: null }]);
    await until(
      'the log cleaner to remove superseded records',
      async () =>
        (await readToEnd(compacted)).filter((r) => r.key === 'k1').length === 1 ? true : undefined,
      90_000,
    );

    const resumed = new SseClient(`${url}/projections/table/changes`);
    resumed.events.push(...first.events);
    await resumed.open(resumeAt);
    await resumed.until(() => resumed.events.some((e) => e.event === 'snapshot-end'), 20_000);
    const kinds = resumed.events.slice(first.events.length).map((e) => e.event);
    // ready (at the client's position), then the gap found on reading on: compacted, its rows, the end.
    assert.deepEqual(
      [...new Set(kinds)],
      ['ready', 'compacted', 'snapshot', 'snapshot-end'],
      `events: ${kinds.join(',')}`,
    );
    await produce(compacted, [row('k5', 1)]);
    await resumed.until(() => resumed.changes().some((c) => c.key === 'k5'), 10_000);
    resumed.close();

    const view = viewOf(resumed.events);
    assert.deepEqual(Object.fromEntries([...view].map(([k, v]) => [k, (v as { n: number }).n]).sort()), {
      k1: 6,
      k2: 6,
      k4: 6,
      k5: 1,
    });
  },
);

test(
  'a client that stops reading is cut off; one reading beside it gets everything',
  { timeout: 120_000 },
  async () => {
    const slow = new SseClient(`${url}/projections/busy/changes`);
    const reader = new SseClient(`${url}/projections/busy/changes`);
    await slow.open();
    await reader.open();
    slow.pause();
    const total = 20_000;
    for (let i = 0; i < total; i += 500)
      await produce(
        busy,
        // ~2 KB a change, 40 MB in all: more than the kernel's socket buffers can hold for a paused
        // client, so the server sees it stall wherever those buffers are large.
        Array.from({ length: 500 }, (_, j) => row(`k${i + j}`, i + j, 2_000)),
      );
    await reader
      .until(() => reader.changes().length === total, 60_000)
      .catch((err: Error) => {
        throw new Error(
          `${err.message}: reader got ${reader.changes().length}, last ${JSON.stringify(reader.events.at(-1))}`,
        );
      });
    slow.resume();
    await Promise.race([slow.ended, new Promise((r) => setTimeout(r, 10_000))]);
    const last = slow.events.at(-1)!;
    assert.equal(last.event, 'end', 'the slow client was not cut off');
    assert.equal((last.data as { reason: string }).reason, 'slow_consumer');
    assert.ok(slow.changes().length < total);
    assert.equal(new Set(reader.changes().map((c) => `${c.partition}:${c.offset}`)).size, total);
    reader.close();
  },
);

/** A client's view: changes applied in order; `compacted` forgets its partitions, snapshots refill them. */
function viewOf(events: SseClient['events']): Map<string, unknown> {
  const view = new Map<string, { value: unknown; partition: number }>();
  for (const e of events) {
    if (e.event === 'compacted') {
      const gone = new Set((e.data as { partitions: number[] }).partitions);
      for (const [k, v] of view) if (gone.has(v.partition)) view.delete(k);
    } else if (e.event === 'change' || e.event === 'snapshot') {
      const c = e.data as FeedChange;
      if (c.deleted) view.delete(c.key);
      else view.set(c.key, { value: c.value, partition: c.partition });
    }
  }
  return new Map([...view].map(([k, v]) => [k, v.value]));
}

// Change feeds across two `streamfold run` instances: many SSE subscribers (unfiltered, by key, by
// prefix, and some that disconnect and resume on the other instance with Last-Event-ID) see every
// committed change of the run exactly once, in offset order per partition (so per key), and their
// folded views equal the oracle's tables. A subscriber that stops reading is cut off
// (slow_consumer) while the others go on. Bad requests get a 4xx with a reason.
//
// Sizes: FEEDS_SUBSCRIBERS (default 120) and FEEDS_EVENTS (default 20000); the issue's full size is
// FEEDS_SUBSCRIBERS=200 FEEDS_EVENTS=100000.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { testDir } from '../helpers.ts';
import { oracle, outputTables, produceEvents, seedEvents } from '../runtime/harness.ts';
import { committedRecords, startTwoInstances, until } from './instances.ts';
import { type FeedChange, SseClient } from './sse-client.ts';

const SUBSCRIBERS = Number(process.env.FEEDS_SUBSCRIBERS ?? 120);
const EVENTS = Number(process.env.FEEDS_EVENTS ?? 20_000);
const PROJECTIONS = ['balances', 'order_summary', 'customer_profiles'] as const;
type Projection = (typeof PROJECTIONS)[number];
const KEY_OF: Record<Projection, (i: number) => string> = {
  balances: (i) => `a${i % 60}`,
  order_summary: (i) => `o${i % 200}`,
  customer_profiles: (i) => `c${i % 25}`,
};
const PREFIX_OF: Record<Projection, string> = {
  balances: 'a1',
  order_summary: 'o1',
  customer_profiles: 'c1',
};
const dir = testDir('feeds');

interface Subscriber {
  kind: 'all' | 'key' | 'prefix' | 'resume';
  projection: Projection;
  filter: { key?: string; prefix?: string };
  client: SseClient;
  /** Positions of the first `ready` event: where the subscriber started. */
  start: Map<number, number>;
}

const matches = (f: Subscriber['filter'], key: string | null) =>
  f.key !== undefined ? key === f.key : f.prefix !== undefined ? key?.startsWith(f.prefix) === true : true;

function positionsOf(id: string): Map<number, number> {
  return new Map(id.split(',').map((pair) => pair.split(':').map(Number) as [number, number]));
}

test(
  `${SUBSCRIBERS} subscribers on two instances see every committed change of ${EVENTS} events exactly once`,
  { timeout: 900_000 },
  async () => {
    const { shop, a, b, auth } = await startTwoInstances(dir, {
      STREAMFOLD_FEED_BUFFER_BYTES: '65536',
      STREAMFOLD_FEED_STALL_MS: '3000',
    });
    const topology = compileTopology(shop.definition);
    const topicOf = (p: string) => topology.projections.find((x) => x.name === p)!.topic!;

    // Bad requests: a reason, never a stream.
    const bad = async (url: string, headers: Record<string, string>, status: number, reason: RegExp) => {
      const res = await fetch(url, { headers });
      assert.equal(res.status, status, url);
      assert.match(((await res.json()) as { reason: string }).reason, reason);
    };
    await bad(`${a.url}/projections/balances/changes`, {}, 401, /bearer token/);
    await bad(`${a.url}/projections/balances/changes?key=a1&prefix=a`, auth, 400, /give one of them/);
    await bad(`${a.url}/projections/nope/changes`, auth, 404, /no projection/);
    await bad(
      `${a.url}/projections/balances/changes`,
      { ...auth, 'last-event-id': 'x' },
      400,
      /Last-Event-ID/,
    );
    await bad(
      `${a.url}/projections/balances/changes`,
      { ...auth, 'last-event-id': '0:0' },
      400,
      /every partition/,
    );
    await bad(`${a.url}/projections/balances/changes?lastEventId=0:0,1:0,2:99`, auth, 400, /past the end/);
    const doc = (await (await fetch(`${a.url}/openapi.json`, { headers: auth })).json()) as {
      paths: Record<string, { get?: { responses: Record<string, { content?: object }> } }>;
    };
    assert.ok(doc.paths['/projections/{name}/changes']?.get?.responses['200']?.content);

    const subscribers: Subscriber[] = Array.from({ length: SUBSCRIBERS }, (_, i) => {
      const kind = (['all', 'key', 'prefix', 'resume'] as const)[i % 4]!;
      const projection = PROJECTIONS[Math.floor(i / 4) % PROJECTIONS.length]!;
      const filter: Subscriber['filter'] =
        kind === 'key'
          ? { key: KEY_OF[projection](i) }
          : kind === 'prefix'
            ? { prefix: PREFIX_OF[projection] }
            : {};
      const base = i % 2 === 0 ? a.url : b.url;
      const query = new URLSearchParams(filter as Record<string, string>).toString();
      const client = new SseClient(
        `${base}/projections/${projection}/changes${query ? `?${query}` : ''}`,
        auth,
      );
      return { kind, projection, filter, client, start: new Map() };
    });
    const opened = Date.now();
    await Promise.all(subscribers.map((s) => s.client.open()));
    for (const s of subscribers) s.start = positionsOf(s.client.events.find((e) => e.event === 'ready')!.id!);
    const connectMs = Date.now() - opened;

    // A client that stops reading: the server must cut it off, not buffer for it.
    const slow = new SseClient(`${a.url}/projections/order_summary/changes`, auth);
    await slow.open();
    slow.pause();

    const events = seedEvents(shop, EVENTS, 11);
    const produceStarted = Date.now();
    await produceEvents(events.slice(0, EVENTS / 2));
    const resumers = subscribers.filter((s) => s.kind === 'resume');
    await until(
      'resuming subscribers to get changes',
      () => resumers.every((s) => s.client.changes().length > 0) || undefined,
    );
    for (const s of resumers) s.client.close();
    await produceEvents(events.slice(EVENTS / 2));
    await new Promise((r) => setTimeout(r, 1_000));
    // Each resumes on the other instance, from the last id it saw.
    for (const [i, s] of resumers.entries()) {
      const url = new URL(s.client.url);
      const other = url.origin === a.url ? b.url : a.url;
      const next = new SseClient(`${other}${url.pathname}${url.search}`, auth);
      const events = s.client.events;
      next.events.push(...events);
      next.lastId = s.client.lastId;
      s.client = next;
      if (i % 5 === 0) await next.open();
      else void next.open();
    }

    const expected = (await oracle(shop.definition, events)).tables;
    await until(
      'the output topics to equal the oracle',
      async () => {
        const tables = await outputTables(shop.definition);
        return (
          PROJECTIONS.every(
            (p) => JSON.stringify(sorted(tables.get(p)!)) === JSON.stringify(sorted(expected.get(p)!)),
          ) || undefined
        );
      },
      300_000,
    );
    const caughtUpMs = Date.now() - produceStarted;

    const committed = new Map(
      await Promise.all(PROJECTIONS.map(async (p) => [p, await committedRecords(topicOf(p))] as const)),
    );
    let delivered = 0;
    for (const s of subscribers) {
      const want = committed
        .get(s.projection)!
        .filter((r) => r.offset >= (s.start.get(r.partition) ?? 0) && matches(s.filter, r.key))
        .map((r) => `${r.partition}:${r.offset}`);
      const label = `${s.kind} ${s.projection} ${JSON.stringify(s.filter)}`;
      await until(
        `${label} to receive ${want.length} changes`,
        () => s.client.changes().length >= want.length || undefined,
        30_000,
      ).catch(() => undefined);
      const got = s.client.changes();
      const ids = got.map((c) => `${c.partition}:${c.offset}`);
      assert.equal(new Set(ids).size, ids.length, `${label}: a change was delivered twice`);
      const wanted = new Set(want);
      const received = new Set(ids);
      const missing = want.filter((id) => !received.has(id));
      const extra = ids.filter((id) => !wanted.has(id));
      assert.deepEqual(
        { missing: missing.slice(0, 10), extra: extra.slice(0, 10), counts: [missing.length, extra.length] },
        { missing: [], extra: [], counts: [0, 0] },
        `${label}: delivered changes differ from the committed ones (${want.length} committed)`,
      );
      assertOffsetOrder(got, label);
      assert.deepEqual(
        sorted(fold(got)),
        sorted(filtered(expected.get(s.projection)!, s.filter)),
        `${label}: view differs from the oracle`,
      );
      delivered += got.length;
    }

    // The paused client harmed no one (checked above). Whether it was cut off depends on how much
    // the kernel's socket buffers absorbed; resume-and-cut-off.test.ts proves the cut-off itself.
    slow.resume();
    await Promise.race([slow.ended, new Promise((r) => setTimeout(r, 5_000))]);
    const last = slow.events.at(-1)!;
    if (last.event === 'end') assert.equal((last.data as { reason: string }).reason, 'slow_consumer');
    slow.close();

    for (const s of subscribers) s.client.close();
    console.log(
      JSON.stringify({
        subscribers: SUBSCRIBERS,
        events: EVENTS,
        connectMs,
        caughtUpMs,
        delivered,
        slowClientCutOff: last.event === 'end',
      }),
    );
  },
);

/** Per partition, offsets strictly increase in arrival order (a key lives in one partition). */
function assertOffsetOrder(changes: FeedChange[], label: string): void {
  const last = new Map<number, number>();
  for (const c of changes) {
    assert.ok(
      c.offset > (last.get(c.partition) ?? -1),
      `${label}: partition ${c.partition} out of order at ${c.offset}`,
    );
    last.set(c.partition, c.offset);
  }
}

function fold(changes: FeedChange[]): Map<string, unknown> {
  const view = new Map<string, unknown>();
  for (const c of changes) {
    if (c.deleted) view.delete(c.key);
    else view.set(c.key, c.value);
  }
  return view;
}

function filtered(table: Map<string, unknown>, f: Subscriber['filter']): Map<string, unknown> {
  return new Map([...table].filter(([k]) => matches(f, k)));
}

function sorted(m: Map<string, unknown>): Array<[string, unknown]> {
  return [...m].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

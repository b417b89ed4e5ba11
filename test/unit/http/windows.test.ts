// Queries over a windowed projection, on two real loopback servers that each own half the
// partitions: a key's windows (from/to on window start, limit/next, validation), forwarding to
// the owner of the group key, and scans paging over (key, window) with cursors.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryStateSource } from '../../../runtime/http/memory-state-source.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import { createHttpServer, type HttpServer } from '../../../runtime/http/server.ts';
import type { WindowSpec } from '../../../runtime/http/state-source.ts';

const PARTITIONS = 4;
const DAY = 86_400_000;
const window: WindowSpec = {
  type: 'tumbling',
  sizeMs: DAY,
  advanceMs: DAY,
  gapMs: 0,
  graceMs: 3_600_000,
  retentionMs: 7 * DAY,
  emit: 'changes',
};
// 12 customers (c1, c10, c11 … to check key boundaries), each with windows on days 0..(i % 5) + 1;
// day 10 (start 864000000) sorts before day 2 as a decimal string, not as a time.
const customers = Array.from({ length: 12 }, (_, i) => `c${i + 1}`);
const daysOf = (i: number) => [...Array.from({ length: (i % 5) + 1 }, (_, d) => d), 10];

function source(local: number[]): MemoryStateSource {
  const s = new MemoryStateSource({
    projections: { daily: { window }, plain: {} },
    partitions: PARTITIONS,
    local,
  });
  customers.forEach((c, i) => {
    for (const d of daysOf(i))
      s.putWindow(
        'daily',
        c,
        { start: d * DAY, end: (d + 1) * DAY },
        { revenue: i * 100 + d },
        {
          updatedAt: d * DAY + 1,
        },
      );
  });
  s.put('plain', 'x', { n: 1 });
  return s;
}

async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json() };
}

describe('windowed projections over HTTP, two instances', () => {
  const a = source([0, 1]);
  const b = source([2, 3]);
  let servers: HttpServer[];
  let urlA: string;
  let urlB: string;

  before(async () => {
    servers = [a, b].map((s) => createHttpServer({ stateSource: s, forwardTimeoutMs: 2000 }));
    urlA = await servers[0]!.listen();
    urlB = await servers[1]!.listen();
    const endpoints = { 0: urlA, 1: urlA, 2: urlB, 3: urlB };
    a.setOwnership([0, 1], endpoints);
    b.setOwnership([2, 3], endpoints);
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  it("lists a key's windows by start, from either instance", async () => {
    for (const [i, c] of customers.entries()) {
      const [fromA, fromB] = await Promise.all([
        get(urlA, `/projections/daily/keys/${c}`),
        get(urlB, `/projections/daily/keys/${c}`),
      ]);
      assert.equal(fromA.status, 200, c);
      assert.deepEqual(fromA.body, fromB.body);
      assert.deepEqual(fromA.body, {
        key: c,
        partition: partitionOfKey(c, PARTITIONS),
        windows: daysOf(i).map((d) => ({
          windowStart: d * DAY,
          windowEnd: (d + 1) * DAY,
          value: { revenue: i * 100 + d },
          updatedAt: d * DAY + 1,
        })),
        next: null,
      });
    }
  });

  it('narrows by from (inclusive) and to (exclusive) on window start, in ms or ISO-8601', async () => {
    const starts = async (query: string) => {
      const r = await get(urlB, `/projections/daily/keys/c5?${query}`);
      assert.equal(r.status, 200, query);
      return r.body.windows.map((w: { windowStart: number }) => w.windowStart / DAY);
    };
    assert.deepEqual(await starts(''), [0, 1, 2, 3, 4, 10]);
    assert.deepEqual(await starts(`from=${DAY}&to=${4 * DAY}`), [1, 2, 3]);
    assert.deepEqual(await starts(`from=${DAY + 1}`), [2, 3, 4, 10]);
    assert.deepEqual(await starts('from=1970-01-03T00:00:00Z&to=1970-01-05'), [2, 3]);
    assert.deepEqual(await starts(`from=${11 * DAY}`), []);
    assert.deepEqual(await starts(`from=${DAY}&to=${DAY}`), []);
  });

  it('pages with limit and next (the start to pass as from)', async () => {
    const seen: number[] = [];
    let from: number | null = 0;
    while (from !== null) {
      const r = await get(urlA, `/projections/daily/keys/c5?limit=4&from=${from}`);
      assert.equal(r.status, 200);
      assert.ok(r.body.windows.length <= 4);
      seen.push(...r.body.windows.map((w: { windowStart: number }) => w.windowStart / DAY));
      from = r.body.next;
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 10]);
  });

  it('answers 400 with a reason for bad window parameters', async () => {
    for (const [query, reason] of [
      ['from=yesterday', /invalid from/],
      ['to=2026-13-01', /invalid to/],
      ['from=-5', /invalid from/],
      [`from=${3 * DAY}&to=${DAY}`, /from \(window start\) is after to/],
      ['asOf=2026-01-01T00:00:00Z', /asOf does not apply|no history/],
      ['limit=0', /limit/],
    ] as const) {
      const r = await get(urlA, `/projections/daily/keys/c1?${query}`);
      assert.equal(r.status, 400, query);
      assert.match(r.body.reason, reason, query);
    }
    const plain = await get(urlA, '/projections/plain/keys/x?from=0');
    assert.equal(plain.status, 400);
    assert.match(plain.body.reason, /windowed projection/);
  });

  it('scans page over (key, window) across both owners: none missing or repeated', async () => {
    const expected = customers
      .flatMap((c, i) => daysOf(i).map((d) => [c, d] as const))
      .sort(([x, d], [y, e]) => Buffer.compare(Buffer.from(x), Buffer.from(y)) || d - e)
      .map(([c, d]) => `${c}@${d}`);
    for (const limit of [1, 5, 1000]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; ; page++) {
        const base = page % 2 === 0 ? urlA : urlB;
        const q = new URLSearchParams({ limit: String(limit) });
        if (cursor) q.set('cursor', cursor);
        const r = await get(base, `/projections/daily/rows?${q}`);
        assert.equal(r.status, 200);
        for (const row of r.body.rows) {
          assert.equal(row.windowEnd - row.windowStart, DAY);
          assert.equal(row.partition, partitionOfKey(row.key, PARTITIONS));
          seen.push(`${row.key}@${row.windowStart / DAY}`);
        }
        cursor = r.body.next;
        if (cursor === null) break;
      }
      assert.deepEqual(seen, expected, `limit ${limit}`);
    }
    // A prefix selects group keys: c1 and c10…c12, never a partial window key.
    const r = await get(urlA, '/projections/daily/rows?prefix=c1&limit=1000');
    assert.deepEqual(
      [...new Set(r.body.rows.map((x: { key: string }) => x.key))],
      ['c1', 'c10', 'c11', 'c12'],
    );
  });

  it('shows the window in the projection status', async () => {
    const r = await get(urlA, '/projections/daily');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.window, window);
    assert.equal((await get(urlA, '/projections/plain')).body.window, undefined);
  });
});

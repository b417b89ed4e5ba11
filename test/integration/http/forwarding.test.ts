// Two real servers on loopback, each backed by a MemoryStateSource that owns half the partitions:
// key queries are forwarded to the owner, scans fan out and merge, freshness waits cross instances.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeKey } from '../../../projections/keys.ts';
import { MemoryStateSource } from '../../../runtime/http/memory-state-source.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import { createHttpServer, type HttpServer } from '../../../runtime/http/server.ts';

const PARTITIONS = 4;
const TOKEN = 'fwd-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const keyOf = (i: number) =>
  i % 7 === 0 ? { region: `r${i % 3}`, id: i } : `user-${String(i).padStart(4, '0')}`;

function source(local: number[]): MemoryStateSource {
  const s = new MemoryStateSource({ projections: { users: {} }, partitions: PARTITIONS, local });
  for (let i = 0; i < 300; i++)
    s.put('users', keyOf(i), { n: i, name: `u${i}` }, { offset: i, updatedAt: 10_000 + i });
  return s;
}

async function get(
  base: string,
  path: string,
): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const res = await fetch(`${base}${path}`, { headers: auth });
  return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
}

describe('two instances: forwarding and fan-out', () => {
  const a = source([0, 1]);
  const b = source([2, 3]);
  let serverA: HttpServer;
  let serverB: HttpServer;
  let urlA: string;
  let urlB: string;
  const all = Array.from({ length: 300 }, (_, i) => encodeKey(keyOf(i)));

  before(async () => {
    serverA = createHttpServer({ stateSource: a, token: TOKEN, forwardTimeoutMs: 2000 });
    serverB = createHttpServer({ stateSource: b, token: TOKEN, forwardTimeoutMs: 2000 });
    urlA = await serverA.listen();
    urlB = await serverB.listen();
    const endpoints = { 0: urlA, 1: urlA, 2: urlB, 3: urlB };
    a.setOwnership([0, 1], endpoints);
    b.setOwnership([2, 3], endpoints);
  });
  after(async () => {
    await serverA.close();
    await serverB.close();
  });

  it('answers every key identically from either instance', async () => {
    for (const k of all) {
      const path = `/projections/users/keys/${encodeURIComponent(k)}`;
      const [fromA, fromB] = await Promise.all([get(urlA, path), get(urlB, path)]);
      assert.equal(fromA.status, 200, k);
      assert.deepEqual(fromA.body, fromB.body, k);
      assert.equal(fromA.body.partition, partitionOfKey(k, PARTITIONS));
    }
    // A missing key in the other instance's partitions: its 404 is relayed as is.
    for (let i = 0; i < 20; i++) {
      const r = await get(urlA, `/projections/users/keys/missing-${i}`);
      assert.equal(r.status, 404);
      assert.equal(r.body.error, 'not_found');
    }
  });

  it('paginates scans over both owners with no row missing or repeated, switching instance per page', async () => {
    const sorted = [...all].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    for (const limit of [1, 13, 100, 1000]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; ; page++) {
        const base = page % 2 === 0 ? urlA : urlB;
        const r = await get(
          base,
          `/projections/users/rows?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.equal(r.status, 200);
        assert.ok(r.body.rows.length <= limit);
        seen.push(...r.body.rows.map((row: any) => row.key));
        cursor = r.body.next;
        if (cursor === null) break;
      }
      assert.deepEqual(seen, sorted, `limit ${limit}`);
    }
    const prefixed = await get(urlB, '/projections/users/rows?prefix=user-01&limit=1000');
    assert.deepEqual(
      prefixed.body.rows.map((r: any) => r.key),
      sorted.filter((k) => k.startsWith('user-01')),
    );
  });

  it('waits for minOffset on a partition the other instance owns', async () => {
    b.setPosition(3, 5);
    const k = all.find((x) => partitionOfKey(x, PARTITIONS) === 0)!;
    const pending = get(
      urlA,
      `/projections/users/keys/${encodeURIComponent(k)}?minOffset=3:5&timeoutMs=3000`,
    );
    setTimeout(() => b.setPosition(3, 6), 100);
    const r = await pending;
    assert.equal(r.status, 200);
    const late = await get(
      urlA,
      `/projections/users/keys/${encodeURIComponent(k)}?minOffset=3:50&timeoutMs=50`,
    );
    assert.equal(late.status, 503);
    assert.equal(late.body.error, 'not_fresh');
  });

  it('answers 503 while the owner restores, for keys and scans', async () => {
    b.setRestoring(2, true);
    try {
      const k = all.find((x) => partitionOfKey(x, PARTITIONS) === 2)!;
      const r = await get(urlA, `/projections/users/keys/${encodeURIComponent(k)}`);
      assert.equal(r.status, 503);
      assert.equal(r.body.error, 'restoring');
      assert.equal(r.retryAfter, '1');
      const scan = await get(urlA, '/projections/users/rows');
      assert.equal(scan.status, 503);
      assert.equal(scan.body.error, 'restoring');
    } finally {
      b.setRestoring(2, false);
    }
  });

  it('never loops when two instances disagree on an owner (stale view during a rebalance)', async () => {
    // B believes A owns partition 3; A believes B does.
    b.setOwnership([2], { 0: urlA, 1: urlA, 2: urlB, 3: urlA });
    try {
      const k = all.find((x) => partitionOfKey(x, PARTITIONS) === 3)!;
      const r = await get(urlA, `/projections/users/keys/${encodeURIComponent(k)}`);
      assert.equal(r.status, 503);
      assert.equal(r.retryAfter, '1');
      // The scan leg sent to B for partitions 2 and 3 is refused, not half-answered.
      assert.equal((await get(urlA, '/projections/users/rows')).status, 503);
    } finally {
      b.setOwnership([2, 3], { 0: urlA, 1: urlA, 2: urlB, 3: urlB });
    }
  });

  it('forwards the bearer token and refuses requests without it', async () => {
    const k = all.find((x) => partitionOfKey(x, PARTITIONS) === 2)!;
    const res = await fetch(`${urlA}/projections/users/keys/${encodeURIComponent(k)}`);
    assert.equal(res.status, 401);
  });

  it('answers 503 with Retry-After when the owner is down, and serves its own keys', async () => {
    const down = createHttpServer({ stateSource: source([0, 1]), token: TOKEN, forwardTimeoutMs: 500 });
    const downUrl = await down.listen();
    await down.close();
    a.setOwnership([0, 1], { 0: urlA, 1: urlA, 2: downUrl, 3: downUrl });
    try {
      const remote = all.find((x) => partitionOfKey(x, PARTITIONS) === 2)!;
      const r = await get(urlA, `/projections/users/keys/${encodeURIComponent(remote)}`);
      assert.equal(r.status, 503);
      assert.equal(r.retryAfter, '1');
      assert.equal((await get(urlA, '/projections/users/rows')).status, 503);
      const own = all.find((x) => partitionOfKey(x, PARTITIONS) === 0)!;
      assert.equal((await get(urlA, `/projections/users/keys/${encodeURIComponent(own)}`)).status, 200);
    } finally {
      a.setOwnership([0, 1], { 0: urlA, 1: urlA, 2: urlB, 3: urlB });
    }
  });
});

// TaskStoresStateSource over LevelDB task stores: every key with its partition, offset and event time,
// committed or still in the write cache; paging across tasks in byte order; 503 while a task restores;
// minOffset waits; row counts cached, since counting walks the store.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeKey } from '../../../projections/keys.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import { createHttpServer } from '../../../runtime/http/server.ts';
import type { PartitionStatus } from '../../../runtime/http/state-source.ts';
import {
  envelopeRow,
  type TaskView,
  TaskStoresStateSource,
} from '../../../runtime/http/task-stores-state-source.ts';
import type { TaskStores } from '../../../runtime/stores/index.ts';
import { acknowledged, openStores, tempDir } from '../stores/helpers.ts';

const ROWS = 'shop-balances-rows';
const json = (body: string) => JSON.parse(body) as Record<string, any>;

describe('TaskStoresStateSource over LevelDB task stores', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const stores = new Map<number, TaskStores>();
  const status = new Map<number, Omit<PartitionStatus, 'partition'>>();
  let source: TaskStoresStateSource;
  const keys: string[] = [];

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    for (const p of [0, 1]) {
      stores.set(p, await openStores(`${dir}/${p}`));
      status.set(p, { position: 0, status: 'running' });
    }
    // 60 keys spread over 2 partitions the way the engine's records are.
    for (let i = 0; i < 60; i++) {
      const key = i % 10 === 0 ? { customer: `c${i}`, day: i } : `acct-${String(i).padStart(3, '0')}`;
      const k = encodeKey(key);
      keys.push(k);
      stores
        .get(partitionOfKey(k, 2))!
        .store(ROWS)
        .put(k, { v: { balance: i }, o: 100 + i, t: 5000 + i });
    }
    // Half committed to LevelDB, half still in the write cache: queries see both.
    const prepared = stores.get(0)!.prepareCommit();
    await stores.get(0)!.completeCommit(prepared, acknowledged(prepared.records, new Map()));
    const views = new Map<number, TaskView>(
      [...stores].map(([p, s]) => [p, { stores: s, status: () => status.get(p)! }]),
    );
    source = new TaskStoresStateSource({
      projections: [
        { name: 'balances', kind: 'table', rowsStore: ROWS },
        { name: 'audit', kind: 'stream', rowsStore: null },
      ],
      partitions: 2,
      tasks: () => views,
      endpointOf: () => 'http://127.0.0.1:1',
      decodeRow: envelopeRow,
      pollMs: 5,
    });
  });
  after(async () => {
    for (const s of stores.values()) await s.close();
    await cleanup();
  });

  it('gets every key with its partition, offset and event time', async () => {
    const { app } = createHttpServer({ stateSource: source });
    for (const [i, k] of keys.entries()) {
      const r = await app.inject(`/projections/balances/keys/${encodeURIComponent(k)}`);
      assert.equal(r.statusCode, 200, k);
      assert.deepEqual(json(r.body), {
        key: k,
        value: { balance: i },
        partition: partitionOfKey(k, 2),
        offset: 100 + i,
        updatedAt: 5000 + i,
      });
    }
    assert.equal((await app.inject('/projections/balances/keys/nope')).statusCode, 404);
    assert.equal((await app.inject('/projections/audit/keys/x')).statusCode, 400);
  });

  it('pages over both tasks in byte order without a row missing or repeated', async () => {
    const { app } = createHttpServer({ stateSource: source });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/projections/balances/rows?limit=7${cursor ? `&cursor=${cursor}` : ''}`;
      const body = json((await app.inject(url)).body);
      seen.push(...body.rows.map((r: any) => r.key));
      cursor = body.next;
    } while (cursor !== null);
    assert.deepEqual(
      seen,
      [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    const prefixed = json((await app.inject('/projections/balances/rows?prefix=acct-01&limit=100')).body);
    assert.deepEqual(
      prefixed.rows.map((r: any) => r.key),
      keys.filter((k) => k.startsWith('acct-01')).sort(),
    );
  });

  it('reports rows, positions and restore status; 503 while a task restores', async () => {
    const { app } = createHttpServer({ stateSource: source });
    status.set(1, { position: 7, status: 'restoring', restore: { restored: 3, total: 10 } });
    try {
      const p = json((await app.inject('/projections/balances')).body);
      assert.equal(p.status, 'restoring');
      assert.deepEqual(p.partitions[1], {
        partition: 1,
        position: 7,
        status: 'restoring',
        restore: { restored: 3, total: 10 },
      });
      // Task 0 committed its rows to LevelDB: countRows sees them (task 1's are still cached).
      assert.equal(p.rows, keys.filter((k) => partitionOfKey(k, 2) === 0).length);
      const k1 = keys.find((k) => partitionOfKey(k, 2) === 1)!;
      assert.equal(
        (await app.inject(`/projections/balances/keys/${encodeURIComponent(k1)}`)).statusCode,
        503,
      );
      assert.equal((await app.inject('/projections/balances/rows')).statusCode, 503);
      assert.equal((await app.inject('/readyz')).statusCode, 503);
    } finally {
      status.set(1, { position: 0, status: 'running' });
    }
  });

  it('waits for a position with minOffset', async () => {
    const { app } = createHttpServer({ stateSource: source });
    const pending = app.inject('/projections/balances/partitions/0?minOffset=0:41&timeoutMs=2000');
    setTimeout(() => status.set(0, { position: 42, status: 'running' }), 30);
    const r = await pending;
    assert.equal(r.statusCode, 200);
    assert.equal(json(r.body).position, 42);
  });
});

describe('TaskStoresStateSource row counts', () => {
  it('caches each store’s count for rowCountTtlMs, since counting walks the store', async () => {
    let clock = 0;
    let walks = 0;
    let rows = 3;
    const stores = {
      store: () => ({ get: () => undefined, scan: async function* () {} }),
      countRows: async () => {
        walks++;
        return rows;
      },
    };
    const source = new TaskStoresStateSource({
      projections: [{ name: 'p', kind: 'table', rowsStore: 'app-p-rows' }],
      partitions: 1,
      tasks: () => new Map([[0, { stores, status: () => ({ position: 0, status: 'running' as const }) }]]),
      endpointOf: () => null,
      rowCountTtlMs: 1000,
      now: () => clock,
    });
    assert.equal((await source.projections())[0]!.rows, 3);
    rows = 5;
    clock = 999;
    assert.equal((await source.projections())[0]!.rows, 3);
    clock = 1000;
    assert.equal((await source.projections())[0]!.rows, 5);
    assert.equal(walks, 2);
  });
});

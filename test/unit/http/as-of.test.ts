// `?asOf=` on GET /projections/{name}/keys/{key}, end to end over the runtime's state source: the
// stores are those the pure engine fills (rows and history, as a runtime task holds them).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { type RuntimeTask, runtimeStateSource } from '../../../runtime/http/runtime-state-source.ts';
import { createHttpServer } from '../../../runtime/http/server.ts';
import { MemoryStateSource } from '../../../runtime/http/memory-state-source.ts';
import { define, rec } from '../engine/helpers.ts';

const def = define({
  sources: { accounts: { topic: 'account-events', key: 'accountId', eventType: 'eventType' } },
  projections: {
    balances: {
      from: 'accounts',
      aggregate: { balance: { sum: { MoneyDeposited: 'amount', MoneyWithdrawn: '-amount' } } },
      deleteOn: ['AccountClosed'],
      history: { retention: '30d', maxVersions: 3 },
    },
    deposits: { from: 'accounts', aggregate: { n: { count: { on: ['MoneyDeposited'] } } } },
  },
});

const deposit = (id: string, amount: number, t: number) =>
  rec('account-events', id, { eventType: 'MoneyDeposited', accountId: id, amount }, t);

/** One partition, one running task over the engine's stores. */
function serve(state: RuntimeTask['state'] = 'running') {
  const topology = compileTopology(def);
  const ex = new Executor(topology, { json: true });
  for (const r of [
    deposit('a1', 10, Date.parse('2026-01-01T10:00:00Z')),
    deposit('a1', 5, Date.parse('2026-01-01T11:00:00Z')),
    rec(
      'account-events',
      'a1',
      { eventType: 'AccountClosed', accountId: 'a1' },
      Date.parse('2026-01-01T12:00:00Z'),
    ),
    deposit('a1', 1, Date.parse('2026-01-01T13:00:00Z')),
    deposit('a2', 7, Date.parse('2026-01-01T10:30:00Z')),
  ])
    ex.process(r);
  const task: RuntimeTask = {
    state,
    positions: new Map([['account-events', 5]]),
    stores: {
      store: <V>(name: string) => ex.stores.store<V>(name),
      countRows: async () => 0,
    },
  };
  const source = runtimeStateSource({
    topology,
    partitions: 1,
    tasks: () => new Map([[0, task]]),
    ownership: () => ({ stable: true, endpoints: new Map() }),
  });
  return createHttpServer({ stateSource: source }).app;
}

const get = async (app: ReturnType<typeof serve>, path: string) => {
  const r = await app.inject(path);
  return { status: r.statusCode, body: JSON.parse(r.body) as Record<string, unknown> };
};

describe('GET /projections/{name}/keys/{key}?asOf=', () => {
  it('reads the final rows store by default (now), and the version in force at a time', async () => {
    const app = serve();
    assert.deepEqual(await get(app, '/projections/balances/keys/a1'), {
      status: 200,
      body: { key: 'a1', value: { balance: 1 }, partition: 0, updatedAt: Date.parse('2026-01-01T13:00:00Z') },
    });
    assert.deepEqual(await get(app, '/projections/balances/keys/a1?asOf=2026-01-01T11:30:00Z'), {
      status: 200,
      body: {
        key: 'a1',
        value: { balance: 15 },
        partition: 0,
        updatedAt: Date.parse('2026-01-01T11:00:00Z'),
      },
    });
    // Inclusive, and any zone.
    const r = await get(app, '/projections/balances/keys/a2?asOf=2026-01-01T11:30:00%2B01:00');
    assert.deepEqual(r.body.value, { balance: 7 });
  });

  it('404 when there was no row then (before the first event, or deleted)', async () => {
    const app = serve();
    const deleted = await get(app, '/projections/balances/keys/a1?asOf=2026-01-01T12:30:00Z');
    assert.equal(deleted.status, 404);
    assert.equal(deleted.body.error, 'not_found');
    assert.equal((await get(app, '/projections/balances/keys/a2?asOf=2026-01-01T10:00:00Z')).status, 404);
    assert.equal((await get(app, '/projections/balances/keys/nobody?asOf=2026-01-01')).status, 404);
  });

  it('410 with a reason when the time precedes the retained versions', async () => {
    const app = serve();
    // maxVersions 3 kept 11:00, 12:00 (deleted) and 13:00 of a1: 10:00 was dropped.
    const r = await get(app, '/projections/balances/keys/a1?asOf=2026-01-01T10:30:00Z');
    assert.equal(r.status, 410);
    assert.equal(r.body.error, 'history_trimmed');
    assert.match(String(r.body.reason), /retained history/);
  });

  it('400 with a reason for a projection without history, or a time that is not ISO-8601', async () => {
    const app = serve();
    const none = await get(app, '/projections/deposits/keys/a1?asOf=2026-01-01T10:30:00Z');
    assert.equal(none.status, 400);
    assert.equal(none.body.error, 'no_history');
    for (const bad of [
      'yesterday',
      '2026-02-30',
      '2026-01-01T10:00:00',
      '1767261600000',
      `2026${'0'.repeat(80)}`,
    ]) {
      const r = await get(app, `/projections/balances/keys/a1?asOf=${encodeURIComponent(bad)}`);
      assert.equal(r.status, 400, bad);
      assert.equal(r.body.error, 'bad_request', bad);
      assert.ok(!String(r.body.reason).includes(bad), 'the input is not reflected');
    }
  });

  it('503 while the partition restores', async () => {
    const r = await get(serve('restoring'), '/projections/balances/keys/a1?asOf=2026-01-01T11:30:00Z');
    assert.equal(r.status, 503);
    assert.equal(r.body.error, 'restoring');
  });

  it('forwards to the owner like any key read, asOf included', async () => {
    const owner = new MemoryStateSource({ projections: { balances: { history: true } }, partitions: 1 });
    owner.put('balances', 'a1', { balance: 1 }, { updatedAt: 1000 });
    owner.put('balances', 'a1', { balance: 2 }, { updatedAt: 2000 });
    owner.trimHistory('balances', 500);
    const ownerServer = createHttpServer({ stateSource: owner });
    const ownerUrl = await ownerServer.listen();
    try {
      const here = new MemoryStateSource({
        projections: { balances: { history: true } },
        partitions: 1,
        local: [],
        endpoints: { 0: ownerUrl },
      });
      const app = createHttpServer({ stateSource: here }).app;
      const at = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
      assert.deepEqual((await get(app, `/projections/balances/keys/a1?asOf=${at(1500)}`)).body, {
        key: 'a1',
        value: { balance: 1 },
        partition: 0,
        updatedAt: 1000,
      });
      assert.equal((await get(app, `/projections/balances/keys/a1?asOf=${at(100)}`)).status, 410);
    } finally {
      await ownerServer.close();
    }
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await get(serve(), '/openapi.json')).body as {
      paths: Record<
        string,
        { get: { parameters: Array<{ name: string }>; responses: Record<string, unknown> } }
      >;
    };
    const op = doc.paths['/projections/{name}/keys/{key}']!.get;
    assert.ok(op.parameters.some((p) => p.name === 'asOf'));
    assert.ok(op.responses['410']);
  });
});

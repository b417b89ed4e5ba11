// What a writer bypassing streamfold learns over HTTP about a first-writer-wins source
// (docs/commands.md): the bounded store of rejected appends and its horizon, the fate of an append
// (pending, applied, rejected, forgotten), and the two routes over a compiled topology run by the
// pure executor, with bad requests answered 4xx.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { appendFate, RejectedAppends } from '../../../projections/first-writer-wins/rejected-appends.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { BoundedEntries } from '../../../projections/horizon/bounded-entries.ts';
import { MemoryStore, MemoryStoreProvider } from '../../../projections/store.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { runtimeStateSource } from '../../../runtime/http/runtime-state-source.ts';
import { createHttpServer } from '../../../runtime/http/server.ts';
import { deadLetteredAppends } from '../../../runtime/sources/dead-lettered-appends.ts';

const json = (body: string) => JSON.parse(body) as Record<string, any>;
const rejection = (n: number) => ({ key: 's1', reason: `r${n}`, expected: 2, actual: 1, t: n });

describe('BoundedEntries', () => {
  it('keeps the last `horizon` entries and returns the one it forgets', () => {
    const entries = new BoundedEntries<number>(new MemoryStore(), 2);
    assert.equal(entries.put('a', 1), undefined);
    assert.equal(entries.put('b', 2), undefined);
    assert.deepEqual(entries.put('c', 3), { key: 'a', value: 1 });
    assert.equal(entries.get('a'), undefined);
    assert.deepEqual([entries.get('b'), entries.get('c')], [2, 3]);
  });
});

describe('RejectedAppends and appendFate', () => {
  it('answers pending, applied, rejected, then forgotten once the horizon passed', () => {
    const store = new MemoryStore();
    const rejected = new RejectedAppends(store, 2);
    const fate = (offset: number, position = 100) => appendFate((k) => store.get(k), 0, offset, position);
    rejected.record({ partition: 0, offset: 10 }, rejection(10));
    assert.deepEqual(fate(10, 10), { status: 'pending' });
    assert.deepEqual(fate(10), { status: 'rejected', rejection: rejection(10) });
    assert.deepEqual(fate(11), { status: 'applied' });
    rejected.record({ partition: 0, offset: 20 }, rejection(20));
    rejected.record({ partition: 0, offset: 20 }, rejection(21)); // processed again: kept once
    assert.deepEqual(fate(10), { status: 'rejected', rejection: rejection(10) });
    rejected.record({ partition: 0, offset: 30 }, rejection(30));
    // The rejection at 10 is forgotten: nothing up to 10 can be answered any more.
    assert.deepEqual(fate(10), { status: 'forgotten', forgottenUpTo: 10 });
    assert.deepEqual(fate(3), { status: 'forgotten', forgottenUpTo: 10 });
    assert.deepEqual(fate(11), { status: 'applied' });
    assert.deepEqual(fate(20), { status: 'rejected', rejection: rejection(20) });
    assert.deepEqual(
      appendFate((k) => store.get(k), 1, 3, 100),
      { status: 'applied' },
      'per partition',
    );
  });

  it('tells an append that went to the dead letters before the check', () => {
    const store = new MemoryStore();
    new RejectedAppends(store, 10).recordDeadLetter({ partition: 2, offset: 4 }, 'malformed-json');
    assert.deepEqual(
      appendFate((k) => store.get(k), 2, 4, 5),
      {
        status: 'dead_lettered',
        kind: 'malformed-json',
      },
    );
  });
});

describe('deadLetteredAppends', () => {
  it('records what was dead-lettered before the check: undecodable, or an upcast of the reporter', () => {
    const record = deadLetteredAppends(compileTopology(definition))!;
    const stores = new MemoryStoreProvider();
    const raw = (topic: string, offset: number) => ({
      topic,
      partition: 0,
      offset,
      key: null,
      value: null,
      timestamp: 0,
    });
    record(stores, raw('seat-events', 1), 'malformed-json', undefined);
    record(stores, raw('seat-events', 2), 'upcast', 'holders');
    record(stores, raw('seat-events', 3), 'upcast', 'another');
    record(stores, raw('plain-events', 4), 'malformed-json', undefined);
    // An expression (a `where`, say) may fail after the check took the version: not recorded.
    record(stores, raw('seat-events', 5), 'expression', 'holders');
    const store = stores.store('venue-holders-rejected-appends');
    const fate = (offset: number) => appendFate((k) => store.get(k), 0, offset, 10).status;
    assert.deepEqual([1, 2, 3, 4, 5].map(fate), [
      'dead_lettered',
      'dead_lettered',
      'applied',
      'applied',
      'applied',
    ]);
  });
});

const definition = parseConfig(
  stringify({
    application: 'venue',
    sources: {
      seats: {
        topic: 'seat-events',
        key: 'seatId',
        eventType: 'eventType',
        entityVersion: 'seq',
        conflicts: 'first-writer-wins',
      },
      plain: { topic: 'plain-events', key: 'id', eventType: 'eventType' },
    },
    projections: {
      holders: { from: 'seats', aggregate: { holder: { latest: { of: 'person', on: ['SeatReserved'] } } } },
      others: { from: 'plain', aggregate: { n: { count: '*' } } },
    },
  }),
  'venue.yaml',
  {},
);

/** One task (partition 0 of 2) that processed the seat events, at `position`. */
function served(position: number, restoring = false) {
  const topology = compileTopology(definition);
  const executor = new Executor(topology, { json: true });
  const seat = (offset: number, seatId: string, person: string, seq: unknown) =>
    executor.process({
      topic: 'seat-events',
      partition: 0,
      offset,
      key: seatId,
      value: { eventType: 'SeatReserved', seatId, person, seq },
    });
  seat(0, 'B1', 'ann', 1);
  seat(1, 'B1', 'bob', 1);
  seat(2, 'B1', 'cid', 2);
  seat(3, 'B1', 'dan', 7);
  const task = {
    state: restoring ? ('restoring' as const) : ('running' as const),
    positions: new Map([['seat-events', position]]),
    stores: { store: (name: string) => executor.stores.store(name) as never, countRows: async () => 0 },
  };
  const stateSource = runtimeStateSource({
    topology,
    partitions: 2,
    tasks: () => new Map([[0, task]]),
    ownership: () => undefined,
  });
  return createHttpServer({ stateSource, defaultWaitMs: 50 }).app;
}

describe('GET /sources/{source}/versions/{key} and /appends/{partition}/{offset}', () => {
  it('answers the version and the fate of each append', async () => {
    const app = served(4);
    // B1 lives in partition 0 of 2 (murmur2), the local one.
    const v = await app.inject('/sources/seats/versions/B1');
    assert.equal(v.statusCode, 200, v.body);
    assert.deepEqual(json(v.body), { source: 'seats', key: 'B1', version: 2, partition: 0, position: 4 });
    const fate = async (offset: number) => app.inject(`/sources/seats/appends/0/${offset}?timeoutMs=0`);
    assert.deepEqual(json((await fate(0)).body), {
      source: 'seats',
      partition: 0,
      offset: 0,
      status: 'applied',
    });
    const lost = json((await fate(1)).body);
    assert.equal(lost.status, 'rejected');
    assert.equal(lost.key, 'B1');
    assert.equal(lost.expected, 2);
    assert.equal(lost.actual, 1);
    assert.match(lost.reason, /seq 1 was already taken: the entity is at version 1/);
    assert.equal(json((await fate(2)).body).status, 'applied');
    assert.match(json((await fate(3)).body).reason, /skips versions/);
    const pending = await fate(4);
    assert.equal(pending.statusCode, 202);
    assert.equal(pending.headers['retry-after'], '1');
    assert.deepEqual(json(pending.body), {
      source: 'seats',
      partition: 0,
      offset: 4,
      status: 'pending',
      position: 4,
    });
    // Waiting for an append the owner does not reach answers pending after the wait.
    assert.equal((await app.inject('/sources/seats/appends/0/9?timeoutMs=30')).statusCode, 202);
  });

  it('waits for minOffset on the key’s partition (read your write), else 503 not_fresh', async () => {
    const app = served(3);
    const fresh = await app.inject('/sources/seats/versions/B1?minOffset=0:2');
    assert.equal(json(fresh.body).version, 2);
    const stale = await app.inject('/sources/seats/versions/B1?minOffset=0:3&timeoutMs=20');
    assert.equal(stale.statusCode, 503);
    assert.equal(json(stale.body).error, 'not_fresh');
  });

  it('a key never seen is at version 0', async () => {
    const app = served(4);
    // A key of partition 0 with no event.
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    for (const k of keys) {
      const r = await app.inject(`/sources/seats/versions/${k}`);
      if (r.statusCode === 200) return assert.equal(json(r.body).version, 0);
    }
    assert.fail('no key of partition 0 among the candidates');
  });

  it('answers bad requests 4xx with a reason, and 503 while restoring or when the owner is unknown', async () => {
    const app = served(4);
    const expect = async (url: string, status: number, reason: RegExp) => {
      const r = await app.inject(url);
      assert.equal(r.statusCode, status, `${url}: ${r.body}`);
      assert.match(json(r.body).reason, reason, url);
    };
    await expect('/sources/nope/versions/B1', 404, /no source with this name/);
    await expect('/sources/nope/appends/0/1', 404, /no source with this name/);
    await expect('/sources/plain/versions/B1', 400, /first-writer-wins/);
    await expect('/sources/plain/appends/0/1', 400, /first-writer-wins/);
    await expect('/sources/seats/appends/0/1.5', 400, /offset/);
    await expect('/sources/seats/appends/0/-1', 400, /offset/);
    await expect('/sources/seats/appends/x/1', 400, /partition/);
    await expect('/sources/seats/appends/2/1', 400, /no such partition: the source has 2/);
    await expect('/sources/seats/appends/0/99999999999999999999', 400, /offset/);
    await expect('/sources/seats/versions/B1?minOffset=1:5', 400, /this key lives in partition 0/);
    await expect('/sources/seats/versions/B1?minOffset=zz', 400, /invalid minOffset/);
    // Partition 1 is not local and its owner is not known: 503, never a guess.
    await expect('/sources/seats/appends/1/1', 503, /rebalance/);
    const restoring = served(4, true);
    const r = await restoring.inject('/sources/seats/appends/0/1');
    assert.equal(r.statusCode, 503);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(json(r.body).error, 'restoring');
    const v = await restoring.inject('/sources/seats/versions/B1?minOffset=0:100&timeoutMs=60000');
    assert.equal(v.statusCode, 503);
    assert.equal(json(v.body).error, 'restoring', 'at once, not after the freshness wait');
  });

  it('is in the OpenAPI document', async () => {
    const doc = json((await served(4).inject('/openapi.json')).body);
    assert.ok(doc.paths['/sources/{source}/versions/{key}'].get);
    assert.ok(doc.paths['/sources/{source}/appends/{partition}/{offset}'].get.responses['410']);
  });
});

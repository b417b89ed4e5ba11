// runtimeStateSource, the glue from the runtime's tasks to the query API: row envelopes, positions and lag
// from each projection's input topic, restoring tasks, and remote owners unknown until the group was stable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Topology } from '../../../projections/graph/topology.ts';
import { MemoryStore } from '../../../projections/store.ts';
import type { GroupOwnership } from '../../../runtime/http/ownership.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import { type RuntimeTask, runtimeStateSource } from '../../../runtime/http/runtime-state-source.ts';
import { RESTORING } from '../../../runtime/http/state-source.ts';

const topology = {
  application: 'shop',
  sources: [{ name: 'accounts', topic: 'account-events', kind: 'stream' }],
  projections: [
    { name: 'balances', kind: 'table', from: 'accounts', topic: 'shop-balances', internalTopic: false },
    { name: 'rich', kind: 'table', from: 'balances', topic: 'shop-rich', internalTopic: false },
    { name: 'audit', kind: 'stream', from: 'accounts', topic: 'shop-audit', internalTopic: false },
  ],
  subTopologies: [],
  exchanges: [],
} as unknown as Topology;

function task(
  state: RuntimeTask['state'],
  positions: Record<string, number>,
): RuntimeTask & { rows: MemoryStore } {
  const rows = new MemoryStore();
  return {
    rows,
    state,
    positions: new Map(Object.entries(positions)),
    stores: { store: () => rows as never, countRows: async () => rows.size },
    restore: () => ({ restored: 2, total: 9 }),
  };
}

describe('runtimeStateSource: the runtime’s tasks as a StateSource', () => {
  it('reads rows envelopes, per-projection positions and lag from the input topic', () => {
    let clock = 1000;
    const t0 = task('running', { 'account-events': 10, 'shop-balances': 4 });
    const k = ['a', 'b', 'c', 'd', 'e'].find((x) => partitionOfKey(x, 2) === 0)!;
    t0.rows.put(k, { v: { balance: 5 }, o: 9, t: 777 });
    const ends: Record<string, number> = { 'account-events': 10, 'shop-balances': 6 };
    const source = runtimeStateSource({
      topology,
      partitions: 2,
      tasks: () => new Map([[0, t0]]),
      ownership: () => undefined,
      endOffset: (topic) => ends[topic],
      rowsStoreOf: (p) => `shop-${p}-rows`,
      now: () => clock,
    });
    assert.deepEqual(source.get('balances', k), {
      value: { balance: 5 },
      offset: 9,
      updatedAt: 777,
      partition: 0,
    });
    assert.equal(source.queryable('audit'), false);
    assert.deepEqual(source.partitionStatus('balances', 0), {
      partition: 0,
      position: 10,
      endOffset: 10,
      lag: 0,
      lagMs: 0,
      status: 'running',
    });
    // `rich` reads the balances topic: never seen caught up, so its lag in ms is unknown.
    assert.deepEqual(source.partitionStatus('rich', 0), {
      partition: 0,
      position: 4,
      endOffset: 6,
      lag: 2,
      status: 'running',
    });
    ends['account-events'] = 15;
    clock = 1600;
    assert.equal(source.partitionStatus('balances', 0)?.lagMs, 600);
  });

  it('is restoring while a task restores; remote owners are unknown until the group was once stable', () => {
    const t1 = task('restoring', {});
    let ownership: GroupOwnership | undefined = {
      stable: false,
      endpoints: new Map([[0, 'http://127.0.0.1:9']]),
    };
    const source = runtimeStateSource({
      topology,
      partitions: 2,
      tasks: () => new Map([[1, t1]]),
      ownership: () => ownership,
      rowsStoreOf: (p) => `shop-${p}-rows`,
    });
    const k1 = ['a', 'b', 'c', 'd', 'e'].find((x) => partitionOfKey(x, 2) === 1)!;
    const k0 = ['a', 'b', 'c', 'd', 'e'].find((x) => partitionOfKey(x, 2) === 0)!;
    assert.equal(source.get('balances', k1), RESTORING);
    assert.equal(source.ready(), false);
    assert.deepEqual(source.partitionStatus('balances', 1)?.restore, { restored: 2, total: 9 });
    assert.deepEqual(source.ownerOf('balances', k0), { partition: 0, endpoint: null, local: false });
    ownership = { ...ownership, stable: true };
    assert.deepEqual(source.ownerOf('balances', k0), {
      partition: 0,
      endpoint: 'http://127.0.0.1:9',
      local: false,
    });
    // Rebalancing again (describeGroup lists no assignments then): the last stable owner is asked.
    ownership = { stable: false, endpoints: new Map() };
    assert.equal(source.ownerOf('balances', k0).endpoint, 'http://127.0.0.1:9');
  });
});

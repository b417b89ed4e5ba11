// `partitioning: repartition` in the topology and the topic plan: the projection reads its own
// source-repartition topic (created with the task count's partitions, co-partitioned with the
// rest), the source itself is read only by the re-keying sub-topology, and the pure engine gives
// the same tables as without it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Definition } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { encodeKey } from '../../../projections/keys.ts';
import { planTopics } from '../../../runtime/app/topic-plan.ts';
import { exampleDefinition } from './helpers.ts';

const plain = exampleDefinition();
const repartitioned: Definition = {
  ...plain,
  sources: { ...plain.sources, accounts: { ...plain.sources.accounts!, partitioning: 'repartition' } },
};

function tables(
  def: Definition,
  events: Array<Record<string, unknown>>,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const exec = new Executor(compileTopology(def), {
    json: true,
    collect: false,
    onOutput: (o) => {
      const t = (out[o.projection] ??= {});
      if (o.value === null) delete t[encodeKey(o.key)];
      else t[encodeKey(o.key)] = o.value;
    },
  });
  // Null message keys: the entity key is in the value.
  events.forEach((value, i) => exec.process({ topic: 'account-events', key: null, value, timestamp: i }));
  return out;
}

describe('a source with partitioning: repartition', () => {
  const topology = compileTopology(repartitioned);
  const topic = 'shop-balances-accounts-source-repartition';

  it('is read by a re-keying sub-topology; the projection reads the repartition topic', () => {
    const writer = topology.subTopologies.find((s) => s.id === 'balances-accounts-source-repartition')!;
    assert.deepEqual(writer.inputs, [{ topic: 'account-events', role: 'source', name: 'accounts' }]);
    assert.deepEqual(writer.sends, [topic]);
    const reader = topology.subTopologies.find((s) => s.id === 'balances')!;
    assert.deepEqual(reader.inputs, [{ topic, role: 'exchange', name: 'source-repartition' }]);
    assert.ok(topology.exchanges.some((x) => x.topic === topic && x.keyedBy === 'accountId'));
  });

  it('gets a repartition topic with the task count, co-partitioned with the rest', () => {
    const plan = planTopics(
      topology,
      new Map([
        ['account-events', 2],
        ['order-events', 6],
        ['customer-events', 6],
      ]),
    );
    const spec = plan.internal.find((t) => t.name === topic);
    assert.deepEqual(spec, { name: topic, kind: 'repartition', partitions: 6 });
    assert.ok(plan.inputs.includes(topic) && plan.inputs.includes('account-events'));
  });

  it('gives the same tables as a source keyed by its entity key', () => {
    const events = [
      { eventType: 'AccountCreated', accountId: 'a1', owner: 'Ann', eventId: 'e1' },
      { eventType: 'MoneyDeposited', accountId: 'a1', amount: 5, eventId: 'e2' },
      { eventType: 'MoneyDeposited', accountId: 'a2', amount: 7, eventId: 'e3' },
      { eventType: 'MoneyWithdrawn', accountId: 'a1', amount: 2, eventId: 'e4' },
    ];
    const got = tables(repartitioned, events);
    assert.deepEqual(got, tables(plain, events));
    assert.equal((got.balances!.a1 as { balance: number }).balance, 3);
  });
});

describe('a source with partitioning: messageKey', () => {
  const withKeys = (keyFormat: 'string' | 'json'): Definition => ({
    ...plain,
    sources: {
      ...plain.sources,
      accounts: { ...plain.sources.accounts!, partitioning: 'messageKey', keyFormat },
    },
  });

  it('is re-keyed through the repartition topic when its keys are JSON', () => {
    const topology = compileTopology(withKeys('json'));
    const reader = topology.subTopologies.find((s) => s.id === 'balances')!;
    assert.deepEqual(reader.inputs, [
      { topic: 'shop-balances-accounts-source-repartition', role: 'exchange', name: 'source-repartition' },
    ]);
  });

  it('is read in place when its keys are strings (their bytes are the canonical encoding)', () => {
    const topology = compileTopology(withKeys('string'));
    const reader = topology.subTopologies.find((s) => s.id === 'balances')!;
    assert.deepEqual(reader.inputs, [{ topic: 'account-events', role: 'source', name: 'accounts' }]);
    assert.ok(!topology.exchanges.some((x) => x.purpose === 'source-repartition'));
  });
});

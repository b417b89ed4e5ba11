// The topic plan of the example application: as many tasks as the widest source has partitions, every
// internal topic with that many (a key meets the same task everywhere), the inputs, co-partitioned groups.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { planTopics } from '../../../runtime/app/topic-plan.ts';
import { exampleDefinition } from './helpers.ts';

describe('planTopics', () => {
  const topology = compileTopology(exampleDefinition());
  const plan = planTopics(
    topology,
    new Map([
      ['account-events', 3],
      ['order-events', 6],
      ['customer-events', 2],
    ]),
  );

  it('has as many tasks as the widest source has partitions', () => {
    assert.equal(plan.taskCount, 6);
    assert.deepEqual(plan.sources, ['account-events', 'customer-events', 'order-events']);
  });

  it('gives every internal topic the task count and its kind', () => {
    const byName = new Map(plan.internal.map((t) => [t.name, t]));
    assert.equal(byName.get('shop-revenue_by_customer-repartition')?.kind, 'repartition');
    assert.equal(byName.get('shop-balances-agg-changelog')?.kind, 'changelog');
    assert.equal(byName.get('shop-balances')?.kind, 'output');
    assert.equal(byName.get('shop-orders_enriched-customer_profiles-fk-subscription')?.kind, 'repartition');
    assert.ok(plan.internal.every((t) => t.partitions === 6));
    assert.equal(new Set(plan.internal.map((t) => t.name)).size, plan.internal.length, 'no duplicates');
  });

  it('subscribes to sources, projection topics read by others and exchanges, never to outputs nobody reads', () => {
    assert.ok(plan.inputs.includes('order-events'));
    assert.ok(plan.inputs.includes('shop-order_summary'), 'read by revenue_by_customer and orders_enriched');
    assert.ok(plan.inputs.includes('shop-orders_enriched-customer_profiles-fk-response'));
    assert.ok(!plan.inputs.includes('shop-balances'));
  });

  it('lists the topics each sub-topology reads together as co-partitioned', () => {
    const fk = plan.coPartitioned.find((g) =>
      g.includes('shop-orders_enriched-customer_profiles-fk-response'),
    );
    assert.deepEqual(
      fk?.sort(),
      ['shop-order_summary', 'shop-orders_enriched-customer_profiles-fk-response'].sort(),
    );
    assert.ok(plan.coPartitioned.every((g) => g.length > 1));
  });
});

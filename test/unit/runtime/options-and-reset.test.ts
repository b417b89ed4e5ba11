// Where the brokers and the state directory come from (flag, environment, definition), and the plan of
// `streamfold reset`: a projection's own topics and stores go and its inputs rewind; a stream input that
// other projections read too is refused (they would count its events again).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { UserError } from '../../../runtime/app/errors.ts';
import { resolveBrokers, resolveStateDir } from '../../../runtime/app/options.ts';
import { resetPlan } from '../../../runtime/app/reset.ts';
import { exampleDefinition } from './helpers.ts';

describe('resolveBrokers / resolveStateDir', () => {
  const def = { ...exampleDefinition(), kafka: { brokers: 'cfg:1' }, state: { dir: 'cfg-state' } };
  it('prefers the flag, then the environment, then the definition', () => {
    assert.deepEqual(resolveBrokers(def, 'flag:1, flag:2', { KAFKA_BROKERS: 'env:1' }), ['flag:1', 'flag:2']);
    assert.deepEqual(resolveBrokers(def, undefined, { KAFKA_BROKERS: 'env:1' }), ['env:1']);
    assert.deepEqual(resolveBrokers(def, undefined, {}), ['cfg:1']);
    assert.equal(resolveStateDir(def, 'f', { STREAMFOLD_STATE_DIR: 'e' }), 'f');
    assert.equal(resolveStateDir(def, undefined, { STREAMFOLD_STATE_DIR: 'e' }), 'e');
    assert.equal(resolveStateDir(def, undefined, {}), 'cfg-state');
  });
  it('has no broker when none is configured (run then starts the local one), and .state by default', () => {
    const bare = { ...exampleDefinition(), kafka: { brokers: '' }, state: undefined };
    assert.equal(resolveBrokers(bare, undefined, {}), null);
    assert.equal(resolveStateDir(bare, undefined, {}), '.state');
  });
});

describe('resetPlan', () => {
  const topology = compileTopology(exampleDefinition());
  it("deletes a projection's own topics and stores and rewinds its inputs", () => {
    const plan = resetPlan(topology, 'balances');
    assert.ok(plan.deleteTopics.includes('shop-balances'));
    assert.ok(plan.deleteTopics.includes('shop-balances-agg-changelog'));
    assert.ok(!plan.deleteTopics.some((t) => t.startsWith('shop-order')));
    assert.ok(plan.clearStores.includes('shop-balances-agg'));
    assert.deepEqual(plan.rewind, ['account-events']);
    assert.equal(plan.deleteGroup, false);
  });
  it('allows a shared table input (re-reading a table is idempotent) and says who re-reads it', () => {
    const plan = resetPlan(topology, 'revenue_by_customer');
    assert.deepEqual(plan.rewind, ['shop-order_summary']);
    assert.ok(plan.deleteTopics.includes('shop-revenue_by_customer-repartition'));
    assert.match(plan.notes.join('\n'), /orders_enriched re-reads the table shop-order_summary/);
  });
  it('refuses a shared stream input', () => {
    const def = exampleDefinition();
    def.projections.deposits = { from: 'accounts', aggregate: { n: { count: '*' } } } as never;
    assert.throws(
      () => resetPlan(compileTopology(def), 'balances'),
      (e: unknown) => e instanceof UserError && /also reads; .*--all/.test(e.message),
    );
  });
  it('--all deletes every internal and output topic and the group', () => {
    const plan = resetPlan(topology, null);
    assert.equal(plan.deleteGroup, true);
    assert.ok(plan.deleteTopics.includes('shop-orders_enriched-customer_profiles-fk-response'));
    assert.ok(plan.deleteTopics.includes('shop-orders_enriched'));
    assert.ok(!plan.deleteTopics.includes('order-events'), 'never a source');
  });
  it('names the projections when the name is unknown', () => {
    assert.throws(() => resetPlan(topology, 'nope'), /no projection named nope \(projections: balances/);
  });
});

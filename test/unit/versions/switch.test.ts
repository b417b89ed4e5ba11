// Switching versions: auto switches a building version only once it has caught up, promote never revives a
// retired one, cleanup refuses the active, declared or read version; and `name@n` version references.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Definition } from '../../../projections/definition/schema.ts';
import {
  autoSwitches,
  cleanupRefusal,
  type DeploymentRecord,
  parseVersionRef,
  planDeployment,
  promote,
  queryTarget,
} from '../../../projections/versions/index.ts';

const sources = { accounts: { topic: 'account-events', key: 'accountId' } };
const def = (version: number, expr: string) =>
  Definition.parse({
    application: 'shop',
    sources,
    projections: { balances: { from: 'accounts', version, aggregate: { balance: { sum: expr } } } },
  });
function apply(state: DeploymentRecord[], writes: DeploymentRecord[]): DeploymentRecord[] {
  const m = new Map(state.map((r) => [r.id, r]));
  for (const w of writes) m.set(w.id, w);
  return [...m.values()];
}
const deployed = () => {
  const a = planDeployment(def(1, 'amount'), [], 1).writes;
  return apply(a, planDeployment(def(2, 'amount * 100'), a, 2).writes);
};

test('auto: the building version switches only once it has caught up', () => {
  const state = deployed();
  assert.deepEqual(
    autoSwitches(state, () => false, 5),
    [],
  );
  assert.equal(queryTarget(state, 'balances'), 'balances');
  const writes = autoSwitches(state, (id) => id === 'balances-v2', 5);
  assert.deepEqual(
    writes.map((r) => [r.id, r.state]),
    [
      ['balances-v2', 'active'],
      ['balances', 'retired'],
    ],
  );
  const after = apply(state, writes);
  assert.equal(queryTarget(after, 'balances'), 'balances-v2');
  assert.equal(queryTarget(after, 'balances', 1), 'balances');
  assert.equal(queryTarget(after, 'balances', 9), undefined);
  assert.deepEqual(
    autoSwitches(after, () => true, 6),
    [],
  );
});

test('promote: the newest building version, or a given one; never a retired one', () => {
  const state = deployed();
  assert.deepEqual(
    promote(state, 'balances', undefined, 5).map((r) => [r.id, r.state]),
    [
      ['balances-v2', 'active'],
      ['balances', 'retired'],
    ],
  );
  assert.deepEqual(promote(state, 'balances', 1, 5), [], 'promoting the active version changes nothing');
  const after = apply(state, promote(state, 'balances', 2, 5));
  assert.throws(() => promote(after, 'balances', 1, 6), /retired/);
  assert.throws(() => promote(after, 'nope', undefined, 6), /no deployed version/);
});

test('cleanup refuses the active version, the declared one, and versions others read', () => {
  const state = deployed();
  assert.match(cleanupRefusal(state, 'balances', 1, 2)!, /active/);
  assert.match(cleanupRefusal(state, 'balances', 2, 2)!, /declares/);
  const after = apply(state, promote(state, 'balances', 2, 5));
  assert.equal(cleanupRefusal(after, 'balances', 1, 2), undefined);
  const removed = apply(after, [{ ...after.find((r) => r.id === 'balances')!, state: 'removed' }]);
  assert.match(cleanupRefusal(removed, 'balances', 1, 2)!, /already removed/);
  // A projection no longer in the YAML may lose its active version.
  assert.equal(cleanupRefusal(state, 'balances', 1, undefined), undefined);
});

test('version references in queries', () => {
  assert.deepEqual(parseVersionRef('balances@2'), { projection: 'balances', version: 2 });
  assert.deepEqual(parseVersionRef('balances'), { projection: 'balances' });
  assert.deepEqual(parseVersionRef('balances@x'), { projection: 'balances@x' });
});

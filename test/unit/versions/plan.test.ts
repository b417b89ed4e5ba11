// Deployment plans: version 1 keeps its names and version n adds -v<n>, a bumped version builds beside
// the active one, changed logic under the same version or a return to an old version is refused, and a
// downstream projection reads the version its own YAML declares.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Definition, type DefinitionInput } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import {
  type DeploymentRecord,
  DeploymentError,
  planDeployment,
  versionId,
  versionResources,
} from '../../../projections/versions/index.ts';

const sources = { accounts: { topic: 'account-events', key: 'accountId', eventType: 'eventType' } };
const define = (projections: DefinitionInput['projections']) =>
  Definition.parse({ application: 'shop', sources, projections });
const v1 = define({ balances: { from: 'accounts', aggregate: { balance: { sum: 'amount' } } } });
const v2 = define({
  balances: { from: 'accounts', version: 2, aggregate: { balance: { sum: 'amount * 100' } } },
});

/** Applies a plan's writes like the compacted topic would. */
function record(state: DeploymentRecord[], writes: DeploymentRecord[]): DeploymentRecord[] {
  const m = new Map(state.map((r) => [r.id, r]));
  for (const w of writes) m.set(w.id, w);
  return [...m.values()];
}

test('version 1 keeps its names; version n adds -v<n> to every store and topic', () => {
  assert.equal(versionId('balances', 1), 'balances');
  assert.equal(versionId('balances', 3), 'balances-v3');
  const first = planDeployment(v1, [], 1);
  const second = planDeployment(v2, first.writes, 2);
  const topology = compileTopology(second.definition);
  assert.deepEqual(topology.projections.map((p) => [p.name, p.topic]).sort(), [
    ['balances', 'shop-balances'],
    ['balances-v2', 'shop-balances-v2'],
  ]);
  const stores = topology.subTopologies.flatMap((s) => s.stores.map((x) => x.name));
  assert.ok(stores.includes('shop-balances-agg') && stores.includes('shop-balances-v2-agg'), stores.join());
  assert.deepEqual(
    versionResources('shop', second.running, 'balances-v2').topics,
    [
      'shop-balances-v2',
      ...versionResources('shop', second.running, 'balances-v2').stores.map((s) => `${s}-changelog`),
    ].sort(),
  );
});

test('the first version is active at once; a bumped version builds beside the active one', () => {
  const first = planDeployment(v1, [], 1);
  assert.deepEqual(
    first.writes.map((r) => [r.id, r.state]),
    [['balances', 'active']],
  );
  const second = planDeployment(v2, first.writes, 2);
  assert.deepEqual(
    second.writes.map((r) => [r.id, r.state]),
    [['balances-v2', 'building']],
  );
  assert.deepEqual(second.running.map((r) => r.id).sort(), ['balances', 'balances-v2']);
  // The old logic comes from the record, not from the YAML (which no longer has it).
  const ex = new Executor(compileTopology(second.definition), { json: true });
  ex.process({
    topic: 'account-events',
    key: 'a',
    value: { eventType: 'D', accountId: 'a', amount: 2 },
    timestamp: 1,
  });
  assert.deepEqual(
    ex.outputsOf('balances').map((o) => o.value),
    [{ balance: 2 }],
  );
  assert.deepEqual(
    ex.outputsOf('balances-v2').map((o) => o.value),
    [{ balance: 200 }],
  );
  // Restarting with the same YAML writes nothing new.
  assert.deepEqual(planDeployment(v2, record(first.writes, second.writes), 3).writes, []);
});

test('changed logic under the same version is refused', () => {
  const first = planDeployment(v1, [], 1);
  const changed = define({ balances: { from: 'accounts', aggregate: { balance: { sum: 'amount * 2' } } } });
  assert.throws(() => planDeployment(changed, first.writes, 2), /logic of version 1 changed.*version: 2/);
  // A new description is not new logic.
  const described = define({
    balances: { from: 'accounts', description: 'x', aggregate: { balance: { sum: 'amount' } } },
  });
  assert.deepEqual(planDeployment(described, first.writes, 2).writes, []);
});

test('going back to an older or retired version is refused; a rollback is a new version', () => {
  const first = planDeployment(v1, [], 1);
  const second = planDeployment(v2, first.writes, 2);
  const switched = record(record(first.writes, second.writes), [
    { ...second.writes[0]!, state: 'active' },
    { ...first.writes[0]!, state: 'retired' },
  ]);
  assert.throws(() => planDeployment(v1, switched, 3), DeploymentError);
  const v3 = define({
    balances: { from: 'accounts', version: 3, aggregate: { balance: { sum: 'amount' } } },
  });
  const third = planDeployment(v3, switched, 3);
  assert.deepEqual(
    third.writes.map((r) => [r.id, r.state]),
    [['balances-v3', 'building']],
  );
  // The retired v1 no longer runs.
  assert.deepEqual(third.running.map((r) => r.id).sort(), ['balances-v2', 'balances-v3']);
});

test('a building version the YAML dropped is abandoned (retired)', () => {
  const first = planDeployment(v1, [], 1);
  const second = planDeployment(v2, first.writes, 2);
  const v3 = define({
    balances: { from: 'accounts', version: 3, aggregate: { balance: { sum: 'amount' } } },
  });
  const third = planDeployment(v3, record(first.writes, second.writes), 3);
  assert.deepEqual(third.writes.map((r) => [r.id, r.state]).sort(), [
    ['balances-v2', 'retired'],
    ['balances-v3', 'building'],
  ]);
  assert.deepEqual(third.running.map((r) => r.id).sort(), ['balances', 'balances-v3']);
});

test('a downstream projection reads the version its own YAML declares; an old downstream keeps its input', () => {
  const chain = (summaryVersion: number, totalVersion: number, factor: string) =>
    define({
      summary: {
        from: 'accounts',
        version: summaryVersion,
        aggregate: { balance: { sum: `amount${factor}` } },
      },
      total: {
        from: 'summary',
        version: totalVersion,
        groupBy: '"all"',
        aggregate: { sum: { sum: 'balance' } },
      },
    });
  const first = planDeployment(chain(1, 1, ''), [], 1);
  // Bumping only the upstream changes what the downstream reads: that is new downstream logic.
  assert.throws(
    () => planDeployment(chain(2, 1, ' * 100'), first.writes, 2),
    /total: the logic of version 1 changed/,
  );
  const second = planDeployment(chain(2, 2, ' * 100'), first.writes, 2);
  const total2 = second.running.find((r) => r.id === 'total-v2')!;
  assert.equal(total2.definition.from, 'summary-v2');
  assert.equal(second.running.find((r) => r.id === 'total')!.definition.from, 'summary');
  // summary v2 switched, total v2 still building: total v1 still reads summary v1, which keeps running.
  const state = record(record(first.writes, second.writes), [
    { ...second.writes.find((r) => r.id === 'summary-v2')!, state: 'active' },
    { ...first.writes.find((r) => r.id === 'summary')!, state: 'retired' },
  ]);
  const third = planDeployment(chain(2, 2, ' * 100'), state, 3);
  assert.deepEqual(third.running.map((r) => r.id).sort(), ['summary', 'summary-v2', 'total', 'total-v2']);
});

test('an explicit output topic gets the version suffix too', () => {
  const def = define({
    balances: {
      from: 'accounts',
      version: 2,
      output: { topic: 'balances-out' },
      aggregate: { n: { count: '*' } },
    },
  });
  const plan = planDeployment(def, [], 1);
  assert.deepEqual(
    compileTopology(plan.definition).projections.map((p) => p.topic),
    ['balances-out-v2'],
  );
});

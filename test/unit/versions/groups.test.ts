// Splitting running versions into consumer groups: a new version runs in a group of its own (its own
// offsets to replay from) and reads projections of other groups through their records topics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Definition, type DefinitionInput } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { planDeployment, splitGroups } from '../../../projections/versions/index.ts';

const sources = { accounts: { topic: 'account-events', key: 'accountId' } };
const define = (projections: DefinitionInput['projections']) =>
  Definition.parse({ application: 'shop', sources, projections });

test('a new version runs in a group of its own; other groups are read through their records topics', () => {
  const one = define({
    balances: { from: 'accounts', aggregate: { balance: { sum: 'amount' } } },
    rich: { from: 'balances', where: 'balance > 100' },
  });
  const first = planDeployment(one, [], 1);
  assert.deepEqual(
    first.writes.map((r) => r.group),
    ['shop', 'shop'],
  );
  const two = define({
    balances: { from: 'accounts', version: 2, aggregate: { balance: { sum: 'amount * 100' } } },
    rich: { from: 'balances', version: 2, where: 'balance > 100' },
    total: { from: 'rich', output: false, groupBy: '"all"', aggregate: { n: { count: '*' } } },
  });
  // `total` is new: it joins the application's group like any projection added to the YAML.
  const second = planDeployment(two, first.writes, 2);
  assert.deepEqual(
    second.writes.map((r) => [r.id, r.state, r.group]),
    [
      ['balances-v2', 'building', 'shop-balances-v2'],
      ['rich-v2', 'building', 'shop-rich-v2'],
      ['total', 'active', 'shop'],
    ],
  );
  const groups = splitGroups(second.definition, second.running);
  assert.deepEqual(
    groups.map((g) => [g.group, g.ids.sort()]),
    [
      ['shop', ['balances', 'rich', 'total']],
      ['shop-balances-v2', ['balances-v2']],
      ['shop-rich-v2', ['rich-v2']],
    ],
  );
  // rich-v2 reads balances-v2 from the other group's output topic, as a table.
  const rich = groups[2]!.definition;
  assert.deepEqual(Object.keys(rich.sources).sort(), ['balances-v2']);
  assert.equal(rich.sources['balances-v2']!.topic, 'shop-balances-v2');
  assert.equal(rich.sources['balances-v2']!.kind, 'table');
  // shop's total reads rich-v2 (another group), so shop reads it as a source too; every group compiles.
  assert.equal(groups[0]!.definition.sources['rich-v2']!.topic, 'shop-rich-v2');
  for (const g of groups) assert.ok(compileTopology(g.definition).projections.length > 0);
});

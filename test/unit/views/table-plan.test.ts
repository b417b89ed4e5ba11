// The mapping of a projection onto a PostgreSQL table (projections/views/table-plan.ts) and the
// validation of `views` (projections/definition/checks/views.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Catalog } from '../../../projections/definition/catalog.ts';
import { buildModel } from '../../../projections/definition/model.ts';
import { checkDefinition } from '../../../projections/definition/validate.ts';
import type { Definition } from '../../../projections/definition/schema.ts';
import { planTable } from '../../../projections/views/table-plan.ts';

const base = {
  application: 'shop',
  postgres: { main: { url: 'postgres://u@127.0.0.1:5432/db' } },
  sources: {
    accounts: {
      topic: 'a',
      key: 'accountId',
      eventType: 'eventType',
      fields: { accountId: 'string', eventType: 'string', amount: 'number', owner: 'string' },
    },
    orders: { topic: 'o', key: 'orderId', eventType: 'eventType' },
  },
  projections: {
    balances: {
      from: 'accounts',
      aggregate: { balance: { sum: 'amount' }, deposits: { count: '*' }, owner: { latest: 'owner' } },
      views: { postgres: { connection: 'main' } },
    },
    byRegion: {
      from: 'orders',
      groupBy: { country: 'country', region: 'region' },
      aggregate: { orderCount: { count: '*' }, items: { collect_list: 'sku' } },
      views: { postgres: { url: 'postgres://u@h/db', columns: { items: { name: 'skus' } } } },
    },
  },
};

function plan(raw: object, name: string) {
  const checked = checkDefinition(raw);
  assert.deepEqual(checked.problems, []);
  const d = checked.definition as Definition;
  return planTable(d, new Catalog(buildModel(d)), name).plan!;
}

test('types come from declared and inferred field types; the key column is named after its field', () => {
  const p = plan(base, 'balances');
  assert.equal(p.table, 'balances');
  assert.deepEqual(
    p.columns.map((c) => [c.name, c.type]),
    [
      ['account_id', 'text'],
      ['balance', 'double precision'],
      ['deposits', 'bigint'],
      ['owner', 'text'],
    ],
  );
  assert.deepEqual(p.primaryKey, ['account_id']);
});

test('a composite key becomes a composite primary key; unknown types are jsonb; names are snake_case', () => {
  const p = plan(base, 'byRegion');
  assert.equal(p.table, 'by_region');
  assert.deepEqual(
    p.columns.map((c) => [c.name, c.type]),
    [
      ['country', 'text'],
      ['region', 'text'],
      ['order_count', 'bigint'],
      ['skus', 'jsonb'],
    ],
  );
  assert.deepEqual(p.primaryKey, ['country', 'region']);
});

test('validation: unknown connection, unknown column field, url and connection together', () => {
  const raw = structuredClone(base) as Record<string, any>;
  raw.projections.balances.views.postgres = { connection: 'mian', columns: { nope: 'text' } };
  raw.projections.byRegion.views.postgres.connection = 'main';
  const messages = checkDefinition(raw).problems.map((p) => p.message);
  assert.ok(
    messages.some((m) => m.includes('unknown postgres connection "mian"; connections: main')),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => m.includes('balances has no field "nope"')),
    messages.join('\n'),
  );
  assert.ok(
    messages.some((m) => m.includes('give either url or connection')),
    messages.join('\n'),
  );
});

// The sample generator: same seed, same events; events only refer to entities that exist; and the
// example projections computed from its stream equal an independent replay of the same history.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { encodeKey } from '../../../projections/keys.ts';
import { finalTable } from '../../../projections/testing/index.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import {
  DEFAULT_TOPICS,
  type GeneratedEvent,
  generateEvents,
  resolveShopTopics,
} from '../../../runtime/generator/index.ts';

const ALL_TYPES = [
  'AccountCreated',
  'MoneyDeposited',
  'MoneyWithdrawn',
  'AccountClosed',
  'CustomerRegistered',
  'CustomerRenamed',
  'CustomerTierChanged',
  'CustomerDeleted',
  'OrderPlaced',
  'ItemAdded',
  'ItemRemoved',
  'OrderReassigned',
  'OrderCancelled',
];

interface Item {
  sku: string;
  price: number;
}

/** An independent replay of the shop's history that fails on any event referring to a dead entity. */
class Replay {
  readonly accounts = new Map<string, { balance: number; deposits: number; owner: string }>();
  readonly closedAccounts = new Set<string>();
  readonly customers = new Map<string, { name: string; tier: string }>();
  readonly deletedCustomers = new Set<string>();
  readonly orders = new Map<string, { customerId: string; items: Item[] }>();
  readonly cancelledOrders = new Set<string>();
  /** Customers that ever had an order: revenue_by_customer emitted a row for them. */
  readonly everOrdered = new Set<string>();

  apply(e: GeneratedEvent, where: string): void {
    const v = e.value as Record<string, unknown> & { eventType: string };
    switch (e.topic) {
      case DEFAULT_TOPICS.accounts: {
        assert.equal(v.accountId, e.key, `${where}: key is the account id`);
        const account = this.accounts.get(e.key);
        if (v.eventType === 'AccountCreated') {
          assert.ok(!account && !this.closedAccounts.has(e.key), `${where}: account created once`);
          assert.equal(typeof v.owner, 'string');
          this.accounts.set(e.key, { balance: 0, deposits: 0, owner: v.owner as string });
          return;
        }
        assert.ok(account, `${where}: ${v.eventType} on an account that is not open`);
        if (v.eventType === 'MoneyDeposited') {
          assert.ok((v.amount as number) > 0, `${where}: deposits are positive`);
          account.balance += v.amount as number;
          account.deposits++;
        } else if (v.eventType === 'MoneyWithdrawn') {
          assert.ok((v.amount as number) > 0, `${where}: withdrawals are positive`);
          assert.ok((v.amount as number) <= account.balance, `${where}: no overdraft`);
          account.balance -= v.amount as number;
        } else if (v.eventType === 'AccountClosed') {
          this.accounts.delete(e.key);
          this.closedAccounts.add(e.key);
        } else assert.fail(`${where}: unknown account event ${v.eventType}`);
        return;
      }
      case DEFAULT_TOPICS.customers: {
        assert.equal(v.customerId, e.key, `${where}: key is the customer id`);
        const customer = this.customers.get(e.key);
        if (v.eventType === 'CustomerRegistered') {
          assert.ok(!customer && !this.deletedCustomers.has(e.key), `${where}: customer registered once`);
          this.customers.set(e.key, { name: v.name as string, tier: v.tier as string });
          return;
        }
        assert.ok(customer, `${where}: ${v.eventType} on a customer that does not exist`);
        if (v.eventType === 'CustomerRenamed') customer.name = v.name as string;
        else if (v.eventType === 'CustomerTierChanged') customer.tier = v.tier as string;
        else if (v.eventType === 'CustomerDeleted') {
          this.customers.delete(e.key);
          this.deletedCustomers.add(e.key);
        } else assert.fail(`${where}: unknown customer event ${v.eventType}`);
        return;
      }
      case DEFAULT_TOPICS.orders: {
        assert.equal(v.orderId, e.key, `${where}: key is the order id`);
        const order = this.orders.get(e.key);
        if (v.eventType === 'OrderPlaced') {
          assert.ok(!order && !this.cancelledOrders.has(e.key), `${where}: order placed once`);
          assert.ok(this.customers.has(v.customerId as string), `${where}: order for an existing customer`);
          const items = v.items as Item[];
          assert.ok(items.length > 0, `${where}: an order has items`);
          this.orders.set(e.key, { customerId: v.customerId as string, items: items.map((i) => ({ ...i })) });
          this.everOrdered.add(v.customerId as string);
          return;
        }
        assert.ok(order, `${where}: ${v.eventType} on an order that is not open`);
        if (v.eventType === 'ItemAdded') order.items.push({ sku: v.sku as string, price: v.price as number });
        else if (v.eventType === 'ItemRemoved') {
          const i = order.items.findIndex((x) => x.sku === v.sku && x.price === v.price);
          assert.ok(i >= 0, `${where}: removed item is in the order`);
          order.items.splice(i, 1);
        } else if (v.eventType === 'OrderReassigned') {
          assert.notEqual(v.customerId, order.customerId, `${where}: reassigned to another customer`);
          assert.ok(
            this.customers.has(v.customerId as string),
            `${where}: reassigned to an existing customer`,
          );
          order.customerId = v.customerId as string;
          this.everOrdered.add(order.customerId);
        } else if (v.eventType === 'OrderCancelled') {
          this.orders.delete(e.key);
          this.cancelledOrders.add(e.key);
        } else assert.fail(`${where}: unknown order event ${v.eventType}`);
        return;
      }
      default:
        assert.fail(`${where}: unexpected topic ${e.topic}`);
    }
  }
}

function replay(events: GeneratedEvent[]): Replay {
  const r = new Replay();
  events.forEach((e, i) => r.apply(e, `event ${i} (${e.value.eventType} ${e.key})`));
  return r;
}

void describe('generateEvents', () => {
  void test('the same seed gives the same events; another seed gives others', () => {
    const a = generateEvents(7, 1500);
    assert.deepEqual(generateEvents(7, 1500), a);
    assert.deepEqual(generateEvents('7', 1500), a, 'a numeric seed and its text are the same seed');
    assert.deepEqual(generateEvents(7, 100), a.slice(0, 100), 'a shorter run is a prefix');
    const b = generateEvents(8, 1500);
    assert.notDeepEqual(
      b.map((e) => e.value),
      a.map((e) => e.value),
    );
    const keys = (seed: string | number) => new Set(generateEvents(seed, 300).map((e) => e.key));
    const disjoint = (x: string | number, y: string | number) => {
      const kx = keys(x);
      return ![...keys(y)].some((k) => kx.has(k));
    };
    assert.ok(disjoint(7, 8), 'two seeds do not share an entity id');
    assert.ok(disjoint('a-b', 'ab'), 'not even when they differ only in punctuation');
    assert.ok(disjoint('a-long-seed-text-1', 'a-long-seed-text-2'), 'or only after a long common prefix');
    assert.match(generateEvents('some seed!', 1)[0]?.key ?? '', /^[ac]-somesex[0-9a-z]+-1$/);
  });

  void test('every record has the shape the example sources read', () => {
    const events = generateEvents('shape', 3000, { startTime: 5_000 });
    assert.equal(events[0]?.timestamp, 5_000);
    const eventIds = new Set<string>();
    let last = 0;
    for (const e of events) {
      assert.equal(e.value.timestamp, e.timestamp, 'the time field is the record timestamp');
      assert.ok(e.timestamp > last, 'timestamps increase');
      last = e.timestamp;
      assert.equal(typeof e.value.eventId, 'string');
      assert.ok(!eventIds.has(e.value.eventId), `event id ${e.value.eventId} is unique`);
      eventIds.add(e.value.eventId);
      assert.deepEqual(Object.keys(e.value).slice(0, 3), ['eventType', 'eventId', 'timestamp']);
      assert.deepEqual(JSON.parse(JSON.stringify(e.value)), e.value, 'plain JSON');
    }
    const types = new Set(events.map((e) => e.value.eventType));
    assert.deepEqual([...types].sort(), [...ALL_TYPES].sort(), 'every event type occurs');
  });

  void test('events only refer to entities that exist at that moment', () => {
    for (const seed of [1, 2, 'x']) replay(generateEvents(seed, 4000));
  });

  void test('a start with no entities begins by creating them', () => {
    const [first] = generateEvents(3, 1);
    assert.ok(first && ['CustomerRegistered', 'AccountCreated'].includes(first.value.eventType));
  });

  void test('the population stays near its target instead of growing without bound', () => {
    const r = replay(generateEvents('pop', 6000, { population: 20 }));
    for (const [what, n] of [
      ['customers', r.customers.size],
      ['accounts', r.accounts.size],
      ['orders', r.orders.size],
    ] as const) {
      assert.ok(n > 0 && n <= 40, `${what}: ${n} live, target 20`);
    }
    assert.ok(r.closedAccounts.size > 0 && r.cancelledOrders.size > 0 && r.deletedCustomers.size > 0);
  });

  void test('topics can be renamed', () => {
    const topics = { accounts: 'acc', orders: 'ord', customers: 'cus' };
    const events = generateEvents(5, 500, { topics });
    assert.deepEqual([...new Set(events.map((e) => e.topic))].sort(), ['acc', 'cus', 'ord']);
  });
});

void describe('the example projections over a generated stream', () => {
  void test('equal an independent replay of the same history', () => {
    const definition = parseConfig(readFileSync('projections.yaml', 'utf8'), 'projections.yaml', {});
    const executor = new Executor(compileTopology(definition), { json: true });
    const events = generateEvents(2026, 3000, { population: 30 });
    for (const e of events)
      executor.process({ topic: e.topic, key: e.key, value: e.value, timestamp: e.timestamp });
    const r = replay(events);
    const table = (name: string) => finalTable(executor.outputsOf(name));

    const balances = table('balances');
    for (const [id, a] of r.accounts) assert.deepEqual(balances.get(encodeKey(id)), a, `balance of ${id}`);
    for (const id of r.closedAccounts) assert.equal(balances.get(encodeKey(id)), null, `${id} closed`);

    const totals = new Map([...r.orders].map(([id, o]) => [id, o.items.reduce((s, i) => s + i.price, 0)]));
    const summary = table('order_summary');
    for (const [id, o] of r.orders)
      assert.deepEqual(summary.get(encodeKey(id)), { customerId: o.customerId, total: totals.get(id) }, id);
    for (const id of r.cancelledOrders) assert.equal(summary.get(encodeKey(id)), null, `${id} cancelled`);

    const profiles = table('customer_profiles');
    for (const [id, c] of r.customers) assert.deepEqual(profiles.get(encodeKey(id)), c, id);
    for (const id of r.deletedCustomers) assert.equal(profiles.get(encodeKey(id)), null, `${id} deleted`);

    const revenue = new Map<string, { revenue: number; orders: number }>();
    for (const [id, o] of r.orders) {
      const row = revenue.get(o.customerId) ?? { revenue: 0, orders: 0 };
      row.revenue += totals.get(id) as number;
      row.orders++;
      revenue.set(o.customerId, row);
    }
    const byCustomer = table('revenue_by_customer');
    for (const id of r.everOrdered)
      assert.deepEqual(byCustomer.get(encodeKey(id)), revenue.get(id) ?? null, `revenue of ${id}`);
    assert.ok(revenue.size > 5, 'customers with orders');

    const enriched = table('orders_enriched');
    for (const [id, o] of r.orders) {
      const want = {
        customerId: o.customerId,
        total: totals.get(id),
        customer: r.customers.get(o.customerId)?.name ?? null,
      };
      assert.deepEqual(enriched.get(encodeKey(id)), want, `enriched ${id}`);
    }
    assert.ok(
      [...r.orders.values()].some((o) => !r.customers.has(o.customerId)),
      'some order outlived its customer (the left join keeps it)',
    );
  });
});

void describe('resolveShopTopics', () => {
  void test('finds the sources by the entity key field, else keeps the defaults', () => {
    const definition = parseConfig(readFileSync('projections.yaml', 'utf8'), 'projections.yaml', {});
    assert.deepEqual(resolveShopTopics(definition), DEFAULT_TOPICS);
    assert.deepEqual(resolveShopTopics(undefined), DEFAULT_TOPICS);
    const accounts = definition.sources.accounts;
    const orders = definition.sources.orders;
    assert.ok(accounts && orders);
    const renamed = { sources: { ...definition.sources, accounts: { ...accounts, topic: 'bank.accounts' } } };
    assert.equal(resolveShopTopics(renamed).accounts, 'bank.accounts');
    const avro = { sources: { orders: { ...orders, format: 'avro' as const } } };
    assert.throws(() => resolveShopTopics(avro), /writes JSON events/);
  });
});

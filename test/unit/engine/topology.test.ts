// The compiler: sub-topology splits at exchange points, stable names, describe output, errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { describeTopology } from '../../../projections/graph/describe.ts';
import { TopologyError } from '../../../projections/operators/types.ts';
import { define, type Def } from './helpers.ts';

const shop: Def = {
  application: 'shop',
  sources: {
    orders: { topic: 'order-events', key: 'orderId', eventType: 'eventType' },
    customers: { topic: 'customer-events', kind: 'table' },
  },
  projections: {
    order_summary: {
      from: 'orders',
      aggregate: { customerId: { latest: 'customerId' }, total: { sum: 'amount' } },
    },
    revenue: {
      from: 'order_summary',
      groupBy: 'customerId',
      aggregate: { revenue: { sum: 'total' } },
      output: { topic: 'revenue-out' },
    },
    enriched: {
      from: 'order_summary',
      join: { table: 'customers', on: 'customerId', type: 'left' },
      output: false,
    },
    hidden: { from: 'orders', where: 'amount > 0', output: false },
    feeds: { from: 'enriched', aggregate: { n: { count: '*' } } },
  },
};

void describe('topology compiler', () => {
  const t = compileTopology(define(shop));

  void it('aggregating by the input key needs no repartition', () => {
    const s = t.subTopologies.find((x) => x.id === 'order_summary')!;
    assert.deepEqual(s.inputs, [{ topic: 'order-events', role: 'source', name: 'orders' }]);
    assert.deepEqual(
      s.stores.map((x) => x.name),
      ['shop-order_summary-agg'],
    );
    assert.equal(s.emits, true);
  });

  void it('groupBy on a value splits at a repartition topic; a projection reads another one through its topic', () => {
    const ids = t.subTopologies.filter((x) => x.projection === 'revenue').map((x) => x.id);
    assert.deepEqual(ids, ['revenue', 'revenue-aggregate']);
    const first = t.subTopologies.find((x) => x.id === 'revenue')!;
    assert.deepEqual(first.inputs, [
      { topic: 'shop-order_summary', role: 'projection', name: 'order_summary' },
    ]);
    assert.deepEqual(
      first.stores.map((x) => x.name),
      ['shop-revenue-input'],
    );
    assert.deepEqual(first.sends, ['shop-revenue-repartition']);
    assert.equal(first.emits, false);
    const agg = t.subTopologies.find((x) => x.id === 'revenue-aggregate')!;
    assert.deepEqual(
      agg.inputs.map((i) => i.topic),
      ['shop-revenue-repartition'],
    );
    assert.deepEqual(
      agg.stores.map((x) => x.name),
      ['shop-revenue-agg'],
    );
  });

  void it('names topics from the application and projection names', () => {
    assert.deepEqual(
      t.projections.map((p) => [p.name, p.kind, p.topic, p.internalTopic]),
      [
        ['order_summary', 'table', 'shop-order_summary', false],
        ['revenue', 'table', 'revenue-out', false],
        ['enriched', 'table', 'shop-enriched-internal', true],
        ['hidden', 'stream', null, false],
        ['feeds', 'table', 'shop-feeds', false],
      ],
    );
    const all = t.subTopologies.flatMap((s) => s.stores.map((x) => x.name));
    assert.equal(new Set(all).size, all.length, 'store names are unique');
    // Final rows: table projections only, in the sub-topology that emits them; an aggregate's
    // rows derive from its group states, other tables keep a rows store.
    assert.deepEqual(
      t.projections.map((p) => [p.name, p.rows?.store ?? null, p.rows?.derived ?? null]),
      [
        ['order_summary', 'shop-order_summary-agg', true],
        ['revenue', 'shop-revenue-agg', true],
        ['enriched', 'shop-enriched-rows', false],
        ['hidden', null, null],
        ['feeds', 'shop-feeds-agg', true],
      ],
    );
    assert.ok(!all.some((name) => /-(order_summary|revenue|feeds)-rows$/.test(name)));
    for (const p of t.projections.filter((x) => x.rows)) {
      const owner = t.subTopologies.filter((s) => s.stores.some((st) => st.name === p.rows!.store));
      assert.deepEqual(
        owner.map((s) => [s.projection, s.emits]),
        [[p.name, true]],
      );
    }
  });

  void it('names never depend on positions: reordering projections changes no name', () => {
    const reversed = { ...shop, projections: Object.fromEntries(Object.entries(shop.projections).reverse()) };
    const r = compileTopology(define(reversed));
    const namesOf = (x: typeof t) =>
      x.subTopologies
        .flatMap((s) => [s.id, ...s.stores.map((st) => st.name), ...s.inputs.map((i) => i.topic), ...s.sends])
        .sort();
    assert.deepEqual(namesOf(r), namesOf(t));
  });

  void it('describeTopology lists sources, operators, stores and topics', () => {
    const text = describeTopology(t, new Map([['order-events', 3]]));
    for (const needle of [
      'orders: stream ← order-events [3 partitions]',
      'sub-topology revenue-aggregate (projection revenue)',
      'store  shop-revenue-agg (changelog shop-revenue-agg-changelog)',
      'shop-enriched-customers-fk-subscription: fk-subscription, keyed by the foreign key customerId',
      'writes shop-revenue-repartition',
      '→ stream aggregate customerId=latest, total=sum → store shop-order_summary-agg',
    ]) {
      assert.ok(text.includes(needle), `missing: ${needle}\n${text}`);
    }
  });

  void it('rejects what cannot be compiled, with the place', () => {
    const bad = (projections: Def['projections'], re: RegExp) =>
      assert.throws(
        () =>
          compileTopology(
            define({ sources: { s: { topic: 's' }, t: { topic: 't', kind: 'table' } }, projections }),
          ),
        (e: unknown) => e instanceof TopologyError && re.test(e.message),
      );
    bad({ p: { from: 'nope', aggregate: { n: { count: '*' } } } }, /unknown source or projection 'nope'/);
    bad({ p: { from: 't', join: { table: 's' } } }, /'s' is a stream/);
    bad({ p: { from: 's', join: { table: 't', type: 'outer' } } }, /inner or left, not outer/);
    bad(
      { p: { from: 't', join: { table: 't', on: 'x', type: 'outer' } } },
      /foreign-key join is inner or left/,
    );
    bad(
      {
        a: { from: 'b', aggregate: { n: { count: '*' } } },
        b: { from: 'a', aggregate: { n: { count: '*' } } },
      },
      /cycle: a → b → a/,
    );
    bad({ p: { from: 's', having: 'x > 1' } }, /having needs an aggregate/);
    bad(
      { p: { from: 't', aggregate: { n: { count: '*' } }, deleteOn: ['X'] } },
      /deleteOn\/deleteWhen apply to events/,
    );
    bad(
      { p: { from: 's', groupBy: ['a + 1'], aggregate: { n: { count: '*' } } } },
      /not a field path; use the map form/,
    );
  });
});

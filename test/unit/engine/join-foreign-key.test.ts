// Foreign-key joins: fan-out on right changes, FK change, tombstones on each side, and the
// subscription/response protocol when exchange records are delayed as they are on Kafka.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileTopology } from '../../../projections/graph/compile.ts';
import type { SubTopology } from '../../../projections/graph/topology.ts';
import type { InputRecord, OutputRecord } from '../../../projections/records.ts';
import { MemoryStoreProvider } from '../../../projections/store.ts';
import { changes, define, type Def, rec, run, table } from './helpers.ts';

const def = (type: 'inner' | 'left'): Def => ({
  sources: { orders: { topic: 'o', kind: 'table' }, customers: { topic: 'c', kind: 'table' } },
  projections: {
    enriched: {
      from: 'orders',
      join: { table: 'customers', on: 'customerId', type },
      select: { total: 'total', name: 'customers.name' },
    },
  },
});

void describe('foreign-key join', () => {
  const inputs = [
    rec('c', 'c1', { name: 'ann' }, 1),
    rec('o', 'o1', { customerId: 'c1', total: 10 }, 2),
    rec('o', 'o2', { customerId: 'c9', total: 20 }, 3), // dangling FK
    rec('o', 'o3', { customerId: 'c1', total: 30 }, 4),
    rec('c', 'c1', { name: 'anne' }, 5), // fan-out to o1 and o3
    rec('o', 'o1', { customerId: 'c9', total: 10 }, 6), // FK change to a missing row
    rec('c', 'c9', { name: 'zed' }, 7), // fan-out to o2 and o1
    rec('c', 'c1', null, 8), // right delete: o3
    rec('o', 'o3', null, 9), // left delete
  ];

  void it('inner: fan-out, FK change, right delete tombstones, left delete always tombstones', () => {
    const ex = run(def('inner'), inputs);
    assert.deepEqual(
      ex.outputsOf('enriched').map((o) => [o.key, o.value, o.timestamp]),
      [
        ['o1', { total: 10, name: 'ann' }, 2],
        ['o3', { total: 30, name: 'ann' }, 4],
        ['o1', { total: 10, name: 'anne' }, 5],
        ['o3', { total: 30, name: 'anne' }, 5],
        ['o1', null, 6],
        ['o2', { total: 20, name: 'zed' }, 7],
        ['o1', { total: 10, name: 'zed' }, 7],
        ['o3', null, 8],
        ['o3', null, 9],
      ],
    );
  });

  void it('left: dangling and deleted right rows give nulls instead of deletes', () => {
    const ex = run(def('left'), inputs);
    assert.deepEqual(changes(ex, 'enriched'), [
      ['o1', { total: 10, name: 'ann' }],
      ['o2', { total: 20, name: null }],
      ['o3', { total: 30, name: 'ann' }],
      ['o1', { total: 10, name: 'anne' }],
      ['o3', { total: 30, name: 'anne' }],
      ['o1', { total: 10, name: null }],
      ['o2', { total: 20, name: 'zed' }],
      ['o1', { total: 10, name: 'zed' }],
      ['o3', { total: 30, name: null }],
      ['o3', null],
    ]);
  });

  void it('a null foreign key joins nothing (left: nulls right away)', () => {
    const ex = run(def('left'), [
      rec('c', 'c1', { name: 'ann' }),
      rec('o', 'o1', { total: 1 }),
      rec('o', 'o1', { customerId: 'c1', total: 1 }),
      rec('o', 'o1', { total: 2 }),
    ]);
    assert.deepEqual(changes(ex, 'enriched'), [
      ['o1', { total: 1, name: null }],
      ['o1', { total: 1, name: 'ann' }],
      ['o1', { total: 2, name: null }],
    ]);
    const inner = run(def('inner'), [
      rec('c', 'c1', { name: 'ann' }),
      rec('o', 'o1', { customerId: 'c1', total: 1 }),
      rec('o', 'o1', { total: 2 }),
    ]);
    assert.deepEqual(changes(inner, 'enriched'), [
      ['o1', { total: 1, name: 'ann' }],
      ['o1', null],
    ]);
  });

  void it('splits into a left and a right sub-topology joined by two exchange topics', () => {
    const t = compileTopology(define(def('left')));
    assert.deepEqual(
      t.subTopologies.map((s) => [s.id, s.inputs.map((i) => i.topic)]),
      [
        ['enriched', ['o', 'app-enriched-customers-fk-response']],
        ['enriched-customers-fk', ['c', 'app-enriched-customers-fk-subscription']],
      ],
    );
    assert.deepEqual(
      t.exchanges.map((x) => [x.topic, x.from, x.to]),
      [
        ['app-enriched-customers-fk-subscription', 'enriched', 'enriched-customers-fk'],
        ['app-enriched-customers-fk-response', 'enriched-customers-fk', 'enriched'],
      ],
    );
  });
});

/**
 * Runs sub-topologies like the runtime does: exchange records are queued (they travel through
 * Kafka) and delivered later, in FIFO order, rather than depth-first.
 */
class QueuedDriver {
  readonly outputs: OutputRecord[] = [];
  private readonly queue: InputRecord[] = [];
  private readonly stores = new MemoryStoreProvider();
  private readonly routes = new Map<string, SubTopology[]>();
  constructor(d: Def) {
    for (const s of compileTopology(define(d)).subTopologies) {
      for (const i of s.inputs) this.routes.set(i.topic, [...(this.routes.get(i.topic) ?? []), s]);
    }
  }
  private deliver(r: InputRecord): void {
    for (const s of this.routes.get(r.topic) ?? []) {
      s.process(r, {
        stores: this.stores,
        emit: (o) => this.outputs.push(o),
        send: (topic, key, value) =>
          this.queue.push({
            topic,
            key,
            value: JSON.parse(JSON.stringify(value)),
            partition: 0,
            offset: 0,
            timestamp: (value as { t: number }).t,
          }),
      });
    }
  }
  input(topic: string, key: unknown, value: unknown, timestamp = 0): void {
    this.deliver({ topic, key, value, partition: 0, offset: 0, timestamp });
  }
  drain(): void {
    while (this.queue.length > 0) this.deliver(this.queue.shift()!);
  }
  /** A store's rows, as the operators left them. */
  storeRows(name: string): Array<[string, unknown]> {
    return [...(this.stores.stores.get(name)?.entries() ?? [])];
  }
  table(projection: string): Record<string, unknown> {
    const t: Record<string, unknown> = {};
    for (const o of this.outputs.filter((x) => x.projection === projection)) {
      if (o.value === null) delete t[String(o.key)];
      else t[String(o.key)] = o.value;
    }
    return t;
  }
}

void describe('foreign-key join with delayed exchanges', () => {
  void it('drops responses for a left row version that has since changed', () => {
    const d = new QueuedDriver(def('inner'));
    d.input('c', 'c1', { name: 'ann' });
    d.input('c', 'c2', { name: 'bob' });
    d.input('o', 'o1', { customerId: 'c1', total: 1 });
    d.input('o', 'o1', { customerId: 'c2', total: 1 }); // re-pointed before the first response arrives
    d.drain();
    // the response to the c1 subscription was stale: o1 never showed ann
    assert.deepEqual(
      d.outputs.map((o) => o.value),
      [{ total: 1, name: 'bob' }],
    );
  });

  void it('reaches the same final table as the depth-first executor', () => {
    const inputs: Array<[string, unknown, unknown]> = [
      ['c', 'c1', { name: 'ann' }],
      ['o', 'o1', { customerId: 'c1', total: 10 }],
      ['o', 'o2', { customerId: 'c1', total: 20 }],
      ['c', 'c1', { name: 'anne' }],
      ['o', 'o1', { customerId: 'c2', total: 10 }],
      ['c', 'c2', { name: 'bob' }],
      ['o', 'o2', null],
      ['c', 'c1', null],
    ];
    for (const type of ['inner', 'left'] as const) {
      const d = new QueuedDriver(def(type));
      for (const [topic, key, value] of inputs) d.input(topic, key, value);
      d.drain();
      const ex = run(
        def(type),
        inputs.map(([topic, key, value]) => rec(topic, key, value)),
      );
      assert.deepEqual(d.table('enriched'), table(ex, 'enriched'), type);
    }
  });
});

void describe('foreign-key join state layouts', () => {
  const filtered = (type: 'inner' | 'left'): Def => {
    const d = def(type);
    return { ...d, projections: { enriched: { ...d.projections.enriched!, where: 'total >= 0' } } };
  };
  const leftStore = 'app-enriched-customers-fk-left';

  void it('reading the table source directly, keeps only a joined marker per left row; after a filter, a copy of each row', () => {
    const steps: Array<[string, unknown, unknown]> = [
      ['c', 'c1', { name: 'ann' }],
      ['o', 'o1', { customerId: 'c1', total: 1 }],
      ['o', 'o2', { customerId: 'c9', total: 2 }], // dangling: never joined
    ];
    const direct = new QueuedDriver(def('inner'));
    const copied = new QueuedDriver(filtered('inner'));
    for (const d of [direct, copied]) {
      for (const [topic, key, value] of steps) d.input(topic, key, value);
      d.drain();
    }
    assert.deepEqual(direct.storeRows(leftStore), [['o1', { o: 1 }]]);
    assert.deepEqual(
      copied.storeRows(leftStore).map(([k, v]) => [k, Object.keys(v as object).sort()]),
      [
        ['o1', ['h', 'o', 'v']],
        ['o2', ['h', 'o', 'v']],
      ],
    );
    assert.deepEqual(direct.outputs, copied.outputs);
  });

  void it('gives the same changelog in both layouts, exchanges delayed or not', () => {
    const inputs: Array<[string, unknown, unknown]> = [
      ['c', 'c1', { name: 'ann' }],
      ['o', 'o1', { customerId: 'c1', total: 10 }],
      ['o', 'o1', { customerId: 'c1', total: 11 }], // updated before its response arrives
      ['o', 'o2', { customerId: 'c9', total: 20 }],
      ['c', 'c1', { name: 'anne' }],
      ['o', 'o1', { customerId: 'c9', total: 10 }],
      ['c', 'c9', { name: 'zed' }],
      ['o', 'o3', { total: 5 }],
      ['c', 'c9', null],
      ['o', 'o2', null],
      ['o', 'o3', null],
    ];
    for (const type of ['inner', 'left'] as const) {
      const depthFirst = (d: Def) =>
        changes(
          run(
            d,
            inputs.map(([topic, key, value]) => rec(topic, key, value)),
          ),
          'enriched',
        );
      assert.deepEqual(depthFirst(def(type)), depthFirst(filtered(type)), type);
      const queued = (d: Def) => {
        const q = new QueuedDriver(d);
        for (const [topic, key, value] of inputs) {
          q.input(topic, key, value);
          if (topic === 'c') q.drain();
        }
        q.drain();
        return q.outputs.map((o) => [o.key, o.value]);
      };
      assert.deepEqual(queued(def(type)), queued(filtered(type)), type);
    }
  });

  void it('keeps whole joined rows when an aggregate reads the old ones (retraction)', () => {
    const byName: Def = {
      ...def('inner'),
      projections: {
        totals: {
          from: 'orders',
          join: { table: 'customers', on: 'customerId', type: 'inner' },
          groupBy: 'customers.name',
          aggregate: { sum: { sum: 'total' } },
        },
      },
    };
    const q = new QueuedDriver(byName);
    q.input('c', 'c1', { name: 'ann' });
    q.input('c', 'c2', { name: 'bob' });
    q.input('o', 'o1', { customerId: 'c1', total: 10 });
    q.input('o', 'o2', { customerId: 'c1', total: 5 });
    q.drain();
    q.input('o', 'o1', { customerId: 'c2', total: 7 }); // moves from ann to bob
    q.drain();
    q.input('c', 'c1', { name: 'cat' }); // ann's remaining order is renamed
    q.drain();
    q.input('o', 'o2', null);
    q.drain();
    assert.deepEqual(q.table('totals'), { ann: { sum: 0 }, bob: { sum: 7 }, cat: { sum: 0 } });
    const joined = q.storeRows('app-totals-customers-fk-left');
    assert.deepEqual(joined, [['o1', { o: { customerId: 'c2', total: 7, customers: { name: 'bob' } } }]]);
  });
});

void describe('rows kept with only the fields a projection reads', () => {
  const wide: Array<[string, unknown, unknown, number]> = [
    ['c', 'c1', { name: 'ann', email: 'a@x', tier: 'gold' }, 1],
    ['o', 'o1', { customerId: 'c1', total: 10, note: 'n', placedAt: 50 }, 2],
  ];
  const rowsOf = (d: Def) => {
    const q = new QueuedDriver(d);
    for (const [topic, key, value, t] of wide) q.input(topic, key, value, t);
    q.drain();
    return q;
  };

  void it('keeps the fields read of left rows in the table source store and of right rows on the right side', () => {
    const q = rowsOf(def('inner'));
    assert.deepEqual(q.storeRows('app-enriched-input'), [['o1', { customerId: 'c1', total: 10 }]]);
    assert.deepEqual(q.storeRows('app-enriched-customers-fk-table'), [['c1', { name: 'ann' }]]);
    assert.deepEqual(
      q.outputs.map((o) => o.value),
      [{ total: 10, name: 'ann' }],
    );
  });

  void it('keeps rows whole when the joined row leaves as it is, or a row is read whole', () => {
    const base = def('inner');
    const noSelect: Def = {
      ...base,
      projections: { enriched: { from: 'orders', join: base.projections.enriched!.join } },
    };
    const q = rowsOf(noSelect);
    assert.deepEqual(q.storeRows('app-enriched-input')[0]![1], wide[1]![2]);
    assert.deepEqual(q.storeRows('app-enriched-customers-fk-table')[0]![1], wide[0]![2]);
    const whole = rowsOf({
      ...base,
      projections: {
        enriched: { ...base.projections.enriched!, select: { all: '_value', c: 'customers' } },
      },
    });
    assert.deepEqual(whole.storeRows('app-enriched-input')[0]![1], wide[1]![2]);
    assert.deepEqual(whole.storeRows('app-enriched-customers-fk-table')[0]![1], wide[0]![2]);
  });

  void it("keeps the fields of the source's own time and type expressions", () => {
    const base = def('inner');
    const q = rowsOf({
      ...base,
      sources: {
        ...base.sources,
        orders: { topic: 'o', kind: 'table', time: 'placedAt', eventType: 'note' },
      },
    });
    assert.deepEqual(q.storeRows('app-enriched-input'), [
      ['o1', { customerId: 'c1', total: 10, note: 'n', placedAt: 50 }],
    ]);
    assert.equal(q.outputs[0]!.timestamp, 50);
  });
});

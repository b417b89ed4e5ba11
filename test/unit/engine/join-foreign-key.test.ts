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

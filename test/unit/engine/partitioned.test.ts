// Runs topologies the way the runtime will: N partitions per topic, one task (own stores) per
// sub-topology and partition, records routed by the hash of their encoded key, exchange and
// projection records queued (they travel through Kafka) instead of delivered depth-first.
// The final tables must equal the pure executor's: this checks that every exchange point is where
// it must be (a missing repartition would leave a group's rows in several partitions).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { compileTopology } from '../../../projections/graph/compile.ts';
import type { SubTopology, Topology } from '../../../projections/graph/topology.ts';
import { hashString } from '../../../projections/operators/hash.ts';
import { encodeKey } from '../../../projections/keys.ts';
import type { InputRecord } from '../../../projections/records.ts';
import { MemoryStoreProvider } from '../../../projections/store.ts';
import { loadFixture } from '../../../projections/testing/index.ts';
import { type Def, define, run, table } from './helpers.ts';

class PartitionedDriver {
  private readonly queue: InputRecord[] = [];
  private readonly tasks = new Map<string, MemoryStoreProvider>();
  private readonly routes = new Map<string, SubTopology[]>();
  private readonly topicOf = new Map<string, string>();
  readonly tables = new Map<string, Map<string, unknown>>();

  constructor(
    private readonly topology: Topology,
    private readonly partitions: number,
  ) {
    for (const s of topology.subTopologies)
      for (const i of s.inputs) this.routes.set(i.topic, [...(this.routes.get(i.topic) ?? []), s]);
    for (const p of topology.projections) if (p.topic) this.topicOf.set(p.name, p.topic);
  }

  private partition(key: unknown): number {
    return hashString(encodeKey(key)) % this.partitions;
  }

  private deliver(record: InputRecord): void {
    for (const sub of this.routes.get(record.topic) ?? []) {
      const task = `${sub.id}:${record.partition}`;
      let stores = this.tasks.get(task);
      if (!stores) this.tasks.set(task, (stores = new MemoryStoreProvider()));
      sub.process(record, {
        stores,
        emit: (o) => {
          const t = this.tables.get(o.projection) ?? new Map<string, unknown>();
          t.set(encodeKey(o.key), o.value);
          this.tables.set(o.projection, t);
          const topic = this.topicOf.get(o.projection);
          if (topic) this.enqueue(topic, o.key, o.value, o.timestamp);
        },
        send: (topic, key, value) => {
          const v = JSON.parse(JSON.stringify(value)) as { t: number };
          this.queue.push({
            topic,
            key,
            value: v,
            partition: hashString(key) % this.partitions,
            offset: 0,
            timestamp: v.t,
          });
        },
      });
    }
  }

  private enqueue(topic: string, key: unknown, value: unknown, timestamp: number): void {
    this.queue.push({ topic, key, value, partition: this.partition(key), offset: 0, timestamp });
  }

  input(topic: string, key: unknown, value: unknown, timestamp = 0): void {
    this.enqueue(topic, key, value, timestamp);
    while (this.queue.length > 0) this.deliver(this.queue.shift()!);
  }

  table(projection: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this.tables.get(projection) ?? []) if (v !== null) out[k] = v;
    return out;
  }

  /** How many tasks ended up holding state: more than one partition must be in use. */
  get taskCount(): number {
    return this.tasks.size;
  }
}

function check(def: Def, inputs: Array<[string, unknown, unknown]>, projections: string[]): void {
  const topology = compileTopology(define(def));
  const driver = new PartitionedDriver(topology, 4);
  inputs.forEach(([topic, key, value], i) => driver.input(topic, key, value, i));
  const ex = run(
    def,
    inputs.map(([topic, key, value], i) => ({ topic, key, value, timestamp: i })),
  );
  for (const p of projections) assert.deepEqual(driver.table(p), table(ex, p), p);
  assert.ok(driver.taskCount > topology.subTopologies.length, 'records spread over several partitions');
}

void describe('partitioned execution (as the runtime runs it)', () => {
  void it('groupBy on a table projection with retraction', () => {
    const inputs: Array<[string, unknown, unknown]> = [];
    for (let i = 0; i < 40; i++) {
      inputs.push([
        'o',
        `o${i % 13}`,
        {
          type: i % 7 === 6 ? 'Cancelled' : 'Placed',
          orderId: `o${i % 13}`,
          customerId: `c${i % 5}`,
          amount: i,
        },
      ]);
    }
    check(
      {
        sources: { orders: { topic: 'o', key: 'orderId', eventType: 'type' } },
        projections: {
          summary: {
            from: 'orders',
            aggregate: { customerId: { latest: 'customerId' }, total: { sum: 'amount' } },
            deleteOn: ['Cancelled'],
          },
          revenue: {
            from: 'summary',
            groupBy: 'customerId',
            aggregate: {
              revenue: { sum: 'total' },
              n: { count: '*' },
              top: { max: 'total' },
              last: { latest: 'total' },
            },
            having: 'n > 0',
          },
        },
      },
      inputs,
      ['summary', 'revenue'],
    );
  });

  void it('foreign-key join with fan-out and FK changes, then a stream–table join with `on`', () => {
    const inputs: Array<[string, unknown, unknown]> = [];
    for (let i = 0; i < 30; i++) {
      if (i % 4 === 0) inputs.push(['c', `c${i % 6}`, i % 8 === 0 ? { name: `n${i}` } : null]);
      inputs.push(['o', `o${i % 9}`, { customerId: `c${i % 6}`, total: i }]);
      inputs.push(['p', `p${i}`, { customerId: `c${(i * 5) % 6}`, amount: i }]);
    }
    check(
      {
        sources: {
          orders: { topic: 'o', kind: 'table' },
          customers: { topic: 'c', kind: 'table' },
          payments: { topic: 'p' },
        },
        projections: {
          inner: { from: 'orders', join: { table: 'customers', on: 'customerId', type: 'inner' } },
          left: {
            from: 'orders',
            join: { table: 'customers', on: 'customerId', type: 'left' },
            select: { name: 'customers.name' },
          },
          paid: {
            from: 'payments',
            join: { table: 'customers', on: 'customerId', type: 'left' },
            groupBy: 'customerId',
            aggregate: { n: { count: '*' }, named: { count: 'customers.name' } },
          },
        },
      },
      inputs,
      ['inner', 'left', 'paid'],
    );
  });

  void it('the engine fixtures', async () => {
    for (const f of ['bank-balances', 'table-min-max-latest', 'fk-join-fanout', 'stream-enrich-aggregate']) {
      const fixture = await loadFixture(
        fileURLToPath(new URL(`../../fixtures/engine/${f}.yaml`, import.meta.url)),
      );
      const topology = compileTopology(fixture.definition);
      const driver = new PartitionedDriver(topology, 3);
      for (const i of fixture.inputs) driver.input(i.topic, i.key ?? null, i.value ?? null, i.timestamp);
      for (const [name, expected] of Object.entries(fixture.expected)) {
        const want = Object.fromEntries(Object.entries(expected.table ?? {}).filter(([, v]) => v !== null));
        assert.deepEqual(driver.table(name), want, `${f}: ${name}`);
      }
    }
  });
});

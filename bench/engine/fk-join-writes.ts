// What the foreign-key join writes per input record, counted in the pure engine: store writes
// (puts and deletes) and changelog records, per store, for scenario (b)'s input (customers, then
// orders keyed by orderId over them). Deterministic, so it compares layouts on a noisy machine.
//
// Changelog records: the runtime's write cache keeps the last value of each key changed since
// the previous commit, so a commit writes one record per distinct changed key. A commit is
// simulated every --commit-every input records (default 1 700: about what all six tasks read in
// one 100 ms commit at 17 000 records/s; the tasks' keys are disjoint, so one executor with the
// whole input counts the same records). "bytes" is the JSON the commit encodes for them.
//
//   node --import tsx bench/engine/fk-join-writes.ts [--orders 200000] [--customers 20000]
import { Definition } from '../../projections/definition/schema.ts';
import { compileTopology } from '../../projections/graph/compile.ts';
import { Executor } from '../../projections/graph/executor.ts';
import type { KeyValueStore, StoreProvider } from '../../projections/store.ts';
import { fkJoinDataset } from '../harness/datasets.ts';
import { SEED } from '../harness/scenarios.ts';
import { numberArg } from '../number-arg.ts';

const ORDERS = numberArg('orders', 200_000);
const CUSTOMERS = numberArg('customers', 20_000);
const COMMIT_EVERY = numberArg('commit-every', 1_700);

interface Counts {
  writes: number;
  records: number;
  bytes: number;
  dirty: Map<string, unknown>;
}

const counts = new Map<string, Counts>();

function counted(name: string, inner: KeyValueStore<unknown>): KeyValueStore<unknown> {
  let c = counts.get(name);
  if (!c) counts.set(name, (c = { writes: 0, records: 0, bytes: 0, dirty: new Map() }));
  const tally = c;
  return {
    get: (key) => inner.get(key),
    put: (key, value) => {
      tally.writes++;
      tally.dirty.set(key, value);
      inner.put(key, value);
    },
    delete: (key) => {
      tally.writes++;
      tally.dirty.set(key, null);
      inner.delete(key);
    },
    scan: (range) => inner.scan(range),
  };
}

function commit(): void {
  for (const c of counts.values()) {
    c.records += c.dirty.size;
    for (const v of c.dirty.values()) c.bytes += v === null ? 0 : JSON.stringify(v).length;
    c.dirty.clear();
  }
}

const definition = Definition.parse({
  application: 'bench',
  sources: { orders: { topic: 'orders', kind: 'table' }, customers: { topic: 'customers', kind: 'table' } },
  projections: {
    enriched: {
      from: 'orders',
      join: { table: 'customers', on: 'customerId', type: 'inner' },
      select: { customerId: 'customerId', amount: 'amount', customer: 'customers.name' },
    },
  },
});
const executor = new Executor(compileTopology(definition), { collect: false });
const provider = executor.stores as StoreProvider & { store: StoreProvider['store'] };
const wrapped = new Map<string, KeyValueStore<unknown>>();
const open = provider.store.bind(provider);
provider.store = <V>(name: string) => {
  let s = wrapped.get(name);
  if (!s) wrapped.set(name, (s = counted(name, open(name))));
  return s as KeyValueStore<V>;
};

const dataset = fkJoinDataset('orders', 'customers', ORDERS, CUSTOMERS, SEED);
let n = 0;
for (const input of dataset.inputs) {
  for (let i = 0; i < input.count; i++) {
    const r = input.record(i);
    executor.process({ topic: input.topic, key: r.key, value: JSON.parse(r.value), timestamp: r.timestamp });
    if (++n % COMMIT_EVERY === 0) commit();
  }
}
commit();

const total = dataset.total;
const rows = [...counts].sort(([a], [b]) => a.localeCompare(b));
const per = (x: number) => (x / total).toFixed(3);
console.log(
  `${total} input records (${CUSTOMERS} customers, ${ORDERS} orders), a commit every ${COMMIT_EVERY}`,
);
console.log(
  '| store | writes / input record | changelog records / input record | changelog JSON bytes / input record |',
);
console.log('|---|---|---|---|');
for (const [name, c] of rows)
  console.log(
    `| ${name.replace(/^bench-enriched-/, '')} | ${per(c.writes)} | ${per(c.records)} | ${(c.bytes / total).toFixed(0)} |`,
  );
const sum = (f: (c: Counts) => number) => rows.reduce((s, [, c]) => s + f(c), 0);
console.log(
  `| **all** | ${per(sum((c) => c.writes))} | ${per(sum((c) => c.records))} | ${(sum((c) => c.bytes) / total).toFixed(0)} |`,
);

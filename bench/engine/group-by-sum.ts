// Micro-benchmark of the pure engine: group-by-sum over a stream, in memory, one core.
// Two shapes: grouped by the record key (no repartition) and by a value field (through the
// repartition exchange, routed in-process). Compiled expressions, MemoryStores, outputs discarded.
//
//   npm run bench:engine [-- --events 1000000 --keys 10000]
import { compileTopology } from '../../projections/graph/compile.ts';
import { Executor } from '../../projections/graph/executor.ts';
import { Definition } from '../../projections/definition/schema.ts';
import { numberArg } from '../number-arg.ts';

const EVENTS = numberArg('events', 1_000_000);
const KEYS = numberArg('keys', 10_000);

function definition(groupBy: string | undefined) {
  return Definition.parse({
    application: 'bench',
    sources: { payments: { topic: 'payments', eventType: 'eventType' } },
    projections: {
      totals: {
        from: 'payments',
        ...(groupBy ? { groupBy } : {}),
        aggregate: { total: { sum: 'amount' }, n: { count: '*' } },
      },
    },
  });
}

// Inputs are built up front so the measurement covers the engine only.
const records = Array.from({ length: EVENTS }, (_, i) => {
  const account = `acct-${i % KEYS}`;
  return {
    topic: 'payments',
    key: account,
    value: { eventType: 'PaymentMade', account, amount: (i % 100) + 0.5 },
    timestamp: i,
  };
});

function run(label: string, groupBy: string | undefined): void {
  let outputs = 0;
  const executor = new Executor(compileTopology(definition(groupBy)), {
    collect: false,
    onOutput: () => outputs++,
  });
  // warm-up on a slice, then a fresh executor for the measured run
  for (let i = 0; i < Math.min(50_000, EVENTS); i++) executor.process(records[i]!);
  const measured = new Executor(compileTopology(definition(groupBy)), {
    collect: false,
    onOutput: () => outputs++,
  });
  outputs = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < EVENTS; i++) measured.process(records[i]!);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = Math.round(EVENTS / seconds);
  console.log(
    `${label.padEnd(34)} ${EVENTS.toLocaleString('en-US')} events, ${KEYS.toLocaleString('en-US')} keys: ${seconds.toFixed(2)} s, ${rate.toLocaleString('en-US')} events/s (${outputs.toLocaleString('en-US')} outputs)`,
  );
}

run('group by record key', undefined);
run('group by value field (repartition)', 'account');

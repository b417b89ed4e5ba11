// Medians and p99 of each step of a command through the write path, from the file a traced
// `streamfold run` wrote (STREAMFOLD_COMMAND_TRACE, runtime/metrics/command-trace.ts):
//
//   node --import tsx bench/commands/trace-summary.ts trace.jsonl [--ids r1-16-]
//
// --ids: only the commands whose id starts so (the bench's ids: r<instances>-<clients>-…).
//
// Each phase is the time between two steps of the same command, in ms; the Kafka requests are per
// traced transaction (a transaction carrying n commands counts n times, as its commands waited for it).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { ids: { type: 'string', default: '' } },
});

type Line = Record<string, number | string | null | undefined> & {
  id: string;
  requests?: Record<string, [number, number, number]>;
};

/** Phase name → [from step, to step] (absent `from`: since the command reached its owner). */
const PHASES: Array<[string, string | null, string]> = [
  ['HTTP: request received → owner reached (parse, validate, route)', 'httpReceived', 'zero'],
  ['wait for the lock', null, 'locked'],
  ['decide', 'locked', 'decided'],
  ['wait for linger / commit in flight', 'decided', 'settled'],
  ['wait for the lock (commit)', 'settled', 'commitLocked'],
  ['prepare: dedup purge (all tasks; before the change)', 'commitLocked', 'purged'],
  ['prepare: stores, buffers (all tasks)', 'purged', 'storesPrepared'],
  ['prepare: stores, buffers (all tasks; after, no purge)', 'commitLocked', 'storesPrepared'],
  ['prepare: sinks collect (all tasks)', 'storesPrepared', 'prepared'],
  ['transaction() begin', 'prepared', 'begun'],
  ['AddPartitionsToTxn + Produce', 'begun', 'sent'],
  ['AddOffsetsToTxn + TxnOffsetCommit', 'sent', 'offsets'],
  ['EndTxn', 'offsets', 'ended'],
  ["other tasks' transactions", 'ended', 'allEnded'],
  ['LevelDB complete', 'allEnded', 'completed'],
  ['answer after EndTxn (others, LevelDB included)', 'ended', 'answered'],
  ['total (owner reached → answered)', null, 'answered'],
  ['HTTP: answered → response handed to the socket', 'answered', 'responded'],
  ['total in the server (HTTP request received → response)', 'httpReceived', 'responded'],
];

const all = readFileSync(positionals[0]!, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as Line & { http?: string; totalMs?: number });
// The HTTP lines (request received → response handed over, in the server) joined to their command.
const httpTotal = new Map(all.flatMap((l) => (l.http ? [[l.http, l.totalMs!] as const] : [])));
const lines = all.filter((l) => l.id?.startsWith(values.ids));
for (const l of lines) {
  const total = httpTotal.get(l.id);
  if (typeof total === 'number' && typeof l.httpReceived === 'number') l.responded = l.httpReceived + total;
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const fmt = (v: number) => (Number.isNaN(v) ? '–' : v.toFixed(1));

console.log(`${lines.length} commands`);
console.log('| phase | median ms | p99 ms | commands |');
console.log('|---|---|---|---|');
for (const [name, from, to] of PHASES) {
  const ds = lines
    .map((l) => {
      const end = to === 'zero' ? 0 : l[to];
      const start = from === null ? 0 : l[from];
      return typeof end === 'number' && typeof start === 'number' ? end - start : undefined;
    })
    .filter((d): d is number => d !== undefined)
    .sort((a, b) => a - b);
  console.log(`| ${name} | ${fmt(quantile(ds, 0.5))} | ${fmt(quantile(ds, 0.99))} | ${ds.length} |`);
}

const apis = new Map<string, { count: number[]; ms: number; queued: number; n: number }>();
for (const l of lines)
  for (const [api, [count, ms, queued]] of Object.entries(l.requests ?? {})) {
    const a = apis.get(api) ?? { count: [], ms: 0, queued: 0, n: 0 };
    a.count.push(count);
    a.ms += ms;
    a.queued += queued;
    a.n += count;
    apis.set(api, a);
  }
const traced = lines.filter((l) => l.requests).length;
console.log(`\nKafka requests of the task's producer per transaction (${traced} commands with a trace)`);
console.log(
  '| API | mean per transaction | transactions with more than one | mean ms answered | mean ms queued |',
);
console.log('|---|---|---|---|---|');
for (const [api, a] of apis) {
  const more = a.count.filter((c) => c > 1).length;
  console.log(
    `| ${api} | ${(a.n / traced).toFixed(2)} | ${((100 * more) / traced).toFixed(1)}% | ${fmt(a.ms / a.n)} | ${fmt(a.queued / a.n)} |`,
  );
}
const delays = all.flatMap((l) => (l.loopDelay ? [l.loopDelay as unknown as Record<string, number>] : []));
if (delays.length > 0)
  console.log(
    `\nevent-loop delay of the instance per 5 s (ms, p50/p99/max; whole trace): ${delays
      .map((d) => `${d.p50}/${d.p99}/${d.max}`)
      .join(', ')}`,
  );
const tasks = lines.map((l) => l.tasksInCommit).filter((n): n is number => typeof n === 'number');
console.log(
  `\ntasks per commit, mean: ${(tasks.reduce((a, b) => a + b, 0) / Math.max(1, tasks.length)).toFixed(2)}`,
);

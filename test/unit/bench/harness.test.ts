// The benchmark harness's pure parts: deterministic input with exact expected values, statistics (latency
// quantiles too), the throughput series of the plot, the parsing of bench/http's summary lines and of
// bench/commands' results line, and the commands table.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  fkJoinDataset,
  groupBySumDataset,
  restoreDataset,
  streamJoinDataset,
  windowedCountDataset,
  windowedOutputKey,
} from '../../../bench/harness/datasets.ts';
import { commandsTable, parseCommandsOutput } from '../../../bench/harness/commands.ts';
import { WINDOWS } from '../../../bench/harness/scenarios.ts';
import { parseHttpOutput } from '../../../bench/harness/http.ts';
import { rateSeries } from '../../../bench/harness/report/svg.ts';
import { latencyCell, resultsTable } from '../../../bench/harness/report/markdown.ts';
import { spawnMeasured } from '../../../bench/harness/process.ts';
import type { RunResult } from '../../../bench/harness/run.ts';
import { latencySummary, quantile, spread } from '../../../bench/harness/stats.ts';

void test('group-by-sum input: ~200-byte JSON, same seed same bytes, expected totals add up', () => {
  const a = groupBySumDataset('t', 2_000, 50, 7);
  const b = groupBySumDataset('t', 2_000, 50, 7);
  const input = a.inputs[0]!;
  assert.equal(input.record(1234).value, b.inputs[0]!.record(1234).value);
  let sum = 0;
  const perCustomer = new Map<string, number>();
  for (let i = 0; i < input.count; i++) {
    const r = input.record(i);
    const v = JSON.parse(r.value) as { customerId: string; amount: number };
    assert.ok(r.value.length >= 195 && r.value.length <= 205, `record ${i} is ${r.value.length} bytes`);
    sum += v.amount;
    perCustomer.set(v.customerId, (perCustomer.get(v.customerId) ?? 0) + v.amount);
  }
  const expected = [...a.expected!.values()].reduce((n: number, v) => n + (v as { total: number }).total, 0);
  assert.equal(expected, sum);
  assert.deepEqual(a.expected!.get('c-000007'), { total: perCustomer.get('c-000007') });
  assert.notEqual(groupBySumDataset('t', 10, 50, 8).inputs[0]!.record(3).value, input.record(3).value);
});

void test('(f) input: the orders of (a), counted per customer and 1-minute window of placedAt', () => {
  const f = windowedCountDataset('t', 3_000, 50, 7);
  assert.equal(
    f.inputs[0]!.record(1234).value,
    groupBySumDataset('t', 3_000, 50, 7).inputs[0]!.record(1234).value,
  );
  const counts = [...f.expected!.values()].map((v) => (v as { count: number }).count);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    3_000,
  );
  const first = JSON.parse(f.inputs[0]!.record(0).value) as { customerId: string; placedAt: number };
  const start = Math.floor(first.placedAt / WINDOWS.countSizeMs) * WINDOWS.countSizeMs;
  assert.ok(f.expected!.has(windowedOutputKey(first.customerId, start, start + WINDOWS.countSizeMs)));
  assert.match(windowedOutputKey('c1', 0, 60_000), /^\{"key":"c1","window":\{"end":60000,"start":0\}\}$/);
});

void test('(g) input: orders, then each payment within the window after its order, in paidAt order', () => {
  const g = streamJoinDataset('orders', 'payments', 2_000, 50, 3);
  const [orders, payments] = g.inputs;
  const placed = new Map<string, number>();
  for (let i = 0; i < orders!.count; i++) {
    const o = JSON.parse(orders!.record(i).value) as { orderId: string; placedAt: number };
    placed.set(o.orderId, o.placedAt);
  }
  let last = 0;
  for (let n = 0; n < payments!.count; n++) {
    const r = payments!.record(n);
    const p = JSON.parse(r.value) as { orderId: string; paidAt: number };
    assert.equal(r.key, p.orderId);
    const delay = p.paidAt - placed.get(p.orderId)!;
    assert.ok(delay >= 0 && delay < WINDOWS.joinWithinMs, `payment ${n} ${delay} ms after its order`);
    assert.ok(p.paidAt >= last, 'payments arrive in paidAt order');
    last = p.paidAt;
    assert.equal((g.expected!.get(p.orderId) as { paidAt: number }).paidAt, p.paidAt);
  }
  assert.equal(g.expected!.size, 2_000);
});

void test('join input: customers before orders, every order expects its customer', () => {
  const d = fkJoinDataset('orders', 'customers', 300, 20, 1);
  assert.deepEqual(
    d.inputs.map((i) => [i.topic, i.count]),
    [
      ['customers', 20],
      ['orders', 300],
    ],
  );
  assert.equal(d.total, 320);
  const order = JSON.parse(d.inputs[1]!.record(5).value) as { customerId: string; amount: number };
  assert.deepEqual(d.expected!.get('o-00000005'), {
    customerId: order.customerId,
    amount: order.amount,
    customer: `Customer ${Number(order.customerId.slice(2))}`,
  });
});

void test('restore input: one distinct key per event', () => {
  const d = restoreDataset('t', 1_000, 3);
  const keys = new Set(Array.from({ length: 1_000 }, (_, i) => d.inputs[0]!.record(i).key));
  assert.equal(keys.size, 1_000);
});

void test('spread: median of odd and even counts, min and max', () => {
  assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.deepEqual(spread([4, 1, 2, 3]), { median: 2.5, min: 1, max: 4, n: 4 });
  assert.equal(spread([]), undefined);
});

void test('rateSeries: events/s over windows of at least 500 ms from the processing start', () => {
  const pts = rateSeries({
    scenario: 'a-alos',
    contender: 'x',
    rep: 1,
    status: 'ok',
    startedAtOffsetMs: 1_000,
    elapsedMs: 1_000,
    samples: [
      { t: 1_000, committed: 0 },
      { t: 1_250, committed: 100 },
      { t: 1_500, committed: 500 },
      { t: 2_000, committed: 1_500 },
    ],
  });
  assert.deepEqual(pts, [
    [0, 0],
    [0.5, 1_000],
    [1, 2_000],
  ]);
});

void test('parseHttpOutput: the held and the as-fast-as-it-goes lines of bench/http', () => {
  const out = [
    'get-by-key, 100000 keys in leveldb, 4 connections, 10 s per run',
    'held at 5000 req/s       4998 req/s   p50 0 ms   p99 2 ms   max 12 ms   (49980 ok, 0 not ok)',
    'as fast as it goes      14021 req/s   p50 0 ms   p99 1 ms   max 30 ms   (140210 ok, 0 not ok)',
  ].join('\n');
  assert.deepEqual(parseHttpOutput(out), {
    heldRate: 5000,
    heldP50Ms: 0,
    heldP99Ms: 2,
    maxRps: 14021,
    maxP50Ms: 0,
    maxP99Ms: 1,
  });
  assert.equal(parseHttpOutput('get-by-key, nothing else'), undefined);
});

void test('latency summary: nearest-rank quantiles, max and count', () => {
  const values = Array.from({ length: 200 }, (_, i) => 200 - i); // 1..200, unsorted
  assert.deepEqual(latencySummary(values), { p50: 100, p95: 190, p99: 198, max: 200, n: 200 });
  assert.deepEqual(latencySummary([7]), { p50: 7, p95: 7, p99: 7, max: 7, n: 1 });
  assert.equal(latencySummary([]), undefined);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2);
});

void test('latency cell: medians over repetitions, the spread of p99, what was measured', () => {
  const run = (p99: number, n: number): RunResult => ({
    scenario: 'e',
    contender: 'streamfold',
    rep: 1,
    status: 'ok',
    latency: { p50: 100, p95: 150, p99, max: p99 + 50, n, sent: 1000, heldRate: 4999 },
  });
  assert.equal(
    latencyCell([run(200, 10), run(300, 30), run(250, 20)]),
    'p50 100 ms, p95 150 ms, p99 250 ms (200–300), max 300 ms; 20 output records measured; input held at 5.0k events/s',
  );
});

void test('(cmd) commands: the results line is parsed, the table shows medians and the ratio to group-commit', () => {
  const figure = (contender: string, clients: number, rate: number, p99Ms: number) => ({
    contender,
    clients,
    rate,
    p50Ms: p99Ms / 2,
    p99Ms,
    accepted: Math.round(rate * 10),
    refused: 0,
    errors: 0,
    seconds: 10,
  });
  const run = (rep: number, sf: number, raw: number) => {
    const stdout = [
      'streamfold, 1 instance  16 clients …',
      JSON.stringify({
        event: 'commands-results',
        exactlyOnce: { ok: true, detail: '10 events for 10 accepted commands' },
        figures: [
          figure('streamfold, 1 instance', 16, sf, 40),
          figure('raw kafkajs, group-commit', 16, raw, 20),
        ],
      }),
    ].join('\n');
    const commands = parseCommandsOutput(stdout)!;
    return { scenario: 'cmd', contender: 'streamfold', rep, status: 'ok', commands } as RunResult;
  };
  assert.equal(parseCommandsOutput('no results here'), undefined);
  const table = commandsTable([run(1, 100, 400), run(2, 300, 400), run(3, 200, 400)]);
  assert.match(table, /\| streamfold, 1 instance \| 16 \| 200 \(100–300\) \| 20\.0 \| 40\.0 \| 0\.50× \|/);
  assert.match(table, /\| raw kafkajs, group-commit \| 16 \| 400 \(400–400\) \| 10\.0 \| 20\.0 \| 1\.00× \|/);
  assert.match(table, /rep 3: ok, 10 events for 10 accepted commands/);
});

void test('CPU time of a contender: counted while it works, not while it waits', async () => {
  // A child that spins until it has used 600 ms of CPU, says so, sleeps 800 ms, says so and exits 400 ms later
  // (the sampler cannot read a process that is gone).
  const script = [
    // user time: the clock is read once per million additions, not in a loop of system calls
    'const t = process.cpuUsage();',
    'let x = 0;',
    'while (process.cpuUsage(t).user / 1000 < 600) for (let i = 0; i < 1e6; i++) x += i;',
    'console.log("busy-done");',
    'setTimeout(() => console.log("idle-done"), 800);',
    'setTimeout(() => undefined, 1200);',
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'cpu-clock-'));
  const proc = spawnMeasured(process.execPath, ['-e', script], { cwd: dir, logFile: join(dir, 'log') });
  const at = new Map<string, number>();
  proc.onLine((line, when) => at.set(line, when));
  await proc.exited;
  const busyDone = at.get('busy-done')!;
  const idleDone = at.get('idle-done')!;
  assert.ok(busyDone && idleDone, 'the child printed both lines');
  const busy = proc.cpuMsBetween(proc.spawnedAt, busyDone)!;
  const idle = proc.cpuMsBetween(busyDone + 100, idleDone)!;
  // Samples are 200 ms apart and interpolated: the busy phase shows most of its 600 ms (plus start-up), the
  // idle one next to nothing.
  assert.ok(busy >= 350, `busy phase: ${busy} ms of CPU`);
  assert.ok(idle < 120, `idle phase: ${idle} ms of CPU`);
  assert.equal(proc.cpuMsBetween(proc.spawnedAt - 1000, busyDone), undefined, 'before the first sample');
});

void test('results table: CPU seconds per million records, and the ratio to Kafka Streams', () => {
  const run = (contender: string, rep: number, cpuMs: number): RunResult => ({
    scenario: 'f',
    contender,
    rep,
    status: 'ok',
    rate: 50_000,
    elapsedMs: 20_000, // 1M records
    cpuMs,
  });
  const table = resultsTable({
    results: [
      run('streamfold', 1, 30_000),
      run('streamfold', 2, 20_000),
      run('streamfold', 3, 25_000),
      run('Kafka Streams', 1, 50_000),
    ],
    produced: {},
    notRun: {},
  });
  const row = (c: string) => table.split('\n').find((l) => l.includes(`| ${c} |`))!;
  assert.match(row('streamfold'), /\| 25\.0 \(0\.50×\) \|/);
  assert.match(row('Kafka Streams'), /\| 50\.0 \|/);
});

// Scenario (i)'s pure parts: the many-keys input and its dense expected totals, RSS over time in slices,
// and the report section with the targets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { largeStateDataset } from '../../../bench/harness/datasets.ts';
import { slicePeaks } from '../../../bench/harness/large-state.ts';
import { largeStateSection } from '../../../bench/harness/report/large-state.ts';
import type { RunResult } from '../../../bench/harness/run.ts';
import { QUICK } from '../../../bench/harness/scenarios.ts';

void test('(i) input: every key gets eventsPerKey events, round-robin; the dense totals add up', () => {
  const d = largeStateDataset('t', 1_000, 3, 11);
  const input = d.inputs[0]!;
  assert.equal(input.count, 3_000);
  assert.equal(d.total, 3_000);
  const sums = new Map<string, number>();
  for (let i = 0; i < input.count; i++) {
    const r = input.record(i);
    const v = JSON.parse(r.value) as { accountId: string; amount: number };
    assert.equal(v.accountId, r.key);
    assert.ok(v.amount >= 1 && v.amount <= 1000);
    assert.ok(r.value.length <= 130, `record ${i} is ${r.value.length} bytes`);
    sums.set(r.key, (sums.get(r.key) ?? 0) + v.amount);
  }
  assert.equal(sums.size, 1_000, 'distinct keys');
  // a key's events are `keys` apart
  assert.equal(input.record(7).key, input.record(1_007).key);
  const totals = d.expectedTotals!;
  for (const [key, sum] of sums) assert.equal(totals.totals[totals.indexOf(key)], sum, key);
  assert.equal(totals.indexOf('k-000001000'), -1, 'beyond the keys');
  assert.equal(totals.indexOf('c-000000001'), -1, 'not a key of (i)');
  assert.equal(largeStateDataset('t', 1_000, 3, 11).inputs[0]!.record(5).value, input.record(5).value);
  assert.notEqual(largeStateDataset('t', 1_000, 3, 12).inputs[0]!.record(5).value, input.record(5).value);
});

void test('slicePeaks: the peak RSS of each equal time slice, 0 where no sample fell', () => {
  const samples = [0, 100, 200, 300, 900].map((t, i) => ({ t, mib: [10, 30, 20, 40, 50][i]! }));
  assert.deepEqual(slicePeaks(samples, 3), [30, 40, 50]);
  assert.deepEqual(slicePeaks(samples, 5), [30, 40, 0, 0, 50]);
  assert.deepEqual(slicePeaks([], 2), [0, 0]);
});

const run = (contender: string, peakRssMiB: number, restoreRate: number): RunResult => ({
  scenario: 'i',
  contender,
  rep: 1,
  status: 'ok',
  rate: 1000,
  peakRssMiB,
  large: {
    keys: 10_000_000,
    events: 30_000_000,
    rssMedianMiB: peakRssMiB - 10,
    rssSlicesMiB: [1, 2, 3],
    stateBytes: 2 ** 20,
    restore: { status: 'ok', rate: restoreRate, elapsedMs: 2000, restoreMs: 1500, stateBytes: 2 ** 20 },
  },
});

void test('(i) report: a row per run, targets met or not, at which size, and both memory settings', () => {
  const at10M = { ...QUICK, largeKeys: 10_000_000 };
  const met = largeStateSection([run('streamfold', 390, 300), run('Kafka Streams', 900, 250)], at10M).join(
    '\n',
  );
  assert.match(
    met,
    /\| streamfold \| 1 \| 1000 \| 390 \/ 380 \| 1 2 3 \| 1\.0 \(RocksDB, not read\) \| 2\.0 \(1\.5\) \| 300 \|/,
  );
  assert.match(met, /RSS ≤ 400 MiB at 10000000 keys: peak 390 MiB \(median of runs\), met$/m);
  assert.match(met, /1\.20× \(300 ÷ 250 rows\/s, medians, from spawn.*\), met/);
  assert.match(met, /`state\.cacheRows: 10000`/);
  assert.match(met, /block cache 50 MiB/);
  const missed = largeStateSection([run('streamfold', 410, 200), run('Kafka Streams', 900, 250)], {
    ...QUICK,
    largeKeys: 1_000_000,
  }).join('\n');
  assert.match(missed, /peak 410 MiB \(median of runs\), no verdict: this run has 1000000 keys/);
  const over = largeStateSection([run('streamfold', 410, 200)], { ...QUICK, largeKeys: 10_000_000 });
  assert.match(over.join('\n'), /peak 410 MiB \(median of runs\), not met$/m);
  assert.match(missed, /0\.80× .* not met/);
  assert.deepEqual(largeStateSection([], QUICK), []);
});

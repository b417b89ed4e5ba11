// The runtime's metrics: what the runtime records shows up in the text exposition with the right
// names, types, labels and values, next to the default process metrics.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createMetrics,
  HealthState,
  METRIC_NAMES,
  parseExposition,
  sampleValue,
  samplesOf,
} from '../../../runtime/metrics/index.ts';

async function scrape(metrics: ReturnType<typeof createMetrics>) {
  return parseExposition(await metrics.metricsText());
}

void describe('Metrics', () => {
  void test('records in and out per projection are counters', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.recordsIn('balances', 10);
    m.recordsIn('balances');
    m.recordsOut('balances', 7);
    m.recordsIn('order_summary', 3);
    m.recordsOut('order_summary', 0);
    const text = await scrape(m);
    assert.equal(text.types.get(METRIC_NAMES.recordsIn), 'counter');
    assert.equal(text.types.get(METRIC_NAMES.recordsOut), 'counter');
    assert.equal(sampleValue(text, METRIC_NAMES.recordsIn, { projection: 'balances' }), 11);
    assert.equal(sampleValue(text, METRIC_NAMES.recordsOut, { projection: 'balances' }), 7);
    assert.equal(sampleValue(text, METRIC_NAMES.recordsIn, { projection: 'order_summary' }), 3);
    assert.equal(samplesOf(text, METRIC_NAMES.recordsOut, { projection: 'order_summary' }).length, 0);
  });

  void test('commands are counted by outcome; a reused id is counted without a latency', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.command('withdraw', 'accepted', 0.02);
    m.command('withdraw', 'rejected', 0.03);
    m.command('withdraw', 'reused');
    const text = await scrape(m);
    for (const outcome of ['accepted', 'rejected', 'reused'])
      assert.equal(sampleValue(text, METRIC_NAMES.commands, { command: 'withdraw', outcome }), 1, outcome);
    assert.equal(sampleValue(text, `${METRIC_NAMES.commandDuration}_count`, { command: 'withdraw' }), 2);
  });

  void test('dead letters are counted by kind, topic and stage', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.deadLetter('value-not-json', { topic: 'account-events', stage: 'decode' });
    m.deadLetter('value-not-json', { topic: 'account-events', stage: 'decode' }, 2);
    m.deadLetter('expression', { topic: 'order-events', stage: 'process' });
    const text = await scrape(m);
    assert.equal(
      sampleValue(text, METRIC_NAMES.deadLetters, { kind: 'value-not-json', topic: 'account-events' }),
      3,
    );
    assert.equal(sampleValue(text, METRIC_NAMES.deadLetters, { kind: 'expression', stage: 'process' }), 1);
    const snap = await m.snapshot();
    assert.deepEqual(snap.deadLetters, { 'value-not-json': 3, expression: 1 });
  });

  void test('commit latency is a histogram with cumulative buckets', async () => {
    const m = createMetrics({ defaultMetrics: false });
    for (const s of [0.002, 0.004, 0.03, 3]) m.commitLatency(s);
    const text = await scrape(m);
    const name = METRIC_NAMES.commitDuration;
    assert.equal(text.types.get(name), 'histogram');
    assert.equal(sampleValue(text, `${name}_count`), 4);
    assert.ok(Math.abs(sampleValue(text, `${name}_sum`) - 3.036) < 1e-9);
    assert.equal(sampleValue(text, `${name}_bucket`, { le: '0.0025' }), 1);
    assert.equal(sampleValue(text, `${name}_bucket`, { le: '0.005' }), 2);
    assert.equal(sampleValue(text, `${name}_bucket`, { le: '0.05' }), 3);
    assert.equal(sampleValue(text, `${name}_bucket`, { le: '2.5' }), 3);
    assert.equal(sampleValue(text, `${name}_bucket`, { le: '+Inf' }), 4);
    const end = m.startCommit();
    end();
    assert.equal(sampleValue(await scrape(m), `${name}_count`), 5);
  });

  void test('lag per partition is a gauge that follows the latest value and can be forgotten', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.lag('account-events', 0, 120);
    m.lag('account-events', 1, 5);
    m.lag('account-events', 0, 40);
    m.lag('order-events', 2, -3);
    let text = await scrape(m);
    assert.equal(text.types.get(METRIC_NAMES.lag), 'gauge');
    assert.equal(sampleValue(text, METRIC_NAMES.lag, { topic: 'account-events', partition: '0' }), 40);
    assert.equal(sampleValue(text, METRIC_NAMES.lag, { topic: 'account-events', partition: '1' }), 5);
    assert.equal(
      sampleValue(text, METRIC_NAMES.lag, { topic: 'order-events', partition: '2' }),
      0,
      'never negative',
    );
    m.forgetPartition('account-events', 1);
    text = await scrape(m);
    assert.equal(samplesOf(text, METRIC_NAMES.lag, { partition: '1' }).length, 0);
  });

  void test('restore progress and store sizes per store and task', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.restoreProgress('balances', 0, 250, 1000);
    m.restoreProgress('balances', 0, 1000, 1000);
    m.restoreProgress('balances', 1, 10, 20);
    m.storeSize('balances', 0, 42, 4096);
    let text = await scrape(m);
    const at = (task: string) => ({ store: 'balances', task });
    assert.equal(sampleValue(text, METRIC_NAMES.restoreRestored, at('0')), 1000);
    assert.equal(sampleValue(text, METRIC_NAMES.restoreTarget, at('0')), 1000);
    assert.equal(sampleValue(text, METRIC_NAMES.restoreRestored, at('1')), 10);
    assert.equal(sampleValue(text, METRIC_NAMES.storeRows, at('0')), 42);
    assert.equal(sampleValue(text, METRIC_NAMES.storeBytes, at('0')), 4096);
    const snap = await m.snapshot();
    assert.deepEqual(
      snap.restore.sort((a, b) => a.task.localeCompare(b.task)),
      [
        { store: 'balances', task: '0', restored: 1000, total: 1000 },
        { store: 'balances', task: '1', restored: 10, total: 20 },
      ],
    );
    assert.deepEqual(snap.stores, [{ store: 'balances', task: '0', rows: 42, bytes: 4096 }]);
    m.forgetTask(0, ['balances']);
    text = await scrape(m);
    assert.equal(samplesOf(text, METRIC_NAMES.restoreRestored, { task: '0' }).length, 0);
    assert.equal(samplesOf(text, METRIC_NAMES.storeRows).length, 0);
    assert.equal(sampleValue(text, METRIC_NAMES.restoreRestored, at('1')), 10);
  });

  void test('the application label is on every series, default process metrics included', async () => {
    const m = createMetrics({ application: 'shop' });
    m.recordsIn('balances', 2);
    const text = await scrape(m);
    assert.equal(
      sampleValue(text, METRIC_NAMES.recordsIn, { projection: 'balances', application: 'shop' }),
      2,
    );
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ]) {
      const [s] = samplesOf(text, name);
      assert.ok(s, `${name} present`);
      assert.equal(s.labels.application, 'shop');
      assert.ok(s.value > 0, `${name} > 0`);
    }
    assert.ok(text.samples.every((s) => s.labels.application === 'shop'));
  });

  void test('two instances do not share counters', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.recordsIn('p', 5);
    assert.equal(samplesOf(await scrape(b), METRIC_NAMES.recordsIn).length, 0);
    assert.equal(sampleValue(await scrape(a), METRIC_NAMES.recordsIn), 5);
  });

  void test('readiness and task states are gauges read at scrape time', async () => {
    const health = new HealthState();
    const m = createMetrics({ defaultMetrics: false, health });
    let text = await scrape(m);
    assert.equal(sampleValue(text, METRIC_NAMES.ready), 0);
    health.started();
    health.assigned([0, 1]);
    health.restored(0);
    text = await scrape(m);
    assert.equal(sampleValue(text, METRIC_NAMES.ready), 0);
    assert.equal(sampleValue(text, METRIC_NAMES.tasks, { state: 'restoring' }), 1);
    assert.equal(sampleValue(text, METRIC_NAMES.tasks, { state: 'running' }), 1);
    health.restored(1);
    text = await scrape(m);
    assert.equal(sampleValue(text, METRIC_NAMES.ready), 1);
    assert.equal(sampleValue(text, METRIC_NAMES.tasks, { state: 'running' }), 2);
  });

  void test('the snapshot sums up projections and commits', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.recordsIn('balances', 4);
    m.recordsOut('balances', 3);
    m.recordsOut('revenue_by_customer', 1);
    m.commitLatency(0.5);
    m.commitLatency(0.25);
    m.lag('account-events', 2, 9);
    const snap = await m.snapshot();
    assert.deepEqual(snap.projections, {
      balances: { in: 4, out: 3 },
      revenue_by_customer: { in: 0, out: 1 },
    });
    assert.deepEqual(snap.commits, { count: 2, sumSeconds: 0.75 });
    assert.deepEqual(snap.lag, [{ topic: 'account-events', partition: 2, records: 9 }]);
  });

  void test('the content type is the Prometheus text format', () => {
    assert.match(createMetrics({ defaultMetrics: false }).contentType, /^text\/plain; version=0\.0\.4/);
  });
});

void test('process CPU counts from process start, not from when the metrics were made', async () => {
  const before = process.cpuUsage();
  const m = createMetrics({ application: 'shop' });
  const text = await scrape(m);
  const [user] = samplesOf(text, 'process_cpu_user_seconds_total');
  const [total] = samplesOf(text, 'process_cpu_seconds_total');
  assert.ok(user && total, 'both present');
  // this process has run for a while before the registry existed: all of it is counted
  assert.ok(user.value >= before.user / 1e6, `${user.value} >= ${before.user / 1e6}`);
  assert.ok(total.value >= (before.user + before.system) / 1e6);
  assert.equal(samplesOf(text, 'process_cpu_user_seconds_total').length, 1, 'one series, not two');
});

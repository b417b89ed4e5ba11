// The observer behind `streamfold run`'s metrics and readiness, over a fake application.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { HealthState } from '../../../runtime/metrics/health.ts';
import { Metrics } from '../../../runtime/metrics/metrics.ts';
import { type ObservedApp, type ObservedTask, RuntimeObserver } from '../../../runtime/serve/observer.ts';
import { define } from '../engine/helpers.ts';

const topology = compileTopology(
  define({
    sources: { accounts: { topic: 'acc', key: 'accountId' } },
    projections: {
      balances: { from: 'accounts', aggregate: { n: { count: '*' } } },
      by_n: { from: 'balances', groupBy: 'n', aggregate: { k: { count: '*' } } },
    },
  }),
);

function fakeTask(id: number, state: ObservedTask['state']): ObservedTask & { emitted: Map<string, number> } {
  const emitted = new Map<string, number>();
  return {
    id,
    state,
    positions: new Map([['acc', 7]]),
    counters: { emitted },
    emitted,
    restoreProgress: state === 'restoring' ? { restored: 3, total: 10 } : undefined,
    stores: {
      storeNames: () => ['app-balances-agg'],
      countRows: async () => 4,
      approximateSize: async () => 1024,
    },
  };
}

/** An observer of started tasks, with store sizes taken at every poll. */
function runningObserver(
  tasks: Map<number, ObservedTask>,
  options: { taskLabel?: (task: number) => string } = {},
) {
  const app: ObservedApp = { taskMap: () => tasks, status: () => ({ joins: 1 }), restoreLog: [] };
  const health = new HealthState();
  health.started();
  const metrics = new Metrics({ defaultMetrics: false });
  const observer = new RuntimeObserver({
    app,
    topology,
    metrics,
    health,
    ...options,
    endOffsets: async () => new Map(),
    storeIntervalMs: 0,
  });
  return { observer, health, metrics };
}

describe('RuntimeObserver', () => {
  it('counts first-writer-wins rejections: records the tasks sent to the rejections topic', async () => {
    const task = fakeTask(0, 'running');
    const sent = new Map([
      [`${topology.application}-rejections`, 3],
      [`${topology.application}-by_n-repartition`, 5],
    ]);
    const observed = { ...task, counters: { emitted: task.emitted, sent } };
    const app: ObservedApp = {
      taskMap: () => new Map([[0, observed]]),
      status: () => ({ joins: 0 }),
      restoreLog: [],
    };
    const health = new HealthState();
    const metrics = new Metrics({ defaultMetrics: false, health });
    const observer = new RuntimeObserver({
      app,
      topology,
      metrics,
      health,
      endOffsets: async () => new Map(),
    });
    const rejected = async () =>
      /^streamfold_rejected_events_total (\d+)$/m.exec(await metrics.metricsText())?.[1];
    await observer.poll();
    assert.equal(await rejected(), '3');
    sent.set(`${topology.application}-rejections`, 5);
    await observer.poll();
    await observer.poll();
    assert.equal(await rejected(), '5', 'each rejection counted once');
  });

  it('counts events of types no projection acts on, per source and type, each once', async () => {
    const unhandled = [{ source: 'accounts', type: 'AccountNoticed', count: 2 }];
    const app: ObservedApp = {
      taskMap: () => new Map(),
      status: () => ({ joins: 0 }),
      restoreLog: [],
      unhandledEvents: () => unhandled,
    };
    const health = new HealthState();
    const metrics = new Metrics({ defaultMetrics: false, health });
    const observer = new RuntimeObserver({
      app,
      topology,
      metrics,
      health,
      endOffsets: async () => new Map(),
    });
    const counted = async () =>
      /^streamfold_unhandled_events_total\{source="accounts",type="AccountNoticed"\} (\d+)$/m.exec(
        await metrics.metricsText(),
      )?.[1];
    await observer.poll();
    assert.equal(await counted(), '2');
    unhandled[0]!.count = 5;
    await observer.poll();
    await observer.poll();
    assert.equal(await counted(), '5');
  });

  it('turns the application’s tasks and hooks into metrics, readiness and join notices', async () => {
    const tasks = new Map<number, ObservedTask & { emitted: Map<string, number> }>([
      [0, fakeTask(0, 'running')],
      [1, fakeTask(1, 'restoring')],
    ]);
    let joins = 1;
    const app: ObservedApp = {
      taskMap: () => tasks,
      status: () => ({ joins }),
      restoreLog: [{ task: 0, records: 12 }],
    };
    const health = new HealthState();
    health.started();
    const metrics = new Metrics({ defaultMetrics: false, health });
    let joined = 0;
    const observer = new RuntimeObserver({
      app,
      topology,
      metrics,
      health,
      endOffsets: async () =>
        new Map([
          [0, 10],
          [1, 7],
        ]),
      onJoin: () => joined++,
      storeIntervalMs: 0,
    });
    // Records in: counted per record by the application's hook, per projection reading the topic.
    for (let i = 0; i < 5; i++) app.onProcessed!('acc', 0, i);
    app.onProcessed!('app-by_n-repartition', 0, 0); // an exchange topic: no projection's input
    tasks.get(0)!.emitted.set('balances', 4);
    await observer.poll();
    let s = await metrics.snapshot();
    assert.deepEqual(s.projections, { balances: { in: 5, out: 4 } });
    // Lag of running tasks only: end 10 − position 7.
    assert.deepEqual(s.lag, [{ topic: 'acc', partition: 0, records: 3 }]);
    assert.deepEqual(
      s.restore.sort((a, b) => a.task.localeCompare(b.task)),
      [
        { store: 'all', task: '0', restored: 12, total: 12 },
        { store: 'all', task: '1', restored: 3, total: 10 },
      ],
    );
    assert.deepEqual(s.stores, [{ store: 'app-balances-agg', task: '0', rows: 4, bytes: 1024 }]);
    assert.equal(health.readiness().ready, false);
    assert.equal(joined, 1);

    // Task 1 restored, more output (counted once), a rebalance took task 0 away.
    tasks.get(1)!.emitted.set('balances', 2);
    tasks.set(1, { ...tasks.get(1)!, state: 'running', restoreProgress: { restored: 10, total: 10 } });
    tasks.delete(0);
    joins = 2;
    await observer.poll();
    await observer.poll();
    s = await metrics.snapshot();
    assert.equal(s.projections.balances!.out, 6);
    assert.deepEqual(s.lag, [{ topic: 'acc', partition: 1, records: 0 }]);
    assert.deepEqual(
      s.stores.map((x) => x.task),
      ['1'],
    );
    assert.equal(health.readiness().ready, true);
    assert.equal(joined, 2);
    assert.equal(observer.endOffset('acc', 0), 10);
    await observer.stop();
  });

  it('is not ready while an assigned task still opens its stores (not in taskMap yet)', async () => {
    const tasks = new Map([[0, fakeTask(0, 'running')]]);
    let assigned = [0, 1];
    const app: ObservedApp = {
      taskMap: () => tasks,
      status: () => ({ joins: 1 }),
      restoreLog: [],
      assignedTaskIds: () => assigned,
    };
    const health = new HealthState();
    health.started();
    const observer = new RuntimeObserver({
      app,
      topology,
      metrics: new Metrics({ defaultMetrics: false }),
      health,
      endOffsets: async () => new Map(),
    });
    await observer.poll();
    assert.deepEqual(health.readiness().restoring, [1]);
    assigned = [0];
    await observer.poll();
    assert.equal(health.readiness().ready, true);
  });

  it('names the tasks of a version group with its taskLabel, in readiness and store metrics', async () => {
    const { observer, health, metrics } = runningObserver(new Map([[0, fakeTask(0, 'running')]]), {
      taskLabel: (task) => `app-balances-v2/${task}`,
    });
    await observer.poll();
    assert.deepEqual(health.readiness().restored, ['app-balances-v2/0']);
    const s = await metrics.snapshot();
    assert.deepEqual(
      s.stores.map((x) => x.task),
      ['app-balances-v2/0'],
    );
    assert.deepEqual(
      s.restore.map((x) => x.task),
      ['app-balances-v2/0'],
    );
  });

  it('counts a store with a long walk less often, and reports its bytes every time', async () => {
    const walks = { slow: 0, fast: 0 };
    const slow = fakeTask(0, 'running');
    slow.stores.countRows = async () => {
      walks.slow++;
      await new Promise((r) => setTimeout(r, 40));
      return 7;
    };
    const fast = fakeTask(1, 'running');
    fast.stores.countRows = async () => (walks.fast++, 4);
    const { observer, metrics } = runningObserver(
      new Map([
        [0, slow],
        [1, fast],
      ]),
    );
    // 300 ms apart: a fast walk is counted again even when a loaded machine makes it take a few ms
    const pause = () => new Promise((r) => setTimeout(r, 300));
    await observer.poll();
    await pause();
    await observer.poll();
    await pause();
    await observer.poll();
    // the 40 ms walk is not repeated within 50 × 40 ms; a fast walk is
    assert.deepEqual(walks, { slow: 1, fast: 3 });
    const s = await metrics.snapshot();
    assert.deepEqual(
      s.stores.map((x) => [x.task, x.rows, x.bytes]),
      [
        ['0', 7, 1024],
        ['1', 4, 1024],
      ],
    );
  });
});

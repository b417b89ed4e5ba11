// Time travel against a real broker: the runtime writes history through its task stores, the
// asOf answers at known event times equal the pure engine's, and a second instance that starts
// with an empty state directory restores the history from the changelog and answers the same.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Definition } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { type AsOf, headKey, readAsOf as readEngine } from '../../../projections/history/index.ts';
import { changelogTopic } from '../../../runtime/kafka/admin/index.ts';
import { readAsOf } from '../../../runtime/stores/history-read.ts';
import { stateDirectory, TaskStores } from '../../../runtime/stores/index.ts';
import {
  createSources,
  produceEvents,
  type SeedEvent,
  seedEvents,
  shopDefinition,
  startApp,
  waitCaughtUp,
} from '../runtime/harness.ts';
import { testDir } from '../helpers.ts';

const PARTITIONS = 2;
// Keyed by their input key, so each key's versions come in the same order in every partitioning.
const PROJECTIONS = ['balances', 'customer_profiles'] as const;

const dirs = [testDir('history-1'), testDir('history-2')];

/** Every key's answer just before, at and just after each of its event times. */
function probes(events: SeedEvent[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const e of events) for (const dt of [-1, 0, 1]) out.push([e.key, e.timestamp + dt]);
  return out;
}

/** asOf answers over the task databases of a stopped instance, each key read where it lives. */
async function runtimeAnswers(
  definition: Definition,
  stateDir: string,
  questions: Array<[string, string, number]>,
): Promise<Map<string, AsOf>> {
  const tasks = await Promise.all(
    Array.from({ length: PARTITIONS }, (_, p) =>
      TaskStores.open({
        location: stateDirectory(stateDir, definition.application, p),
        changelogOf: (s) => ({ topic: changelogTopic(s), partition: p }),
      }),
    ),
  );
  try {
    const app = definition.application;
    const out = new Map<string, AsOf>();
    for (const [projection, key, t] of questions) {
      const store = `${app}-${projection}-history`;
      const owner = tasks.find((s) => s.store(store).get(headKey(key)) !== undefined) ?? tasks[0]!;
      out.set(`${projection}/${key}@${t}`, readAsOf(owner, app, projection, key, t));
    }
    return out;
  } finally {
    await Promise.all(tasks.map((s) => s.close()));
  }
}

test(
  'asOf answers at known event times, from the runtime and again after a restore',
  { timeout: 180_000 },
  async () => {
    const shop = shopDefinition('history');
    for (const p of PROJECTIONS) shop.definition.projections[p]!.history = { retention: '30d' };
    await createSources(shop, PARTITIONS);
    const events = seedEvents(shop, 1500);
    await produceEvents(events);

    // The oracle: the pure engine over the same events.
    const executor = new Executor(compileTopology(shop.definition), { json: true, collect: false });
    for (const e of events)
      executor.process({ topic: e.topic, key: e.key, value: e.value, timestamp: e.timestamp });
    const topicOf = { balances: shop.topics.accounts, customer_profiles: shop.topics.customers };
    const questions: Array<[string, string, number]> = PROJECTIONS.flatMap((p) =>
      probes(events.filter((e) => e.topic === topicOf[p])).map(
        ([k, t]) => [p, k, t] as [string, string, number],
      ),
    );
    const expected = new Map(
      questions.map(([p, k, t]) => [
        `${p}/${k}@${t}`,
        readEngine(executor.stores, shop.definition.application, p, k, t),
      ]),
    );
    const kinds = new Set([...expected.values()].map((a) => a.kind));
    assert.ok(kinds.has('row') && kinds.has('absent'), 'the probes see rows and deletes');
    assert.ok(questions.length > 2000, `${questions.length} questions`);

    const first = startApp(shop.definition, dirs[0]!);
    await first.start();
    try {
      await waitCaughtUp(first, 90_000);
    } finally {
      await first.stop();
    }
    assert.deepEqual(await runtimeAnswers(shop.definition, dirs[0]!, questions), expected);

    // Same application, empty state directory: every store, history included, comes back from its
    // changelog (the group's committed offsets keep the sources from being reprocessed).
    const second = startApp(shop.definition, dirs[1]!);
    let processed = 0;
    second.onProcessed = () => processed++;
    await second.start();
    try {
      await waitCaughtUp(second, 90_000);
    } finally {
      await second.stop();
    }
    assert.equal(processed, 0, 'the second instance restored; it processed no record again');
    assert.deepEqual(await runtimeAnswers(shop.definition, dirs[1]!, questions), expected);
  },
);

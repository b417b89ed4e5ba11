// Output topics are real compacted tables: after the log cleaner has run, each key of a
// projection's output topic holds exactly one live record, and that record is the oracle's row.
// The test pre-creates the output topics with a short segment time so the cleaner gets to work
// within the test (the runtime accepts existing topics whose partition count and policy match).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { createTopic, produce, readToEnd, testDir } from '../helpers.ts';
import {
  createSources,
  oracle,
  plain,
  produceEvents,
  type SeedEvent,
  seedEvents,
  type ShopApp,
  shopDefinition,
  startApp,
  waitCaughtUp,
} from './harness.ts';

const PARTITIONS = 3;
const dir = testDir('compaction');
const ROLL_KEY = '__segment_roll__';
let shop: ShopApp;
let events: SeedEvent[];

before(async () => {
  shop = shopDefinition('compaction');
  await createSources(shop, PARTITIONS);
  for (const p of compileTopology(shop.definition).projections) {
    if (!p.topic || p.internalTopic) continue;
    await createTopic(p.topic, {
      partitions: PARTITIONS,
      configs: {
        'cleanup.policy': 'compact',
        'segment.ms': 100,
        'min.cleanable.dirty.ratio': 0.01,
        'delete.retention.ms': 60_000,
      },
    });
  }
  events = seedEvents(shop, 3_000);
});

test('each output topic holds one live record per key after compaction', { timeout: 120_000 }, async () => {
  // Two rounds, each committed, so rows updated in both rounds have superseded records.
  const app = startApp(shop.definition, dir);
  await app.start();
  try {
    await produceEvents(events.slice(0, 1_500));
    await waitCaughtUp(app);
    await produceEvents(events.slice(1_500));
    await waitCaughtUp(app);
  } finally {
    await app.stop();
  }
  const expected = plain((await oracle(shop.definition, events)).tables);
  const outputs = compileTopology(shop.definition).projections.filter((p) => p.topic && !p.internalTopic);
  assert.equal(outputs.length, 5);
  const superseded = await countSuperseded(outputs.map((p) => p.topic!));
  assert.ok(
    superseded > 0,
    'no key had more than one record before compaction: the test would prove nothing',
  );

  // The active segment is never cleaned: roll every partition with one more record (a tombstone
  // for a key no table has) once segment.ms has passed.
  await new Promise((r) => setTimeout(r, 300));
  for (const p of outputs) {
    await produce(
      p.topic!,
      Array.from({ length: PARTITIONS }, (_, partition) => ({ key: ROLL_KEY, value: null, partition })),
    );
  }

  for (const p of outputs) {
    const deadline = Date.now() + 60_000;
    let duplicates: string[] = [];
    let records: Awaited<ReturnType<typeof readToEnd>> = [];
    for (;;) {
      records = (await readToEnd(p.topic!)).filter((r) => r.key !== ROLL_KEY);
      duplicates = duplicateKeys(records);
      if (duplicates.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    assert.deepEqual(duplicates, [], `${p.name}: keys with more than one record after compaction`);
    // The live records are the table: upserts equal the oracle's rows, tombstones only for deleted keys.
    const live = Object.fromEntries(
      records.filter((r) => r.value !== null).map((r) => [r.key!, JSON.parse(r.value!) as unknown]),
    );
    assert.deepEqual(live, expected[p.name], `${p.name}: live records differ from the oracle`);
    assert.ok(Object.keys(live).length > 0, `${p.name} is empty`);
  }
});

function duplicateKeys(records: Array<{ key: string | null }>): string[] {
  const seen = new Map<string, number>();
  for (const r of records) seen.set(r.key!, (seen.get(r.key!) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([k]) => k);
}

async function countSuperseded(topics: string[]): Promise<number> {
  let n = 0;
  for (const t of topics) n += duplicateKeys(await readToEnd(t)).length;
  return n;
}

// The runtime end to end on the real broker and LevelDB, with the pure engine as the oracle:
// seed-domain events over 3 partitions → stores and compacted output topics equal the Executor's;
// a restart re-reads nothing; a lost disk (and deleted source records) is rebuilt from changelogs.
// Aggregates keep no rows store: queries derive their rows from the group states.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { before, test } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { names } from '../../../projections/graph/names.ts';
import { changelogTopic, describeTopicConfigs } from '../../../runtime/kafka/admin/index.ts';
import { kafka, testDir } from '../helpers.ts';
import {
  comparableStores,
  createSources,
  oracle,
  outputTables,
  plain,
  produceEvents,
  queriedRows,
  taskStoreContents,
  type SeedEvent,
  seedEvents,
  type ShopApp,
  shopDefinition,
  startApp,
  storeContents,
  waitCaughtUp,
} from './harness.ts';

const PARTITIONS = 3;
const dir = testDir('runtime');
let shop: ShopApp;
let events: SeedEvent[];

before(async () => {
  shop = shopDefinition('e2e', {}, { windows: true });
  await createSources(shop, PARTITIONS);
  events = seedEvents(shop, 3_000);
  await produceEvents(events);
});

test(
  'seed-domain events end up as the oracle tables in the stores and the output topics',
  { timeout: 90_000 },
  async () => {
    const app = startApp(shop.definition, dir);
    await app.start();
    try {
      await waitCaughtUp(app);
      assert.equal(app.status().tasks.length, PARTITIONS);
    } finally {
      await app.stop();
    }
    const expected = await oracle(shop.definition, events);
    assert.deepEqual(plain(await outputTables(shop.definition)), plain(expected.tables));
    assert.deepEqual(
      comparableStores(await storeContents(shop.definition, dir, PARTITIONS)),
      comparableStores(expected.stores),
    );
    // not vacuous: every projection has rows
    for (const [name, rows] of expected.tables) assert.ok(rows.size > 0, `${name} is empty`);
    // what queries read (derived from the group states for aggregates) is the output topics' rows
    const outputs = await outputTables(shop.definition);
    const queried = await queriedRows(
      shop.definition,
      await taskStoreContents(shop.definition, dir, PARTITIONS),
    );
    assert.deepEqual(plain(queried), plain(new Map([...outputs].filter(([name]) => queried.has(name)))));
  },
);

test('output topics and changelogs are compacted; aggregates have no rows changelog', async () => {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const topology = compileTopology(shop.definition);
    const aggregates = topology.projections.filter((p) => p.rows?.derived).map((p) => p.name);
    assert.ok(aggregates.length > 0);
    const topics = new Set(await admin.listTopics());
    for (const p of aggregates) {
      assert.ok(topics.has(changelogTopic(names.aggregateStore(shop.definition.application, p))), p);
      assert.ok(!topics.has(changelogTopic(names.rowsStore(shop.definition.application, p))), p);
    }
    const outputs = topology.projections.flatMap((p) => (p.topic ? [p.topic] : []));
    const changelogs = topology.subTopologies.flatMap((s) => s.stores.map((st) => changelogTopic(st.name)));
    assert.ok(outputs.length === 8 && changelogs.length > 8);
    const configs = await describeTopicConfigs(admin, [...outputs, ...changelogs], ['cleanup.policy']);
    for (const t of [...outputs, ...changelogs])
      assert.equal(configs.get(t)?.get('cleanup.policy'), 'compact', t);
  } finally {
    await admin.disconnect();
  }
});

test('a restart re-reads no input and keeps the state', { timeout: 60_000 }, async () => {
  const before = await storeContents(shop.definition, dir, PARTITIONS);
  const app = startApp(shop.definition, dir);
  const sourceTopics = new Set(Object.values(shop.topics));
  let reread = 0;
  app.onProcessed = (topic) => {
    if (sourceTopics.has(topic)) reread++;
  };
  await app.start();
  try {
    await waitCaughtUp(app);
    assert.equal(reread, 0, 'source records processed again after a restart');
    assert.equal(app.status().processed, 0, 'records of any topic processed again');
    // and it still processes new input
    const more = seedEvents(shop, 200, 7, 10_000);
    await produceEvents(more);
    events.push(...more);
    await waitCaughtUp(app);
    assert.equal(reread, more.length);
  } finally {
    await app.stop();
  }
  const expected = await oracle(shop.definition, events);
  assert.notDeepEqual(
    comparableStores(before),
    comparableStores(expected.stores),
    'the new events changed something',
  );
  assert.deepEqual(
    comparableStores(await storeContents(shop.definition, dir, PARTITIONS)),
    comparableStores(expected.stores),
  );
  assert.deepEqual(plain(await outputTables(shop.definition)), plain(expected.tables));
});

test('a lost state directory is rebuilt from the changelogs alone', { timeout: 60_000 }, async () => {
  const expectedTasks = await taskStoreContents(shop.definition, dir, PARTITIONS);
  const expected = await storeContents(shop.definition, dir, PARTITIONS);
  const changelogs = compileTopology(shop.definition).subTopologies.flatMap((s) =>
    s.stores.map((st) => changelogTopic(st.name)),
  );
  await rm(dir, { recursive: true, force: true });
  // The sources are gone too: only the changelogs can bring the state back.
  const admin = kafka().admin();
  await admin.connect();
  try {
    for (const topic of Object.values(shop.topics)) {
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.deleteTopicRecords({
        topic,
        partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })),
      });
      const after = await admin.fetchTopicOffsets(topic);
      assert.ok(
        after.every((o) => o.low === o.high),
        `records of ${topic} deleted`,
      );
    }
  } finally {
    await admin.disconnect();
  }
  const app = startApp(shop.definition, dir);
  await app.start();
  try {
    await waitCaughtUp(app);
    assert.equal(app.status().processed, 0);
  } finally {
    await app.stop();
  }
  const rebuiltTasks = await taskStoreContents(shop.definition, dir, PARTITIONS);
  const rebuilt = await storeContents(shop.definition, dir, PARTITIONS);
  assert.deepEqual(plain(rebuilt), plain(expected), 'byte-identical rebuild');
  // The restore read the stores' changelogs and nothing else (no rows changelog of aggregates) ...
  const restored = app.restoreLog.reduce((n, r) => n + r.records, 0);
  assert.ok(restored > 0 && restored <= (await recordsIn(changelogs)), `${restored} records restored`);
  // ... and queries answer the same rows as before the wipe.
  assert.deepEqual(
    plain(await queriedRows(shop.definition, rebuiltTasks)),
    plain(await queriedRows(shop.definition, expectedTasks)),
  );
});

/** Records between the low and high watermarks of every partition of the topics. */
async function recordsIn(topics: string[]): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    let n = 0;
    for (const topic of topics)
      for (const o of await admin.fetchTopicOffsets(topic)) n += Number(o.high) - Number(o.low);
    return n;
  } finally {
    await admin.disconnect();
  }
}

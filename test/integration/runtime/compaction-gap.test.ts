// A compacted input topic whose partition starts with a batch the log cleaner emptied (an aborted
// transaction removed): what a crash leaves on an output topic that another projection, a new
// version or a reader consumes from its beginning. kafkajs alone fetches the empty batch forever and
// the task for that partition never processes anything; with the fetch patch it moves past it.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { abortedAndCompactedAway, createTopics, testDir } from '../helpers.ts';
import {
  createSources,
  oracle,
  outputTables,
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
const dir = testDir('compaction-gap');
let shop: ShopApp;
let events: SeedEvent[];

before(async () => {
  shop = shopDefinition('gap');
  // The customers source is compacted (a table's topic); the others as usual.
  await createTopics([shop.topics.customers], {
    partitions: PARTITIONS,
    configs: { 'cleanup.policy': 'compact' },
  });
  await createSources(shop, PARTITIONS);
  await abortedAndCompactedAway(shop.topics.customers, 0);
  events = seedEvents(shop, 1_500);
  await produceEvents(events);
});

test(
  'a task reads past a batch emptied by compaction at the start of its input',
  { timeout: 90_000 },
  async () => {
    const app = startApp(shop.definition, dir);
    await app.start();
    try {
      await waitCaughtUp(app);
    } finally {
      await app.stop();
    }
    const expected = await oracle(shop.definition, events);
    const customers = events.filter((e) => e.topic === shop.topics.customers).length;
    assert.ok(customers > 0, 'no customer events: the test would prove nothing');
    assert.deepEqual(plain(await outputTables(shop.definition)), plain(expected.tables));
  },
);

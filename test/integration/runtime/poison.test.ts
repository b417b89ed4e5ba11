// A record that cannot be decoded is skipped and counted; the records around it are processed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PoisonRecord } from '../../../runtime/formats/index.ts';
import { produce, testDir } from '../helpers.ts';
import {
  createSources,
  oracle,
  outputTables,
  plain,
  produceEvents,
  seedEvents,
  shopDefinition,
  startApp,
  waitCaughtUp,
} from './harness.ts';

const dir = testDir('poison');

test('an undecodable record is skipped and counted; processing goes on', { timeout: 60_000 }, async () => {
  const shop = shopDefinition('poison');
  await createSources(shop, 1);
  const good = seedEvents(shop, 300, 3);
  await produceEvents(good.slice(0, 150));
  await produce(shop.topics.accounts, [
    { key: 'a1', value: '{"eventType": "MoneyDeposited", "amount": ' },
    { key: 'a2', value: Buffer.from([0xff, 0xfe, 0x00]) },
  ]);
  await produceEvents(good.slice(150));

  const seen: PoisonRecord[] = [];
  // The default handler logs and counts; this one records what it was given (the dead-letter hook).
  const withHook = startApp(shop.definition, dir, { onPoison: (p) => seen.push(p) });
  await withHook.start();
  try {
    await waitCaughtUp(withHook);
    assert.equal(withHook.status().failedCommits, 0);
  } finally {
    await withHook.stop();
  }
  assert.equal(seen.length, 2);
  assert.deepEqual(
    seen.map((p) => [p.stage, p.kind, p.raw.topic, p.raw.offset]),
    [
      ['decode', 'value-not-json', shop.topics.accounts, seen[0]!.raw.offset],
      ['decode', 'value-not-json', shop.topics.accounts, seen[0]!.raw.offset + 1],
    ],
  );
  assert.equal(seen[0]!.raw.key?.toString(), 'a1', 'the raw bytes travel with the poison record');
  const expected = await oracle(shop.definition, good);
  assert.deepEqual(plain(await outputTables(shop.definition)), plain(expected.tables));
});

test('the default handler counts poison records by kind', { timeout: 60_000 }, async () => {
  const shop = shopDefinition('poison2');
  await createSources(shop, 1);
  await produce(shop.topics.customers, [{ key: 'c1', value: 'not json' }]);
  const good = seedEvents(shop, 50, 4);
  await produceEvents(good);
  const app = startApp(shop.definition, join(dir, 'second'));
  await app.start();
  try {
    await waitCaughtUp(app);
    assert.equal(app.status().poison, 1);
    assert.equal(app.poison.byKind.get('value-not-json'), 1);
    assert.ok(app.status().processed > good.length, 'good records and downstream records were processed');
  } finally {
    await app.stop();
  }
});

// Poison records through the real runtime: ten kinds of bad records interleaved with good ones each
// land in the dead-letter topic with the original bytes and the error headers; the good records
// around them are processed; after the definition is fixed, `streamfold dlq replay` brings the
// state to the oracle.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Definition } from '../../../projections/definition/schema.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { DLQ_HEADERS, readDeadLetters } from '../../../runtime/dlq/index.ts';
import { createRegistryCodec } from '../../../runtime/formats/registry/index.ts';
import { createTopic, kafka, uniqueTopic, testDir } from '../helpers.ts';
import { oracle, outputTables, plain, type SeedEvent, startApp, waitCaughtUp } from '../runtime/harness.ts';

const registryUrl = process.env.SCHEMA_REGISTRY_URL;
const main = fileURLToPath(new URL('../../../runtime/cli/main.ts', import.meta.url));

const dir = testDir('dlq');

function definition(app: string, topics: Record<string, string>, fixed: boolean): Definition {
  const raw = {
    application: app,
    schemaRegistry: { url: registryUrl },
    processing: { guarantee: 'at_least_once', commitIntervalMs: 100 },
    sources: {
      accounts: {
        topic: topics.accounts,
        key: 'accountId',
        eventType: 'eventType',
        version: 'v',
        upcast: { MoneyDeposited: [{ from: 1, rename: { cents: 'amount' } }] },
        fields: {
          accountId: 'string',
          eventType: 'string',
          v: 'int',
          cents: 'number',
          amount: 'number',
          divisor: 'number',
        },
      },
      tagged: { topic: topics.tagged },
      measured: { topic: topics.measured, key: 'id', format: 'json-schema' },
    },
    projections: {
      balances: {
        from: 'accounts',
        aggregate: {
          // int division by zero is an expression error; the fix guards it
          share: {
            sum: fixed ? 'int(divisor) == 0 ? 0 : int(amount) / int(divisor)' : 'int(amount) / int(divisor)',
          },
          deposits: { count: '*' },
        },
      },
      tags: { from: 'tagged', aggregate: { n: { count: '*' } } },
      measures: { from: 'measured', aggregate: { total: { sum: 'size' } } },
    },
  };
  return parseConfig(JSON.stringify(raw), 'dead-letters.yaml', {});
}

test(
  'ten kinds of poison records land in the DLQ with their headers; replay after the fix reaches the oracle',
  { timeout: 120_000, skip: registryUrl ? false : 'SCHEMA_REGISTRY_URL is not set' },
  async () => {
    const app = uniqueTopic('dlq').replaceAll('-', '_');
    const topics = { accounts: `${app}-accounts`, tagged: `${app}-tagged`, measured: `${app}-measured` };
    for (const t of Object.values(topics)) await createTopic(t, { configs: { 'retention.ms': -1 } });
    const codec = createRegistryCodec({ url: registryUrl! });
    const schemaId = await codec.register(`${topics.measured}-value`, {
      format: 'json-schema',
      schema: {
        type: 'object',
        properties: { id: { type: 'string' }, size: { type: 'number' } },
        required: ['id', 'size'],
      },
    });
    const framed = (id: number, value: unknown) => {
      const head = Buffer.alloc(5);
      head.writeInt32BE(id, 1);
      return Buffer.concat([head, Buffer.from(JSON.stringify(value))]);
    };
    const t0 = Date.now();
    const deposit = (id: string, amount: number, divisor = 2) => ({
      eventType: 'MoneyDeposited',
      accountId: id,
      amount,
      divisor,
      v: 2,
    });
    const good: SeedEvent[] = [];
    const fixable: SeedEvent[] = [];
    // [topic, key, value bytes, expected kind, expected projection]
    const bad: Array<[string, string | null, Buffer | null, string, string | undefined]> = [];
    const send: Array<{ topic: string; key: string | null; value: Buffer | null }> = [];
    const addGood = (topic: string, key: string, value: Record<string, unknown>, bytes?: Buffer) => {
      good.push({ topic, key, value, timestamp: t0 });
      send.push({ topic, key, value: bytes ?? Buffer.from(JSON.stringify(value)) });
    };
    const addBad = (
      topic: string,
      key: string | null,
      value: Buffer | null,
      kind: string,
      projection?: string,
    ) => {
      bad.push([topic, key, value, kind, projection]);
      send.push({ topic, key, value });
    };
    for (let i = 0; i < 3; i++) {
      addGood(topics.accounts, `a${i}`, deposit(`a${i}`, 100 + i));
      addGood(topics.accounts, `a${i}`, {
        eventType: 'MoneyDeposited',
        accountId: `a${i}`,
        cents: 40,
        divisor: 4,
      }); // v1, upcast
      addGood(topics.tagged, `t${i}`, { any: i });
      addGood(
        topics.measured,
        `m${i}`,
        { id: `m${i}`, size: i + 1 },
        framed(schemaId, { id: `m${i}`, size: i + 1 }),
      );
    }
    addBad(topics.accounts, 'a0', Buffer.from('{"eventType": "MoneyDeposited", '), 'decode');
    addBad(topics.accounts, 'a1', Buffer.from('42'), 'decode');
    addBad(topics.accounts, 'a1', Buffer.alloc(0), 'decode');
    addBad(topics.tagged, null, Buffer.from('{"any": 1}'), 'missing-key');
    addBad(topics.measured, 'm9', framed(987_654_321, { id: 'm9', size: 1 }), 'schema');
    addBad(topics.measured, 'm8', framed(schemaId, { id: 'm8', size: 'big' }), 'schema');
    addBad(topics.measured, 'm7', Buffer.from('{"id": "m7", "size": 1}'), 'decode');
    addBad(
      topics.accounts,
      'a2',
      Buffer.from(JSON.stringify({ ...deposit('a2', 5), amount: 'ten' })),
      'schema',
    );
    addBad(
      topics.accounts,
      'a2',
      Buffer.from(JSON.stringify({ ...deposit('a2', 5), v: -3 })),
      'upcast',
      'balances',
    );
    const zero = deposit('a0', 7, 0);
    addBad(topics.accounts, 'a0', Buffer.from(JSON.stringify(zero)), 'expression', 'balances');
    fixable.push({ topic: topics.accounts, key: 'a0', value: zero, timestamp: t0 });
    for (let i = 0; i < 3; i++) addGood(topics.accounts, `a${i}`, deposit(`a${i}`, 10 * (i + 1)));

    // Produce in order, remembering each bad record's offset.
    const expectedOffsets: number[] = [];
    const producer = kafka('streamfold-test-dlq').producer({ idempotent: true });
    await producer.connect();
    try {
      for (const r of send) {
        const [ack] = await producer.send({ topic: r.topic, messages: [{ key: r.key, value: r.value }] });
        const offset = Number(ack!.baseOffset);
        if (bad.some((b) => b[0] === r.topic && b[2] === r.value)) expectedOffsets.push(offset);
      }
    } finally {
      await producer.disconnect();
    }

    const broken = definition(app, topics, false);
    const stateDir = join(dir, 'state');
    const first = startApp(broken, stateDir);
    await first.start();
    try {
      await waitCaughtUp(first);
      assert.equal(first.status().deadLetters, bad.length);
    } finally {
      await first.stop();
    }
    const expected = await oracle(broken, good);
    assert.deepEqual(
      plain(await outputTables(broken)),
      plain(expected.tables),
      'the good records were processed',
    );

    const letters = await readDeadLetters(kafka('streamfold-test-dlq-read'), broken);
    assert.equal(letters.length, bad.length);
    const byOrigin = (topic: string, offset: number) =>
      letters.find((l) => l.source.topic === topic && l.source.offset === offset);
    for (const [i, [topic, key, value, kind, projection]] of bad.entries()) {
      const l = byOrigin(topic, expectedOffsets[i]!);
      assert.ok(l, `dead letter ${i} (${kind} on ${topic})`);
      assert.equal(l.kind, kind, `kind of dead letter ${i}: ${l.message}`);
      assert.equal(l.projection, projection, `projection of dead letter ${i}`);
      assert.equal(l.key?.toString() ?? null, key);
      assert.deepEqual(l.value ?? Buffer.alloc(0), value ?? Buffer.alloc(0), 'the original value bytes');
      assert.equal(l.source.partition, 0);
      assert.ok(l.message.length > 0);
      assert.ok(Math.abs(l.time - Date.now()) < 120_000);
    }
    assert.equal(new Set(letters.map((l) => l.at.topic)).size, 1);
    assert.ok(letters[0]!.headers[DLQ_HEADERS.kind] === undefined, 'error headers are not original headers');

    // The fix: the guarded expression; then replay the expression errors through the CLI.
    const fixedDef = definition(app, topics, true);
    const configFile = join(dir, 'fixed.yaml');
    await writeFile(configFile, JSON.stringify({ ...fixedDef, kafka: {} }));
    const replay = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        main,
        'dlq',
        'replay',
        '-c',
        configFile,
        '--brokers',
        process.env.KAFKA_BROKERS!,
        '--kind',
        'expression',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(replay.status, 0, replay.stderr);
    const second = startApp(fixedDef, stateDir);
    await second.start();
    try {
      await waitCaughtUp(second);
    } finally {
      await second.stop();
    }
    const fixedExpected = await oracle(fixedDef, [...good, ...fixable]);
    assert.deepEqual(plain(await outputTables(fixedDef)), plain(fixedExpected.tables));
    assert.notDeepEqual(plain(fixedExpected.tables), plain(expected.tables), 'the replayed record counts');
  },
);

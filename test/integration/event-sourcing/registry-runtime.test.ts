// Registry formats through the real runtime and the real registry: an Avro source whose schema
// changes from v1 to v2 in the middle of the stream (v2 adds a field with a default, read with
// the v2 reader schema), and an Avro output topic the registry client reads back.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Executor } from '../../../projections/graph/executor.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { encodeKey } from '../../../projections/keys.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { createRegistryCodec, valueSubject } from '../../../runtime/formats/registry/index.ts';
import { readTopicToEnd } from '../../../runtime/dlq/read-topic.ts';
import { createTopic, kafka, uniqueTopic, testDir } from '../helpers.ts';
import { startApp, waitCaughtUp } from '../runtime/harness.ts';

const registryUrl = process.env.SCHEMA_REGISTRY_URL;
const dir = testDir('registry-rt');

const v1 = {
  type: 'record',
  name: 'Payment',
  namespace: 'shop',
  fields: [
    { name: 'account', type: 'string' },
    { name: 'amount', type: 'long' },
  ],
};
const v2 = { ...v1, fields: [...v1.fields, { name: 'fee', type: 'long', default: 0 }] };
const output = {
  type: 'record',
  name: 'Balance',
  namespace: 'shop',
  fields: [
    { name: 'paid', type: 'long' },
    { name: 'fees', type: 'long' },
    { name: 'payments', type: 'long' },
  ],
};

test(
  'an Avro source changing v1 → v2 mid-stream, and an Avro output, through the runtime',
  { timeout: 90_000, skip: registryUrl ? false : 'SCHEMA_REGISTRY_URL is not set' },
  async () => {
    const app = uniqueTopic('avrort').replaceAll('-', '_');
    const source = `${app}-payments`;
    const outTopic = `${app}-balances`;
    await createTopic(source, { partitions: 2, configs: { 'retention.ms': -1 } });
    const codec = createRegistryCodec({ url: registryUrl! });
    await codec.register(valueSubject(outTopic), { format: 'avro', schema: output });
    const def = parseConfig(
      JSON.stringify({
        application: app,
        schemaRegistry: { url: registryUrl },
        sources: { payments: { topic: source, key: 'account', format: 'avro', readerSchema: v2 } },
        projections: {
          balances: {
            from: 'payments',
            aggregate: { paid: { sum: 'amount' }, fees: { sum: 'fee' }, payments: { count: '*' } },
            output: { topic: outTopic, format: 'avro' },
          },
        },
      }),
      'registry.yaml',
      {},
    );
    // 60 payments: the first half written with v1, the rest with v2 (fee set).
    const events: Array<{ key: string; value: Record<string, unknown> }> = [];
    const messages = [];
    for (let i = 0; i < 60; i++) {
      const account = `acc${i % 7}`;
      const value = i < 30 ? { account, amount: i + 1 } : { account, amount: i + 1, fee: i % 3 };
      const subject = {
        subject: valueSubject(source),
        schema: { format: 'avro' as const, schema: i < 30 ? v1 : v2 },
      };
      messages.push({ key: account, value: await codec.encode(subject, value) });
      events.push({ key: account, value: { fee: 0, ...value } });
    }
    const producer = kafka('streamfold-test-avro').producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: source, messages });
    await producer.disconnect();

    const running = startApp(def, join(dir, 'state'));
    await running.start();
    try {
      await waitCaughtUp(running);
      assert.equal(running.status().deadLetters, 0);
    } finally {
      await running.stop();
    }
    // The oracle: the pure engine over the decoded events (v1 read with v2's default fee 0).
    const expected = new Map<string, unknown>();
    const exec = new Executor(compileTopology(def), {
      json: true,
      collect: false,
      onOutput: (o) => expected.set(encodeKey(o.key), o.value),
    });
    for (const e of events) exec.process({ topic: source, key: e.key, value: e.value, timestamp: 1 });
    const reader = createRegistryCodec({ url: registryUrl! });
    const actual = new Map<string, unknown>();
    for (const { message } of await readTopicToEnd(kafka('streamfold-test-avro-read'), outTopic)) {
      if (message.key && message.value)
        actual.set(message.key.toString(), await reader.decode(message.value));
    }
    assert.equal(actual.size, 7);
    assert.deepEqual(Object.fromEntries(actual), Object.fromEntries(expected));
    assert.ok(
      [...actual.values()].some((v) => (v as { fees: number }).fees > 0),
      'v2 fees counted',
    );
  },
);

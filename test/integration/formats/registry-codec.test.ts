// Registry formats against the real registry (Apicurio's Confluent-compatible API, started by
// `npm test`): Avro and JSON Schema round trips, a v1 → v2 schema change in the middle of a topic,
// and the typed errors the dead-letter classifier turns into `decode` / `schema`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import registryClient from '@kafkajs/confluent-schema-registry';
import { classifyError } from '../../../runtime/dlq/index.ts';
import { readTopicToEnd } from '../../../runtime/dlq/read-topic.ts';
import { checkDefinition } from '../../../projections/definition/index.ts';
import {
  createRegistryCodec,
  outputEncoder,
  sourceCodec,
  RegistryDecodeError,
  RegistryEncodeError,
  RegistryUnavailableError,
  valueSubject,
} from '../../../runtime/formats/registry/index.ts';
import { messageAt, type ProtoType } from '../../../runtime/formats/registry/protobuf.ts';
import { createTopic, kafka, produce, uniqueTopic, registryUrl } from '../helpers.ts';

const { SchemaRegistry } = registryClient;

const accountV1 = {
  type: 'record',
  name: 'MoneyDeposited',
  namespace: 'streamfold.test',
  fields: [
    { name: 'accountId', type: 'string' },
    { name: 'amount', type: 'double' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
// BACKWARD-compatible: a field added with a default
const accountV2 = {
  ...accountV1,
  fields: [...accountV1.fields, { name: 'currency', type: 'string', default: 'EUR' }],
};

const orderSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: { orderId: { type: 'string' }, total: { type: 'number' }, items: { type: 'array' } },
  required: ['orderId', 'total'],
};

const decodeError = async (p: Promise<unknown>, kind: string): Promise<RegistryDecodeError> => {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RegistryDecodeError, `expected a RegistryDecodeError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return err;
  }
  assert.fail(`expected ${kind}`);
};

void describe('registry codec', () => {
  void it('Avro round trip: encode registers the schema, a fresh codec decodes plain JSON', async () => {
    const subject = valueSubject(uniqueTopic('avro-rt'));
    const writer = createRegistryCodec({ url: registryUrl() });
    const bytes = await writer.encode(
      { subject, schema: { format: 'avro', schema: accountV1 } },
      { accountId: 'a1', amount: 12.5, note: 'hi' },
    );
    assert.equal(bytes[0], 0);
    const codec = createRegistryCodec({ url: registryUrl(), format: 'avro' });
    const value = await codec.decode(bytes);
    assert.deepEqual(value, { accountId: 'a1', amount: 12.5, note: 'hi' });
    assert.equal(
      Object.getPrototypeOf(value),
      Object.prototype,
      'a plain object, not an Avro record instance',
    );
    // encoding by subject uses its latest schema; a value that does not fit is an encode error
    const again = await writer.encode(subject, { accountId: 'a2', amount: 1, note: null });
    assert.deepEqual(codec.decodeSync(again), { accountId: 'a2', amount: 1, note: null });
    await assert.rejects(writer.encode(subject, { accountId: 'a3', amount: 'ten' }), RegistryEncodeError);
  });

  void it('JSON Schema round trip; a value that breaks the schema is a schema error', async () => {
    const subject = valueSubject(uniqueTopic('json-rt'));
    const codec = createRegistryCodec({ url: registryUrl(), format: 'json-schema' });
    const order = { orderId: 'o1', total: 30, items: [{ sku: 'tea' }] };
    const bytes = await codec.encode(
      { subject, schema: { format: 'json-schema', schema: orderSchema } },
      order,
    );
    assert.deepEqual(await createRegistryCodec({ url: registryUrl() }).decode(bytes), order);
    await assert.rejects(codec.encode(subject, { orderId: 'o2' }), RegistryEncodeError);
    // a producer that skipped validation: framed with the schema id, but missing `total`
    const forged = Buffer.concat([bytes.subarray(0, 5), Buffer.from(JSON.stringify({ orderId: 'o3' }))]);
    const err = await decodeError(codec.decode(forged), 'schema-mismatch');
    assert.equal(classifyError(err), 'schema');
  });

  void it('a v1 → v2 schema change in the middle of a topic: both decode, with and without a reader schema', async () => {
    const topic = uniqueTopic('avro-evolve');
    const subject = valueSubject(topic);
    await createTopic(topic);
    const producerCodec = createRegistryCodec({ url: registryUrl() });
    const v1 = { subject, schema: { format: 'avro' as const, schema: accountV1 } };
    const v2 = { subject, schema: { format: 'avro' as const, schema: accountV2 } };
    const values = [
      await producerCodec.encode(v1, { accountId: 'a1', amount: 1, note: null }),
      await producerCodec.encode(v1, { accountId: 'a2', amount: 2, note: 'x' }),
      await producerCodec.encode(v2, { accountId: 'a1', amount: 3, note: null, currency: 'USD' }),
      await producerCodec.encode(v2, { accountId: 'a2', amount: 4, note: null, currency: 'EUR' }),
    ];
    assert.notEqual(values[0]!.readInt32BE(1), values[2]!.readInt32BE(1), 'two schema ids on one topic');
    await produce(
      topic,
      values.map((value, i) => ({ key: `k${i}`, value })),
    );
    const read = (await readTopicToEnd(kafka('streamfold-test-registry'), topic)).map(
      (r) => r.message.value!,
    );
    assert.equal(read.length, 4);

    // Writer shapes: v1 records have no currency (expressions read it as null)
    const plain = createRegistryCodec({ url: registryUrl(), format: 'avro' });
    await plain.prepare(read);
    assert.deepEqual(
      read.map((v) => plain.decodeSync(v)),
      [
        { accountId: 'a1', amount: 1, note: null },
        { accountId: 'a2', amount: 2, note: 'x' },
        { accountId: 'a1', amount: 3, note: null, currency: 'USD' },
        { accountId: 'a2', amount: 4, note: null, currency: 'EUR' },
      ],
    );
    // With v2 as the reader schema, v1 records get v2's default
    const resolved = createRegistryCodec({ url: registryUrl(), format: 'avro', readerSchema: accountV2 });
    await resolved.prepare(read);
    assert.deepEqual(
      read.map((v) => (resolved.decodeSync(v) as { currency: string }).currency),
      ['EUR', 'EUR', 'USD', 'EUR'],
    );
  });

  void it('typed failures: unframed bytes, unknown ids, the wrong format, a registry that is down', async () => {
    const codec = createRegistryCodec({ url: registryUrl(), format: 'avro' });
    const notFramed = await decodeError(codec.decode(Buffer.from('{"a":1}')), 'not-registry-framed');
    assert.equal(classifyError(notFramed), 'decode');
    await decodeError(codec.decode(Buffer.from([0, 1])), 'not-registry-framed');
    const unknownId = Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 1, 2]);
    const unknown = await decodeError(codec.decode(unknownId), 'unknown-schema');
    assert.equal(classifyError(unknown), 'schema');
    await codec.prepare([unknownId]);
    assert.throws(() => codec.decodeSync(unknownId), /the registry has no schema/);

    const json = await createRegistryCodec({ url: registryUrl() }).encode(
      {
        subject: valueSubject(uniqueTopic('wrong-format')),
        schema: { format: 'json-schema', schema: orderSchema },
      },
      { orderId: 'o1', total: 1 },
    );
    const wrong = await decodeError(codec.decode(json), 'schema-mismatch');
    assert.match(wrong.message, /is json-schema, but the source's format is avro/);

    const down = createRegistryCodec({ url: 'http://127.0.0.1:9/apis/ccompat/v7', retries: 0 });
    const valid = Buffer.from([0, 0, 0, 0, 1, 2]);
    await assert.rejects(down.prepare([valid]), RegistryUnavailableError);
  });

  void it('codecs from a definition: a source decodes with its reader schema, an output encodes with its subject', async () => {
    const topic = uniqueTopic('def-out');
    await createRegistryCodec({ url: registryUrl() }).register(valueSubject(topic), {
      format: 'avro',
      schema: accountV2,
    });
    const r = checkDefinition({
      application: 'bank',
      schemaRegistry: { url: registryUrl() },
      sources: { deposits: { topic: 'deposits', format: 'avro', readerSchema: accountV2 } },
      projections: { copy: { from: 'deposits', output: { topic, format: 'avro' } } },
    });
    assert.ok(r.definition, JSON.stringify(r.problems));
    const encode = outputEncoder(r.definition, 'copy');
    assert.ok(encode);
    const bytes = await encode({ accountId: 'a9', amount: 9, note: null, currency: 'CHF' });
    const codec = sourceCodec(r.definition, 'deposits');
    assert.ok(codec);
    assert.deepEqual(await codec.decode(bytes), { accountId: 'a9', amount: 9, note: null, currency: 'CHF' });
    const v1 = await createRegistryCodec({ url: registryUrl() }).encode(
      { subject: valueSubject(uniqueTopic('def-in')), schema: { format: 'avro', schema: accountV1 } },
      { accountId: 'a1', amount: 1, note: null },
    );
    assert.equal(((await codec.decode(v1)) as { currency: string }).currency, 'EUR');
  });

  void it('Protobuf with Confluent message indexes: the first message as a 0 byte, others by index path', async () => {
    const proto = `syntax = "proto3";
package streamfold.test;
message Deposited { string account_id = 1; double amount = 2; int64 cents = 3; Kind kind = 4; }
enum Kind { CASH = 0; CARD = 1; }
message Envelope {
  string id = 1;
  message Meta { string source = 1; repeated string tags = 2; }
  Meta meta = 2;
}`;
    const subject = valueSubject(uniqueTopic('proto'));
    const codec = createRegistryCodec({ url: registryUrl(), format: 'protobuf' });
    const bytes = await codec.encode(
      { subject, schema: { format: 'protobuf', schema: proto } },
      { accountId: 'a1', amount: 2.5, cents: 250, kind: 'CARD' },
    );
    const id = bytes.readInt32BE(1);
    assert.equal(bytes[5], 0, 'message indexes [0]: one 0 byte after the schema id');
    const fresh = createRegistryCodec({ url: registryUrl() });
    assert.deepEqual(await fresh.decode(bytes), { accountId: 'a1', amount: 2.5, cents: 250, kind: 'CARD' });

    // Frames as Confluent's serializers write them for the other messages, indexes written by hand
    const first = (await new SchemaRegistry({ host: registryUrl() }).getSchema(id)) as unknown as {
      message: ProtoType;
    };
    const frame = (indexes: number[], type: ProtoType, value: Record<string, unknown>) =>
      Buffer.concat([
        bytes.subarray(0, 5),
        Buffer.from(indexes),
        Buffer.from(type.encode(type.fromObject(value)).finish()),
      ]);
    const envelope = messageAt(first.message, [1]);
    const meta = messageAt(first.message, [1, 0]);
    assert.equal(envelope.name, 'Envelope');
    assert.equal(meta.name, 'Meta');
    // [1] → count 1, index 1 → zigzag 2, 2; [1, 0] → count 2, indexes 1, 0 → zigzag 4, 2, 0
    assert.deepEqual(
      await fresh.decode(frame([2, 2], envelope, { id: 'x', meta: { source: 'pos', tags: ['a'] } })),
      {
        id: 'x',
        meta: { source: 'pos', tags: ['a'] },
      },
    );
    assert.deepEqual(await fresh.decode(frame([4, 2, 0], meta, { source: 'web' })), {
      source: 'web',
      tags: [],
    });
    const err = await decodeError(fresh.decode(frame([2, 10], envelope, {})), 'schema-mismatch');
    assert.match(err.message, /no message at index path \[5\]/);
    await assert.rejects(codec.encode(subject, { accountId: 7 }), RegistryEncodeError);
  });
});

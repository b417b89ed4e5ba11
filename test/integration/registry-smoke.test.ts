// The local Apicurio Registry speaks the Confluent API well enough for @kafkajs/confluent-schema-registry:
// register an Avro schema, encode/decode the Confluent wire format, evolve it, and reject an incompatible change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import registryClient from '@kafkajs/confluent-schema-registry';
import { uniqueTopic, registryUrl } from './helpers.ts';

// CommonJS package: take the exports from its default.
const { SchemaRegistry, SchemaType } = registryClient;

const v1 = {
  type: 'record',
  name: 'Customer',
  namespace: 'streamfold.smoke',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'name', type: 'string' },
  ],
};

void test('Avro through the Confluent-compatible registry API', async (t) => {
  t.diagnostic(`registry ${registryUrl()}`);
  const registry = new SchemaRegistry({ host: registryUrl() });
  const subject = `${uniqueTopic('smoke-customers')}-value`;

  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject });
  assert.equal(await registry.getLatestSchemaId(subject), id);

  const encoded = await registry.encode(id, { id: 'c1', name: 'Ann' });
  assert.equal(encoded[0], 0, 'magic byte');
  assert.equal(encoded.readInt32BE(1), id, 'schema id follows the magic byte');
  // A fresh client knows nothing: decoding fetches the schema by id from the registry.
  assert.deepEqual(
    { ...(await new SchemaRegistry({ host: registryUrl() }).decode(encoded)) },
    { id: 'c1', name: 'Ann' },
  );

  const v2 = { ...v1, fields: [...v1.fields, { name: 'tier', type: 'string', default: 'basic' }] };
  const evolved = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v2) }, { subject });
  assert.notEqual(evolved.id, id);
  assert.equal(await registry.getLatestSchemaId(subject), evolved.id);

  // Under BACKWARD, a new required field without a default cannot read old data.
  const breaking = { ...v1, fields: [...v1.fields, { name: 'email', type: 'string' }] };
  await assert.rejects(
    registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(breaking) }, { subject }),
  );
});

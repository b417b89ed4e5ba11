// `streamfold generate` option parsing: rates and where the brokers come from.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { parseRate, resolveBrokers } from '../../../runtime/cli/generate.ts';

void describe('generate options', () => {
  const saved = { brokers: process.env.KAFKA_BROKERS, port: process.env.STREAMFOLD_KAFKA_PORT };
  afterEach(() => {
    for (const [name, value] of [
      ['KAFKA_BROKERS', saved.brokers],
      ['STREAMFOLD_KAFKA_PORT', saved.port],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  void test('--rate takes 50, 50/s, 2.5 and 0; rejects the rest', () => {
    assert.equal(parseRate('50'), 50);
    assert.equal(parseRate('50/s'), 50);
    assert.equal(parseRate('2.5'), 2.5);
    assert.equal(parseRate('0'), 0);
    for (const bad of ['', 'fast', '-1', '5/m']) assert.throws(() => parseRate(bad), /events per second/);
  });

  void test('brokers: flag, then KAFKA_BROKERS, then the definition, then the local broker', () => {
    delete process.env.KAFKA_BROKERS;
    delete process.env.STREAMFOLD_KAFKA_PORT;
    assert.deepEqual(resolveBrokers(undefined, undefined), ['127.0.0.1:39092']);
    process.env.STREAMFOLD_KAFKA_PORT = '40000';
    assert.deepEqual(resolveBrokers(undefined, ''), ['127.0.0.1:40000']);
    assert.deepEqual(resolveBrokers(undefined, ['k1:9092', 'k2:9092']), ['k1:9092', 'k2:9092']);
    process.env.KAFKA_BROKERS = 'env:9092';
    assert.deepEqual(resolveBrokers(undefined, 'config:9092'), ['env:9092']);
    assert.deepEqual(resolveBrokers(' a:1 , b:2 ', 'config:9092'), ['a:1', 'b:2']);
  });
});

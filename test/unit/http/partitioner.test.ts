// The murmur2 partitioner that locates a key's owner: it must match the Java client's test vectors and
// kafkajs' DefaultPartitioner, or the HTTP API would look for a row in the wrong partition.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Partitioners } from 'kafkajs';
import { murmur2, partitionOfKey } from '../../../runtime/http/partitioner.ts';

describe('murmur2 partitioner', () => {
  it('matches the Java client on its own test vectors (Kafka UtilsTest.testMurmur2)', () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [text, expected] of vectors) assert.equal(murmur2(Buffer.from(text)), expected, text);
  });

  it("picks the same partition as kafkajs' DefaultPartitioner for every key length and alphabet", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    const keys = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      'é',
      '日本語キー',
      '{"customerId":"c1","day":3}',
      '12345',
      'null',
    ];
    for (let i = 0; i < 500; i++) keys.push(`key-${i}-${'x'.repeat(i % 13)}`);
    for (const partitions of [1, 3, 8, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, p) => ({
        partitionId: p,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      }));
      for (const key of keys) {
        const expected = kafkajs({
          topic: 't',
          partitionMetadata,
          message: { key: Buffer.from(key), value: null },
        });
        assert.equal(partitionOfKey(key, partitions), expected, `${key} over ${partitions}`);
      }
    }
  });
});

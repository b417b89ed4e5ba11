// Confluent's Protobuf message indexes, byte by byte (no registry needed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readMessageIndexes, writeMessageIndexes } from '../../../runtime/formats/registry/protobuf.ts';

void describe('Protobuf message indexes', () => {
  void it('writes zigzag varints: the count, then the indexes; [0] as a single 0 byte', () => {
    assert.deepEqual([...writeMessageIndexes([0])], [0]);
    assert.deepEqual([...writeMessageIndexes([1])], [2, 2]);
    assert.deepEqual([...writeMessageIndexes([1, 0])], [4, 2, 0]);
    assert.deepEqual([...writeMessageIndexes([0, 70])], [4, 0, 0x8c, 0x01]);
  });

  void it('reads them back and says where the message starts', () => {
    for (const indexes of [[0], [1], [1, 0], [0, 70], [3, 2, 1]]) {
      const payload = Buffer.concat([writeMessageIndexes(indexes), Buffer.from([0x0a, 0x01, 0x61])]);
      const read = readMessageIndexes(payload);
      assert.deepEqual(read.indexes, indexes);
      assert.equal(payload[read.offset], 0x0a);
    }
    assert.throws(() => readMessageIndexes(Buffer.from([0x80])), /truncated/);
  });
});

// The prefetch patch (runtime/kafka/patches/prefetch) rebuilds kafkajs 2.2.4's fetch request from
// ConsumerGroup's private parts; these tests fail when a kafkajs upgrade changes what it relies on
// (then re-check the patch), and pin which prefetched responses may stand for a fetch.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { covers } from '../../../runtime/kafka/patches/prefetch/index.ts';

const require = createRequire(import.meta.url);
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js');
const read = (module: string): string => readFileSync(require.resolve(module), 'utf8');

test('the patch is in effect on the kafkajs it was written for', () => {
  assert.equal(require('kafkajs/package.json').version, '2.2.4');
  assert.equal(ConsumerGroup.prototype.__streamfoldPrefetch, true);
});

test("kafkajs' fetch still builds its request the way the prefetch copies", () => {
  const source = read('kafkajs/src/consumer/consumerGroup.js');
  const fetcherSource = read('kafkajs/src/consumer/fetcher.js');
  for (const line of [
    'topicPartitions = this.filterPartitionsByNode(nodeId, topicPartitions)',
    'await this.seekOffsets(topicPartitions)',
    'committedOffsets[topic][partition] != null &&',
    'activeTopicPartitions[topic].has(partition)',
    'fetchOffset: this.offsetManager.nextOffset(topic, partition).toString(),',
    'maxBytes: this.maxBytesPerPartition,',
    'isolationLevel: this.isolationLevel,',
    'return new Batch(topicName, fetchedOffset, partitionData)',
  ])
    assert.ok(source.includes(line), `consumerGroup.js no longer has: ${line}`);
  // and the fetcher still waits for a response's batches before it fetches again
  assert.ok(fetcherSource.includes('const batches = await fetch(nodeId)'));
  assert.ok(fetcherSource.includes('await workerQueue.push(...availableBatches)'));
});

test('a prefetched response stands for a fetch from any position within what it holds', () => {
  const messages = [{ offset: '10' }, { offset: '11' }, { offset: '12' }];
  assert.equal(covers('10', messages, '10'), true);
  assert.equal(covers('10', messages, '12'), true); // e.g. past a marker the position skipped
  assert.equal(covers('10', [], '10'), true); // nothing new, as a fetch from there would answer
  assert.equal(covers('10', messages, '13'), false); // beyond what it holds
  assert.equal(covers('10', messages, '9'), false); // rewound before it
  assert.equal(covers('10', [], '11'), false);
});

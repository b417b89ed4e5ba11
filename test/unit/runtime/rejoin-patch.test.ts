// The rejoin patch on a real kafkajs ConsumerGroup (no broker: its coordinator is a stub): a member
// that asked for a rebalance gets REBALANCE_IN_PROGRESS from its next heartbeat, once; a member
// given a shorter heartbeat interval sends heartbeats that often until it is reset. Fails when
// kafkajs' heartbeat changes under the patch.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { heartbeatEvery, requestRebalance } from '../../../runtime/kafka/patches/rejoin/index.ts';

const require = createRequire(import.meta.url);
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js');

function member(memberId: string) {
  const logger = { namespace: () => logger, info() {}, warn() {}, error() {}, debug() {} };
  const group = new ConsumerGroup({ logger, instrumentationEmitter: { emit() {} }, topics: [] });
  const sent: number[] = [];
  group.memberId = memberId;
  group.coordinator = { heartbeat: async () => void sent.push(Date.now()) };
  /** Heartbeats the runner's way (with the consumer's interval) and says whether one went out. */
  const beat = async (interval: number) => {
    const before = sent.length;
    await group.heartbeat({ interval });
    return sent.length > before;
  };
  return { group, beat };
}

test('a requested rebalance answers the next heartbeat with REBALANCE_IN_PROGRESS, once', async () => {
  const { beat } = member('m-rebalance');
  requestRebalance('m-rebalance');
  await assert.rejects(beat(0), (err: Error & { type?: string }) => err.type === 'REBALANCE_IN_PROGRESS');
  assert.equal(await beat(0), true, 'the next heartbeat goes to the broker');
});

test('a shorter heartbeat interval holds until it is reset', async () => {
  const { group, beat } = member('m-fast');
  group.lastRequest = Date.now() - 200; // 200 ms since the last heartbeat, the consumer's interval 1 s
  assert.equal(await beat(1_000), false, 'not due at the consumer interval');
  heartbeatEvery('m-fast', 100);
  assert.equal(await beat(1_000), true, 'due at the shorter one');
  group.lastRequest = Date.now() - 200;
  heartbeatEvery('m-fast', undefined);
  assert.equal(await beat(1_000), false, 'the consumer interval again');
});

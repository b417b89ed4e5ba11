// Exchange records sent as produced (at-least-once): the LingeringSender's batching and order, a
// Task handing the acknowledgements to its next commit, and the at-least-once transport storing
// offsets only after those records are acknowledged (a crash in between must not lose them).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Consumer, Producer, TopicMessages } from 'kafkajs';
import type { RawRecord } from '../../../runtime/formats/index.ts';
import { AtLeastOnceTransport } from '../../../runtime/tasks/commit-transport.ts';
import { LingeringSender, type RecordSender } from '../../../runtime/tasks/lingering-sender.ts';
import type { TaskCommit } from '../../../runtime/tasks/task.ts';
import { exampleDefinition, openTestTask } from './helpers.ts';

/** A produce call that waits until the test releases it. */
interface Call {
  topicMessages: TopicMessages[];
  release: (err?: Error) => void;
}

function fakeProduce() {
  const calls: Call[] = [];
  const produce = (batch: { topicMessages: TopicMessages[] }) =>
    new Promise<unknown>((resolve, reject) => {
      calls.push({
        topicMessages: batch.topicMessages,
        release: (err) => (err ? reject(err) : resolve(acksOf(batch.topicMessages))),
      });
    });
  return { calls, produce };
}

const acksOf = (topicMessages: TopicMessages[]) =>
  topicMessages.map((t) => ({ topicName: t.topic, partition: 0, errorCode: 0, baseOffset: '0' }));

const keysOf = (call: Call) => call.topicMessages.flatMap((t) => t.messages.map((m) => String(m.key)));
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const message = (key: string) => ({ key, value: Buffer.from('{}'), timestamp: String(Date.now()) });

describe('LingeringSender', () => {
  it('sends the records of one linger in one call, one call in flight, in order', async () => {
    const { calls, produce } = fakeProduce();
    const sender = new LingeringSender(produce, 5);
    const first = [sender.send('x', message('a')), sender.send('x', message('b'))];
    assert.equal(calls.length, 0, 'waits for its linger');
    await tick(20);
    assert.deepEqual(calls.map(keysOf), [['a', 'b']]);
    const second = sender.send('x', message('c'));
    const third = sender.send('y', message('d'));
    await tick(20);
    assert.equal(calls.length, 1, 'the next batch waits for the call in flight');
    calls[0]!.release();
    await Promise.all(first);
    await tick();
    assert.deepEqual(
      calls.map(keysOf),
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
      'sent right after the ack, in order',
    );
    calls[1]!.release();
    await Promise.all([second, third]);
    sender.close();
  });

  it('flush sends at once; a failed call rejects its records only', async () => {
    const { calls, produce } = fakeProduce();
    const sender = new LingeringSender(produce, 60_000);
    const lost = sender.send('x', message('a'));
    sender.flush();
    assert.equal(calls.length, 1);
    calls[0]!.release(new Error('broker down'));
    await assert.rejects(lost, /broker down/);
    const next = sender.send('x', message('b'));
    sender.flush();
    calls[1]!.release();
    await next;
    sender.close();
  });
});

describe('a task with a record sender', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'streamfold-sender-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('sends exchange records as produced, and its commit carries their acknowledgement', async () => {
    const sent: Array<{ topic: string; release: () => void }> = [];
    let flushed = 0;
    const sender: RecordSender = {
      send: (topic) => new Promise<void>((release) => sent.push({ topic, release })),
      flush: () => flushed++,
    };
    const task = await openTestTask(dir, exampleDefinition(), 'order-events', [], { sender });
    const order: RawRecord = {
      topic: 'order-events',
      partition: 0,
      offset: 0,
      key: Buffer.from('o1'),
      value: Buffer.from(
        JSON.stringify({
          eventType: 'OrderPlaced',
          orderId: 'o1',
          customerId: 'c1',
          items: [{ price: 5 }],
          eventId: 'e1',
          timestamp: 1000,
        }),
      ),
      timestamp: 1000,
    };
    task.process(order);
    assert.ok(sent.length > 0, 'the re-keyed records went to the sender while processing');
    assert.ok(task.pendingSize >= sent.length, 'sent, uncommitted records count as pending');
    const commit = task.prepareCommit();
    assert.equal(flushed, 1, 'a commit sends what still lingers');
    const exchanges = new Set(sent.map((s) => s.topic));
    assert.ok(!commit.records.some((t) => exchanges.has(t.topic)), 'not sent again with the commit');
    let acknowledged = false;
    void commit.sent!.then(() => (acknowledged = true));
    await tick();
    assert.equal(acknowledged, false, 'pending until every record is acknowledged');
    for (const s of sent) s.release();
    await tick();
    assert.equal(acknowledged, true);
    await task.close();
  });
});

describe('AtLeastOnceTransport', () => {
  const commitOf = (sent: Promise<void>): TaskCommit =>
    ({
      task: 0,
      changelog: [],
      records: [],
      offsets: new Map([['in', 7]]),
      sent,
      deadLetters: [],
      appends: [],
    }) as unknown as TaskCommit;
  const clients = () => {
    const committed: unknown[] = [];
    const producer = { sendBatch: () => Promise.resolve([]) } as unknown as Producer;
    const consumer: Pick<Consumer, 'commitOffsets'> = {
      commitOffsets: (offsets) => {
        committed.push(offsets);
        return Promise.resolve();
      },
    };
    return { committed, transport: new AtLeastOnceTransport(producer, consumer) };
  };

  it('stores the offsets only after the records sent as produced are acknowledged', async () => {
    const { committed, transport } = clients();
    let acknowledge!: () => void;
    const done = transport.commit([commitOf(new Promise<void>((r) => (acknowledge = r)))]);
    await tick(10);
    assert.equal(committed.length, 0, 'offsets wait for the records they caused');
    acknowledge();
    const [outcome] = await done;
    assert.equal(outcome!.offsetsCommitted, true);
    assert.deepEqual(committed, [[{ topic: 'in', partition: 0, offset: '7' }]]);
  });

  it('fails the commit, offsets not stored, when a record sent as produced was not written', async () => {
    const { committed, transport } = clients();
    const failed = Promise.reject(new Error('not enough replicas'));
    await assert.rejects(transport.commit([commitOf(failed)]), /not enough replicas/);
    assert.equal(committed.length, 0);
  });
});

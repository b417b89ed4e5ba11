// The pure parts of the exactly-once and dead-letter wiring: the source checks that make a record a
// dead letter, which errors are dead letters, timestamp clamping, and the transactional transport
// over a fake producer (one transaction per task; a failure aborts, drops the producer, and reports
// that task only).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kafka } from 'kafkajs';
import type { Definition } from '../../../projections/definition/schema.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { RecordRejected, sourceDecoder } from '../../../runtime/formats/source-decoder.ts';
import { clampTimestamp, MAX_FUTURE_TIMESTAMP_MS } from '../../../runtime/tasks/commit-messages.ts';
import { ExactlyOnceTransport, transactionalIdOf } from '../../../runtime/tasks/exactly-once-transport.ts';
import { decodeErrorKind, processErrorKind } from '../../../runtime/tasks/record-errors.ts';
import type { TaskCommit } from '../../../runtime/tasks/task.ts';

const def: Definition = parseConfig(
  JSON.stringify({
    application: 'shop',
    sources: {
      events: { topic: 'events', fields: { amount: 'number', n: 'int' } },
      rows: { topic: 'rows', kind: 'table' },
      keyed: { topic: 'keyed', key: 'id' },
    },
    projections: { p: { from: 'events', aggregate: { n: { count: '*' } } } },
  }),
  'unit.yaml',
  {},
);
const raw = (topic: string, key: string | null, value: string | null) => ({
  topic,
  partition: 0,
  offset: 7,
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: 1,
});
const rejected = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RecordRejected || (err as Error).name === 'DecodeFailure', String(err));
    return decodeErrorKind(err)!;
  }
  assert.fail('not rejected');
};

test('source checks: non-object events, missing keys, declared field types', () => {
  const events = sourceDecoder(def, 'events');
  assert.deepEqual(events.decode(raw('events', 'k', '{"amount": 2, "n": 3}')).value, { amount: 2, n: 3 });
  assert.equal(
    rejected(() => events.decode(raw('events', 'k', null))),
    'decode',
    'a stream holds events: a tombstone is a dead letter, not skipped silently',
  );
  assert.equal(
    rejected(() => events.decode(raw('events', 'k', 'null'))),
    'decode',
    'JSON null',
  );
  assert.equal(
    rejected(() => events.decode(raw('events', 'k', '42'))),
    'decode',
  );
  assert.equal(
    rejected(() => events.decode(raw('events', 'k', '[1]'))),
    'decode',
  );
  assert.equal(
    rejected(() => events.decode(raw('events', 'k', ''))),
    'value-not-json',
  );
  assert.equal(
    rejected(() => events.decode(raw('events', null, '{}'))),
    'missing-key',
  );
  assert.equal(
    rejected(() => events.decode(raw('events', 'k', '{"amount": "2"}'))),
    'schema',
  );
  assert.equal(
    rejected(() => events.decode(raw('events', 'k', '{"n": 1.5}'))),
    'schema',
  );
  assert.ok(events.decode(raw('events', 'k', '{"amount": null}')), 'null fits any declared type');
  const rows = sourceDecoder(def, 'rows');
  assert.equal(
    rejected(() => rows.decode(raw('rows', null, null))),
    'missing-key',
    'a table row needs a key',
  );
  assert.equal(rows.decode(raw('rows', 'r', '42')).value, 42, 'tables keep non-object rows (deletes)');
  const keyed = sourceDecoder(def, 'keyed');
  assert.ok(keyed.decode(raw('keyed', null, '{"id": 1}')), 'a key expression needs no record key');
});

test('which errors are dead letters', () => {
  const named = (name: string, kind?: string) => Object.assign(new Error('x'), { name, kind });
  assert.equal(processErrorKind(named('ExpressionError')), 'expression');
  assert.equal(processErrorKind(named('UpcastError')), 'upcast');
  assert.equal(processErrorKind(new TypeError('bug')), undefined, 'bugs stop the application');
  assert.equal(decodeErrorKind(named('RegistryDecodeError', 'unknown-schema')), 'unknown-schema');
  assert.equal(decodeErrorKind(named('Error', 'decode')), undefined);
});

test('timestamps far ahead of the wall clock become the wall clock', () => {
  const now = 1_800_000_000_000;
  assert.equal(clampTimestamp(String(now + 1000), now), String(now + 1000));
  assert.equal(clampTimestamp(String(now + MAX_FUTURE_TIMESTAMP_MS + 1), now), String(now));
  assert.equal(clampTimestamp('-5', now), String(now));
  assert.equal(clampTimestamp(undefined, now), undefined);
});

/** Records what each transactional producer is asked to do, to unit-test the transport's order of
 *  steps and its error paths; the same transport runs against the real broker in
 *  test/integration/exactly-once/. */
function recordingProducerClient(failOn?: { task: number; step: 'sendBatch' | 'sendOffsets' | 'commit' }) {
  const log: string[] = [];
  const kafka = {
    producer: (opts: { transactionalId: string }) => {
      const id = opts.transactionalId;
      const task = Number(id.slice(id.lastIndexOf('-') + 1));
      let active = false;
      const step = (name: 'sendBatch' | 'sendOffsets' | 'commit') => {
        log.push(`${id} ${name}`);
        if (failOn?.task === task && failOn.step === name) throw new Error(`${name} failed`);
      };
      return {
        connect: async () => void log.push(`${id} connect`),
        disconnect: async () => void log.push(`${id} disconnect`),
        transaction: async () => {
          active = true;
          log.push(`${id} begin`);
          return {
            isActive: () => active,
            sendBatch: async (b: { topicMessages: Array<{ topic: string; messages: unknown[] }> }) => {
              step('sendBatch');
              return b.topicMessages.map((t) => ({
                topicName: t.topic,
                partition: task,
                baseOffset: '10',
                errorCode: 0,
              }));
            },
            sendOffsets: async () => step('sendOffsets'),
            commit: async () => {
              step('commit');
              active = false;
            },
            abort: async () => {
              active = false;
              log.push(`${id} abort`);
            },
          };
        },
      };
    },
  };
  return { kafka: kafka as unknown as Kafka, log };
}

const commit = (task: number): TaskCommit => ({
  task,
  changelog: [
    { store: 'shop-s', topic: 'shop-s-changelog', partition: task, key: 'k', value: Buffer.from('1') },
  ],
  records: [{ topic: 'out', messages: [{ key: 'k', value: Buffer.from('{}'), timestamp: '1' }] }],
  offsets: new Map([['events', 5]]),
  deadLetters: [],
  appends: [],
  prepared: {} as TaskCommit['prepared'],
});

test('exactly-once transport: one transaction per task with records and offsets', async () => {
  const { kafka, log } = recordingProducerClient();
  const t = new ExactlyOnceTransport({ kafka, application: 'shop', groupId: 'shop' });
  await t.openTask(0);
  await t.openTask(1);
  assert.equal(transactionalIdOf('shop', 1), 'shop-1');
  assert.deepEqual(log.splice(0), [
    'shop-0 connect',
    'shop-0 begin',
    'shop-0 abort',
    'shop-1 connect',
    'shop-1 begin',
    'shop-1 abort',
  ]);
  const outcomes = await t.commit([commit(0), commit(1)]);
  assert.deepEqual(
    outcomes.map((o) => [o.failed ?? false, [...o.changelogOffsets]]),
    [
      [false, [['shop-s-changelog:0', 11]]],
      [false, [['shop-s-changelog:1', 11]]],
    ],
  );
  assert.deepEqual(
    log.filter((l) => l.startsWith('shop-0')),
    ['shop-0 begin', 'shop-0 sendBatch', 'shop-0 sendOffsets', 'shop-0 commit'],
  );
});

test('exactly-once transport: a failed transaction aborts, drops the producer, fails only its task', async () => {
  const { kafka, log } = recordingProducerClient({ task: 1, step: 'sendOffsets' });
  const t = new ExactlyOnceTransport({ kafka, application: 'shop', groupId: 'shop' });
  await t.openTask(0);
  await t.openTask(1);
  log.length = 0;
  const outcomes = await t.commit([commit(0), commit(1)]);
  assert.equal(outcomes[0]!.failed, undefined);
  assert.equal(outcomes[1]!.failed, true);
  assert.match(String(outcomes[1]!.offsetError), /sendOffsets failed/);
  assert.ok(log.includes('shop-1 abort') && log.includes('shop-1 disconnect'));
  assert.equal(t.hasTask(1), false, 'the producer is recreated before the task goes on');
  assert.equal(t.hasTask(0), true);
  const again = await t.commit([commit(1)]);
  assert.equal(again[0]!.failed, true, 'no producer, no commit');
});

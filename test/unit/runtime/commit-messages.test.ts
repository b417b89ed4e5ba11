// What a task commit hands the producer (runtime/tasks/commit-messages.ts): each changelog
// partition's next offset from the acknowledgements, whatever order its records came in, and
// timestamps clamped without touching the commit's own messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from 'kafkajs';
import {
  commitMessages,
  MAX_FUTURE_TIMESTAMP_MS,
  sendInChunks,
} from '../../../runtime/tasks/commit-messages.ts';
import type { TaskCommit } from '../../../runtime/tasks/task.ts';

describe('commit messages', () => {
  it('counts each changelog partition’s records, interleaved or not, into its next offset', async () => {
    const record = (topic: string, partition: number, changelog: boolean) => ({
      topic,
      message: { key: 'k', value: Buffer.from('v'), partition },
      changelog,
      size: 80,
    });
    const records = [
      record('a-changelog', 0, true),
      record('a-changelog', 0, true),
      record('out', 0, false),
      record('a-changelog', 1, true),
      record('b-changelog', 0, true),
      record('a-changelog', 0, true),
    ];
    const next = await sendInChunks(async ({ topicMessages }) => {
      assert.deepEqual(
        topicMessages.map((t) => [t.topic, t.messages.length]),
        [
          ['a-changelog', 4],
          ['out', 1],
          ['b-changelog', 1],
        ],
      );
      return [
        { topicName: 'a-changelog', partition: 0, baseOffset: '10', errorCode: 0 },
        { topicName: 'a-changelog', partition: 1, baseOffset: '20', errorCode: 0 },
        { topicName: 'out', partition: 0, baseOffset: '5', errorCode: 0 },
        { topicName: 'b-changelog', partition: 0, baseOffset: '30', errorCode: 0 },
      ];
    }, records);
    assert.deepEqual([...next].sort(), [
      ['a-changelog:0', 13],
      ['a-changelog:1', 21],
      ['b-changelog:0', 31],
    ]);
  });

  it('clamps a timestamp too far ahead in a copy, and sends the other messages as they are', () => {
    const now = 1_700_000_000_000;
    const late: Message = { key: 'k', value: null, timestamp: String(now + MAX_FUTURE_TIMESTAMP_MS + 1) };
    const fine: Message = { key: 'k', value: null, timestamp: String(now - 5) };
    const commit = {
      records: [{ topic: 'out', messages: [fine, late, fine] }],
      deadLetters: [],
      appends: [],
    } as unknown as TaskCommit;
    const changelog = [
      { topic: 'c', messages: [{ key: 'x', value: null, partition: 0, timestamp: String(now) }] },
    ];
    const all = commitMessages(commit, changelog, now);
    assert.deepEqual(
      all.map((m) => m.message.timestamp),
      [String(now), String(now - 5), String(now), String(now - 5)],
    );
    assert.equal(all[1]!.message, fine, 'unchanged: the same message');
    assert.notEqual(all[2]!.message, late);
    assert.equal(late.timestamp, String(now + MAX_FUTURE_TIMESTAMP_MS + 1), 'the original is untouched');
    assert.equal(all[3]!.message, fine);
  });
});

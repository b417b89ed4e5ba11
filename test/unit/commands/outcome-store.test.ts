// The task's command outcomes (runtime/commands/outcome-store.ts): the horizon drops the oldest
// outcome once more than `horizon` were recorded, a read-back mark is taken once; and the commit's
// appended records learn their offsets from the produce acknowledgements (commit-messages.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../../projections/store.ts';
import { COMMAND_EVENT_HEADER, type StoredOutcome } from '../../../runtime/commands/index.ts';
import { OutcomeStore, requestDigest, withOwnEvents } from '../../../runtime/commands/outcome-store.ts';
import { BoundedEntries } from '../../../projections/horizon/bounded-entries.ts';
import type { RawRecord } from '../../../runtime/formats/index.ts';
import { sendInChunks } from '../../../runtime/tasks/commit-messages.ts';

const rejected = (rule: string): StoredOutcome => ({ outcome: 'rejected', rule, message: 'no', at: 0 });

describe('OutcomeStore', () => {
  it('stores an accepted outcome whose events the reply cannot change (withOwnEvents)', () => {
    const event = { type: 'Deposited', eventId: 'c1-1', version: 3, topic: 'accounts', partition: 0 };
    const reply: StoredOutcome = { outcome: 'accepted', events: [event], version: 3, at: 0 };
    const outcomes = new OutcomeStore(new MemoryStore(), 10);
    outcomes.put('deposit', 'c1', 'digest', withOwnEvents(reply));
    // the reply learns its offsets after the commit; the stored outcome has none (as after a restart)
    (reply as { events: Array<{ offset?: number }> }).events[0]!.offset = 42;
    assert.deepEqual(outcomes.get('deposit', 'c1'), {
      outcome: 'accepted',
      events: [{ type: 'Deposited', eventId: 'c1-1', version: 3, topic: 'accounts', partition: 0 }],
      version: 3,
      at: 0,
    });
    assert.deepEqual(withOwnEvents(rejected('noOverdraft')), rejected('noOverdraft'));
  });

  it('keeps the last `horizon` outcomes and forgets older ones', () => {
    const outcomes = new OutcomeStore(new MemoryStore(), 3);
    for (let i = 0; i < 5; i++) outcomes.put('withdraw', `id${i}`, `d${i}`, rejected(`r${i}`));
    assert.equal(outcomes.get('withdraw', 'id0'), undefined);
    assert.equal(outcomes.get('withdraw', 'id1'), undefined);
    assert.deepEqual(
      ['id2', 'id3', 'id4'].map((id) => (outcomes.get('withdraw', id) as { rule: string }).rule),
      ['r2', 'r3', 'r4'],
    );
    assert.equal(outcomes.get('deposit', 'id4'), undefined, 'the id was used for another command');
    assert.deepEqual(outcomes.find('deposit', 'id4'), {
      command: 'withdraw',
      request: 'd4',
      outcome: rejected('r4'),
    });
  });

  it('finds outcomes recorded before requests were, until the horizon has passed them', () => {
    const store = new MemoryStore();
    // the earlier layout: o/<command>/<id>, numbered by the same horizon
    const earlier = new BoundedEntries<StoredOutcome>(store, 3);
    earlier.put('o/withdraw/old', rejected('before'));
    const outcomes = new OutcomeStore(store, 3);
    assert.deepEqual(outcomes.find('withdraw', 'old'), { command: 'withdraw', outcome: rejected('before') });
    assert.equal(outcomes.find('deposit', 'old'), undefined, 'an earlier outcome is found by its command');
    outcomes.put('withdraw', 'new1', 'd', rejected('after'));
    outcomes.put('withdraw', 'new2', 'd', rejected('after'));
    assert.deepEqual(outcomes.get('withdraw', 'old'), rejected('before'));
    // the third outcome since the change pushes the earlier one out of the horizon
    outcomes.put('withdraw', 'new3', 'd', rejected('after'));
    assert.equal(outcomes.find('withdraw', 'old'), undefined);
    // a store that never held the earlier layout never looks it up
    const fresh = new MemoryStore();
    fresh.put('o/withdraw/x', rejected('stray'));
    assert.equal(new OutcomeStore(fresh, 3).find('withdraw', 'x'), undefined);
  });

  it('tells requests apart by body and expectedVersion, not by the order of their fields', () => {
    const d = requestDigest({ accountId: 'a', amount: 5 }, undefined);
    assert.equal(requestDigest({ amount: 5, accountId: 'a' }, undefined), d);
    assert.notEqual(requestDigest({ accountId: 'a', amount: 6 }, undefined), d);
    assert.notEqual(requestDigest({ accountId: 'b', amount: 5 }, undefined), d);
    assert.notEqual(requestDigest({ accountId: 'a', amount: 5 }, 3), d);
    assert.equal(
      requestDigest({ accountId: 'a', amount: 5 }, 3),
      requestDigest({ amount: 5, accountId: 'a' }, 3),
    );
  });

  it('knows the events it marked, until it forgets them', () => {
    const outcomes = new OutcomeStore(new MemoryStore(), 10);
    const raw = (ref?: string): RawRecord => ({
      topic: 't',
      partition: 0,
      offset: 5,
      key: null,
      value: null,
      timestamp: 0,
      headers: ref ? { [COMMAND_EVENT_HEADER]: ref } : undefined,
    });
    outcomes.markApplied('withdraw/c1/0');
    assert.equal(outcomes.markOf(raw('withdraw/c2/0')), undefined);
    assert.equal(outcomes.markOf(raw()), undefined);
    assert.equal(outcomes.markOf(raw('withdraw/c1/0')), 'withdraw/c1/0');
    assert.equal(outcomes.markOf(raw('withdraw/c1/0')), 'withdraw/c1/0', 'kept until forgotten');
    outcomes.forget(['withdraw/c1/0']);
    assert.equal(
      outcomes.markOf(raw('withdraw/c1/0')),
      undefined,
      'a copy after the offset commit is processed',
    );
  });
});

describe('sendInChunks', () => {
  it('tells appended records their offsets: base offset + position among the partition’s records', async () => {
    const seen: number[] = [];
    const record = (partition: number, acked?: (o: number) => void) => ({
      topic: 'events',
      message: { key: 'k', value: 'v', partition },
      size: 10,
      acked,
    });
    await sendInChunks(
      async () => [
        { topicName: 'events', partition: 0, baseOffset: '100', errorCode: 0 },
        { topicName: 'events', partition: 1, baseOffset: '7', errorCode: 0 },
      ],
      [
        record(0),
        record(1, (o) => seen.push(o)),
        record(0, (o) => seen.push(o)),
        record(0, (o) => seen.push(o)),
      ],
    );
    assert.deepEqual(seen, [7, 101, 102]);
  });
});

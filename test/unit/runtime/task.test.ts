// A Task over a real TaskStores (LevelDB in a temp dir), without Kafka: processing, poison records,
// the prepare/complete halves of a commit, and rollback to the last commit.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PoisonRecord, RawRecord } from '../../../runtime/formats/index.ts';
import { exampleDefinition, openTestTask } from './helpers.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamfold-task-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const def = exampleDefinition();
let offset = 0;
const event = (value: Record<string, unknown> | string): RawRecord => ({
  topic: 'account-events',
  partition: 0,
  offset: offset++,
  key: Buffer.from(String((value as { accountId?: string }).accountId ?? 'a1')),
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  timestamp: 1000 + offset,
});

async function newTask(poison: PoisonRecord[]) {
  return openTestTask(dir, def, 'account-events', poison);
}

describe('Task', () => {
  it('processes records into its stores and one output record per key per commit', async () => {
    offset = 0;
    const task = await newTask([]);
    for (const amount of [10, 20, 30])
      task.process(event({ eventType: 'MoneyDeposited', accountId: 'a1', amount, eventId: `e${amount}` }));
    assert.equal(task.positions.get('account-events'), 3);
    assert.ok(task.needsCommit);
    const commit = task.prepareCommit();
    const balances = commit.records.find((t) => t.topic === 'shop-balances')!;
    assert.deepEqual(
      balances.messages.map((m) => [m.key, JSON.parse(m.value!.toString())]),
      [['a1', { balance: 60, deposits: 3, owner: null }]],
    );
    assert.ok(commit.changelog.some((r) => r.store === 'shop-balances-agg' && r.key === 'a1'));
    assert.deepEqual([...commit.offsets], [['account-events', 3]]);
    await task.completeCommit(commit, new Map([['shop-balances-agg-changelog:0', 1]]), true);
    assert.equal(task.needsCommit, false);
    assert.equal(task.stores.checkpoint('shop-balances-agg')?.offset, 1);
    await task.close();
  });

  it('hands undecodable records to the poison handler and moves on', async () => {
    offset = 0;
    const poison: PoisonRecord[] = [];
    const task = await newTask(poison);
    task.process(event('{broken'));
    task.process(event({ eventType: 'MoneyDeposited', accountId: 'a1', amount: 5 }));
    assert.deepEqual(
      poison.map((p) => [p.kind, p.raw.offset, p.task]),
      [['value-not-json', 0, 0]],
    );
    assert.equal(task.counters.processed, 1);
    assert.equal(task.counters.poison, 1);
    assert.equal(task.positions.get('account-events'), 2);
    await task.close();
  });

  it('rolls back to the last commit: state, buffered records and positions', async () => {
    offset = 0;
    const task = await newTask([]);
    task.process(event({ eventType: 'MoneyDeposited', accountId: 'a1', amount: 10 }));
    const c = task.prepareCommit();
    await task.completeCommit(c, new Map(), true);
    task.process(event({ eventType: 'MoneyDeposited', accountId: 'a1', amount: 99 }));
    task.rollback();
    assert.equal(task.positions.get('account-events'), 1);
    assert.equal(task.pendingSize, 0);
    // the same record again counts once
    offset = 1;
    task.process(event({ eventType: 'MoneyDeposited', accountId: 'a1', amount: 99 }));
    const again = task.prepareCommit();
    const row = again.records.find((t) => t.topic === 'shop-balances')!.messages[0]!;
    assert.deepEqual(JSON.parse(row.value!.toString()), { balance: 109, deposits: 2, owner: null });
    await task.completeCommit(again, new Map(), true);
    await task.close();
  });

  it('stores offsets past its own read-back events later, and deletes their marks in that commit', async () => {
    offset = 0;
    const marks = new Set(['m0']);
    const forgotten: string[][] = [];
    const task = await openTestTask(dir, def, 'account-events', [], {
      appliedAtAppend: {
        markOf: (_stores, raw) => (marks.has(`m${raw.offset}`) ? `m${raw.offset}` : undefined),
        forget: (_stores, refs) => {
          forgotten.push([...refs]);
          for (const r of refs) marks.delete(r);
        },
      },
    });
    const own = event({ eventType: 'MoneyDeposited', accountId: 'a1', amount: 5 });
    task.process(own);
    // A commit for commands right after: the skipped record changed nothing, its offset can wait.
    const c1 = task.prepareCommit(60_000);
    assert.equal(c1.offsets.size, 0);
    assert.deepEqual(forgotten, []);
    assert.equal(task.pendingSize, 0, 'the read-back changed no state');
    await task.completeCommit(c1, new Map(), true);
    assert.ok(task.needsCommit, 'the position still has to be stored');
    // A rollback reads it again: still marked, skipped again.
    task.rollback();
    task.process(own);
    assert.equal(task.pendingSize, 0);
    // A record of another writer changes the state: its offset goes with the next commit.
    task.process(event({ eventType: 'MoneyDeposited', accountId: 'a1', amount: 7 }));
    const c2 = task.prepareCommit(60_000);
    assert.deepEqual([...c2.offsets], [['account-events', 2]]);
    assert.deepEqual(forgotten, [['m0']], 'the mark is deleted with the offset past it');
    await task.completeCommit(c2, new Map(), true);
    // Without deferral (the timer's commits) offsets always go.
    task.process(event({ eventType: 'MoneyDeposited', accountId: 'a1', amount: 1 }));
    assert.equal(task.prepareCommit(0).offsets.get('account-events'), 3);
    await task.close();
  });
});

// History through real task stores: the engine writes versions into LevelDB through the write
// cache and the commit protocol; a fresh TaskStores rebuilt from the (compacted) changelog, both
// by hand (applyRestored) and by the runtime's restore, gives the same asOf answers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Definition } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import type { Topology } from '../../../projections/graph/topology.ts';
import type { AsOf } from '../../../projections/history/index.ts';
import type { ProcessorContext } from '../../../projections/operators/types.ts';
import type { InputRecord, OutputRecord } from '../../../projections/records.ts';
import { restoreStores } from '../../../runtime/kafka/restore/index.ts';
import { readAsOf } from '../../../runtime/stores/history-read.ts';
import type { TaskStores } from '../../../runtime/stores/index.ts';
import { FakeChangelog } from '../stores/fake-changelog.ts';
import { changelogOf, openStores, tempDir } from '../stores/helpers.ts';

const topology: Topology = compileTopology(
  Definition.parse({
    application: 'bank',
    sources: { accounts: { topic: 'account-events', key: 'accountId', eventType: 'eventType' } },
    projections: {
      balances: {
        from: 'accounts',
        aggregate: {
          balance: { sum: { MoneyDeposited: 'amount', MoneyWithdrawn: '-amount' } },
          owner: { latest: 'owner' },
        },
        deleteOn: ['AccountClosed'],
        history: { retention: '1d' },
      },
    },
  }),
);
const STORE = 'bank-balances-history';
const RETENTION = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

/** Deterministic events over three accounts, 1 minute apart; a2 is closed half way. */
function events(): InputRecord[] {
  const out: InputRecord[] = [];
  for (let i = 0; i < 120; i++) {
    const id = `a${i % 3}`;
    const closing = id === 'a2' && i === 62;
    out.push({
      topic: 'account-events',
      partition: 0,
      offset: i,
      key: id,
      value: closing
        ? { eventType: 'AccountClosed', accountId: id }
        : {
            eventType: i % 4 === 0 ? 'MoneyWithdrawn' : 'MoneyDeposited',
            accountId: id,
            amount: i,
            owner: `o${i % 5}`,
          },
      timestamp: T0 + i * 60_000,
    });
  }
  return out;
}

/** Runs the topology on a task's stores, committing every `every` records like the runtime. */
async function process(stores: TaskStores, changelog: FakeChangelog, every: number): Promise<OutputRecord[]> {
  const outputs: OutputRecord[] = [];
  const ctx: ProcessorContext = {
    stores,
    emit: (r) => outputs.push(r),
    send: () => assert.fail('this topology has no exchanges'),
  };
  const [sub] = topology.subTopologies;
  let n = 0;
  for (const record of events()) {
    sub!.process(record, ctx);
    if (++n % every === 0) await commit(stores, changelog);
  }
  await commit(stores, changelog);
  return outputs;
}

async function commit(stores: TaskStores, changelog: FakeChangelog): Promise<void> {
  const prepared = stores.prepareCommit();
  await stores.completeCommit(prepared, changelog.append(prepared.records));
}

/** asOf answers for every key at every minute of the run (plus before and after it). */
function answers(stores: Pick<TaskStores, 'store'>): Map<string, AsOf> {
  const out = new Map<string, AsOf>();
  for (const key of ['a0', 'a1', 'a2', 'a9'])
    for (let m = -1; m <= 121; m++)
      out.set(`${key}@${m}`, readAsOf(stores, 'bank', 'balances', key, T0 + m * 60_000));
  return out;
}

describe('history through task stores and restore', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('answers asOf from LevelDB, and the same after a restore from the compacted changelog', async () => {
    const changelog = new FakeChangelog(7); // small fetches: the restore takes several rounds
    const original = await openStores(`${dir}/original`);
    const outputs = await process(original, changelog, 10);
    assert.ok(outputs.length > 100);

    // The answers match the output changelog itself: the last record at or before t.
    const expected = answers(original);
    for (const key of ['a0', 'a1', 'a2']) {
      const mine = outputs.filter((o) => o.key === key);
      const cutoff = mine.at(-1)!.timestamp - RETENTION;
      for (let m = -1; m <= 121; m++) {
        const t = T0 + m * 60_000;
        const last = mine.filter((o) => o.timestamp <= t).at(-1);
        const got = expected.get(`${key}@${m}`)!;
        if (got.kind === 'trimmed') {
          assert.ok(t < cutoff, `${key}@${m}: only times before the retention cutoff are trimmed`);
          continue;
        }
        if (!last || last.value === null) assert.equal(got.kind, 'absent', `${key}@${m}`);
        else assert.deepEqual(got, { kind: 'row', value: last.value, since: last.timestamp }, `${key}@${m}`);
      }
    }
    // Concrete values at known event times.
    assert.deepEqual(
      expected.get('a2@62'),
      { kind: 'absent', since: T0 + 62 * 60_000 },
      'closed at minute 62',
    );
    assert.equal(expected.get('a2@61')?.kind, 'row');
    assert.deepEqual(
      expected.get('a0@31'),
      {
        kind: 'row',
        value: outputs.find((o) => o.key === 'a0' && o.timestamp === T0 + 30 * 60_000)!.value,
        since: T0 + 30 * 60_000,
      },
      'read from the sealed chunk',
    );
    assert.equal(expected.get('a0@-1')?.kind, 'absent', 'before the first event');
    assert.equal(expected.get('a9@60')?.kind, 'absent', 'a key that never existed');

    // Restore by hand: copy the compacted changelog into a fresh database.
    const tp = changelogOf(STORE);
    changelog.compact(tp);
    const log = changelog.logs.get(`${tp.topic}:${tp.partition}`)!;
    // Per key: its head, and the sealed chunk of its first 32 versions (40 versions each); the
    // stream time and the queued delete of a2 (purged a day after, with the retention).
    assert.deepEqual(log.entries.map((e) => e.key!.toString()).sort(), [
      'c0:a0',
      'c0:a1',
      'c0:a2',
      'g:',
      'h:a0',
      'h:a1',
      'h:a2',
      `q${Math.ceil((T0 + 62 * 60_000) / 10_800_000) * 10_800_000}:`,
    ]);
    const manual = await openStores(`${dir}/manual`);
    await manual.applyRestored(
      STORE,
      log.entries.map((e) => ({ key: e.key!.toString(), value: e.value })),
      log.end,
    );
    assert.deepEqual(answers(manual), expected);

    // Restore as the runtime does it (offsets, chunked fetches, checkpoints).
    const restored = await openStores(`${dir}/restored`);
    const summary = await restoreStores({ stores: restored, names: [STORE], source: changelog });
    assert.equal(summary.stores[0]!.rebuilt, true);
    assert.deepEqual(answers(restored), expected);

    await Promise.all([original.close(), manual.close(), restored.close()]);
  });
});

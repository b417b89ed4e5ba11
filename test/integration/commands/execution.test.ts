// Command execution in streamfold run (docs/commands.md, "Execution"), on a real broker under
// exactly_once: accepted commands append their events with runtime-filled ids and versions, rules
// reject, expected versions conflict, a retried command (same id) returns its first outcome and
// never appends twice, also after a restart and after a restore from the changelogs. Concurrent
// withdrawals on one account never overdraw it: the task decides each on the events it accepted
// before, read back or not.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CommandResult } from '../../../runtime/commands/index.ts';
import { createTopics, readToEnd, testDir } from '../helpers.ts';
import { oracle, outputTables, plain, startApp, tasksRunning, waitCaughtUp } from '../runtime/harness.ts';
import { bankDefinition, bankViolations } from './bank.ts';

const dir = testDir('commands');

function decided(r: CommandResult): Extract<CommandResult, { status: 'decided' }> {
  assert.ok(r.status === 'decided', JSON.stringify(r));
  return r;
}

test('commands: accepted, rejected, conflicts, idempotent retries, across restarts and restores', async () => {
  const { topic, definition } = bankDefinition('cmd-exec');
  await createTopics([topic], { partitions: 3 });
  const stateDir = join(dir, 'exec');
  let app = startApp(definition, stateDir);
  await app.start();
  try {
    await tasksRunning(app);
    const run = (command: string, body: unknown, id?: string, expectedVersion?: unknown) =>
      app.commands!.execute({ command, body, id, expectedVersion });

    const opened = decided(await run('openAccount', { accountId: 'a1', owner: 'ann' }, 'open-a1'));
    assert.equal(opened.outcome.outcome, 'accepted');
    assert.ok(opened.outcome.outcome === 'accepted');
    assert.equal(opened.outcome.version, 1);
    assert.equal(opened.outcome.events[0]!.eventId, 'open-a1-1');
    assert.equal(typeof opened.outcome.events[0]!.offset, 'number');

    const again = decided(await run('openAccount', { accountId: 'a1', owner: 'bob' }));
    assert.deepEqual(
      { outcome: again.outcome.outcome, current: (again.outcome as { current: number }).current },
      { outcome: 'conflict', current: 1 },
    );
    assert.equal(
      decided(await run('deposit', { accountId: 'a1', amount: 1000 })).outcome.outcome,
      'accepted',
    );
    const exact = decided(await run('deposit', { accountId: 'a1', amount: 1 }, undefined, 7));
    assert.equal(exact.outcome.outcome, 'conflict');
    const noAccount = decided(await run('deposit', { accountId: 'zz', amount: 5 }));
    assert.equal(noAccount.outcome.outcome, 'conflict');
    const invalid = await run('withdraw', { accountId: 'a1', amount: -3 });
    assert.equal(invalid.status, 'invalid');

    const w1 = decided(await run('withdraw', { accountId: 'a1', amount: 100 }, 'w1'));
    assert.equal(w1.outcome.outcome, 'accepted');
    assert.equal(w1.replayed, false);
    const retry = decided(await run('withdraw', { accountId: 'a1', amount: 100 }, 'w1'));
    assert.equal(retry.replayed, true);
    assert.equal(retry.outcome.outcome, 'accepted');
    assert.equal((retry.outcome as { version: number }).version, 3);

    // 30 concurrent withdrawals of 50 on a balance of 900: exactly 18 fit.
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => run('withdraw', { accountId: 'a1', amount: 50 }, `c${i}`)),
    );
    const outcomes = results.map((r) => decided(r).outcome);
    assert.equal(outcomes.filter((o) => o.outcome === 'accepted').length, 18);
    const rejected = outcomes.filter((o) => o.outcome === 'rejected');
    assert.equal(rejected.length, 12);
    assert.ok(rejected.every((o) => o.outcome === 'rejected' && o.rule === 'noOverdraft'));
    // A concurrent retry of the same id shares the first answer.
    const [x, y] = await Promise.all([
      run('deposit', { accountId: 'a1', amount: 10 }, 'd-twice'),
      run('deposit', { accountId: 'a1', amount: 10 }, 'd-twice'),
    ]);
    assert.equal(decided(x).outcome.outcome, 'accepted');
    assert.deepEqual(decided(y).outcome, decided(x).outcome);
    await waitCaughtUp(app);
  } finally {
    await app.stop();
  }

  const log = await readToEnd(topic);
  assert.deepEqual(bankViolations(log), []);
  assert.equal(log.filter((r) => JSON.parse(r.value!).eventId === 'w1-1').length, 1);
  assert.equal(log.filter((r) => JSON.parse(r.value!).eventId === 'd-twice-1').length, 1);
  assert.equal(log.length, 1 + 1 + 1 + 18 + 1);
  // The projections equal a replay of the log.
  const events = log.map((r) => ({
    topic,
    key: r.key!,
    value: JSON.parse(r.value!),
    timestamp: r.timestamp,
  }));
  const expected = await oracle(definition, events);
  const tables = await outputTables(definition);
  assert.deepEqual(plain(tables).balances, plain(expected.tables).balances);

  // Restart on the same state, then from an empty directory (restored from the changelogs).
  for (const wipe of [false, true]) {
    if (wipe) await rm(stateDir, { recursive: true, force: true });
    app = startApp(definition, stateDir);
    await app.start();
    try {
      await tasksRunning(app);
      const r = decided(
        await app.commands!.execute({
          command: 'withdraw',
          body: { accountId: 'a1', amount: 100 },
          id: 'w1',
        }),
      );
      assert.equal(r.replayed, true, `wipe=${wipe}`);
      const more = decided(
        await app.commands!.execute({ command: 'withdraw', body: { accountId: 'a1', amount: 500 } }),
      );
      assert.equal(more.outcome.outcome, 'rejected', `wipe=${wipe}: balance 10 after the restart`);
      await waitCaughtUp(app);
    } finally {
      await app.stop();
    }
  }
  const after = await readToEnd(topic);
  assert.equal(after.length, log.length, 'nothing appended twice, nothing lost');
  const tablesAfter = await outputTables(definition);
  assert.deepEqual(plain(tablesAfter).balances, plain(expected.tables).balances);
});

test('a command does not wait for the commit interval: its commit is requested at once', async () => {
  const { topic, definition } = bankDefinition('cmd-early');
  await createTopics([topic], { partitions: 3 });
  // An interval far longer than the test may take: only an early commit can answer the commands.
  const app = startApp(definition, join(dir, 'early'), { commitIntervalMs: 600_000 });
  await app.start();
  try {
    await tasksRunning(app);
    const started = performance.now();
    assert.equal(
      decided(
        await app.commands!.execute({ command: 'openAccount', body: { accountId: 'e1', owner: 'eve' } }),
      ).outcome.outcome,
      'accepted',
    );
    // Concurrent commands on several partitions share commits; each is answered once committed.
    const deposits = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        app.commands!.execute({ command: 'deposit', body: { accountId: 'e1', amount: 1 }, id: `e-${i}` }),
      ),
    );
    assert.ok(deposits.every((d) => decided(d).outcome.outcome === 'accepted'));
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 30_000, `answered after ${Math.round(elapsed)} ms`);
    const offsets = deposits.map(
      (d) => (decided(d).outcome as { events: Array<{ offset?: number }> }).events[0],
    );
    assert.ok(
      offsets.every((e) => typeof e?.offset === 'number'),
      'every answer has its committed offset',
    );
  } finally {
    await app.stop();
  }
  const log = await readToEnd(topic);
  assert.equal(log.length, 21);
});

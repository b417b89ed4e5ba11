// An Idempotency-Key used again for another request (docs/commands.md, "Idempotency"): another
// command on the same entity, the same command on another entity, or another body. Each is refused
// (`reused`, HTTP 422) and appends nothing; before, the first was answered "accepted" while its
// event, whose id derives from the command id, was dropped by the entity's event-id dedup, and the
// second was answered with the first request's outcome while nothing happened to its entity. A
// retry of the same request, even with its fields in another order, still gets the first outcome.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CommandResult } from '../../../runtime/commands/index.ts';
import { createTopics, readToEnd, testDir } from '../helpers.ts';
import { outputTables, plain, startApp, tasksRunning, waitCaughtUp } from '../runtime/harness.ts';
import { bankDefinition } from './bank.ts';

const dir = testDir('commands-reuse');

const summary = (r: CommandResult) =>
  r.status === 'decided' ? `${r.outcome.outcome}${r.replayed ? ' (replayed)' : ''}` : r.status;

test('an Idempotency-Key reused for another request is refused and appends nothing', async () => {
  const { topic, definition } = bankDefinition('cmd-reuse');
  // one partition: both accounts in one task, so their outcomes share one store
  await createTopics([topic], { partitions: 1 });
  const counted: string[] = [];
  const app = startApp(definition, join(dir, 'a'), {
    onCommandOutcome: (command, outcome, seconds) =>
      counted.push(`${command} ${outcome}${seconds === undefined ? '' : ' (timed)'}`),
  });
  await app.start();
  try {
    await tasksRunning(app);
    const run = (command: string, body: unknown, id: string, expectedVersion?: unknown) =>
      app.commands!.execute({ command, body, id, expectedVersion });
    await run('openAccount', { accountId: 'a1', owner: 'ann' }, 'open-a1');
    await run('openAccount', { accountId: 'b1', owner: 'bob' }, 'open-b1');
    assert.equal(summary(await run('deposit', { accountId: 'a1', amount: 100 }, 'X')), 'accepted');

    const other = await run('withdraw', { accountId: 'a1', amount: 30 }, 'X');
    assert.deepEqual(other, { status: 'reused', id: 'X', command: 'deposit' });
    assert.deepEqual(await run('deposit', { accountId: 'b1', amount: 100 }, 'X'), other);
    assert.deepEqual(await run('deposit', { accountId: 'a1', amount: 101 }, 'X'), other);
    assert.deepEqual(await run('deposit', { accountId: 'a1', amount: 100 }, 'X', 2), other);
    // the same request again, its fields in another order: the first outcome
    assert.equal(summary(await run('deposit', { amount: 100, accountId: 'a1' }, 'X')), 'accepted (replayed)');
    // two different requests under one id at once: the second is refused while the first waits
    const [first, second] = await Promise.all([
      run('deposit', { accountId: 'b1', amount: 5 }, 'Y'),
      run('deposit', { accountId: 'b1', amount: 6 }, 'Y'),
    ]);
    assert.deepEqual([summary(first), summary(second)], ['accepted', 'reused']);
    // counted for /metrics, the refused ones without a latency
    assert.equal(counted.filter((c) => c === 'withdraw reused').length, 1);
    assert.equal(counted.filter((c) => c === 'deposit reused').length, 4);
    assert.equal(counted.filter((c) => c.includes('reused') && c.endsWith('(timed)')).length, 0);
    await waitCaughtUp(app);
  } finally {
    await app.stop();
  }
  const log = await readToEnd(topic);
  assert.deepEqual(
    log.map((r) => JSON.parse(r.value!).eventId),
    ['open-a1-1', 'open-b1-1', 'X-1', 'Y-1'],
    'nothing appended for the refused requests',
  );
  const balances = plain(await outputTables(definition)).balances!;
  assert.deepEqual(
    Object.fromEntries(Object.entries(balances).map(([k, v]) => [k, (v as { balance: number }).balance])),
    { a1: 100, b1: 5 },
  );
});

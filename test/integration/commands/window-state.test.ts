// A command's state as a tumbling window (docs/commands.md, "Per-day limits"): the bank's daily
// limit read from the window that holds the command's time, in `streamfold run` on a broker, also
// after a restore of the window store from its changelog (state directory deleted); and refused
// (windowClosed) once another writer's event stamped days ahead has closed that window.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import type { CommandResult } from '../../../runtime/commands/index.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { createTopics, produce, readToEnd, testDir, uniqueTopic } from '../helpers.ts';
import { startApp, tasksRunning, waitCaughtUp } from '../runtime/harness.ts';
import { bankViolations, bankYaml, DAILY_LIMIT } from './bank.ts';

const dir = testDir('commands-window');

const outcome = (r: CommandResult) =>
  r.status === 'decided'
    ? r.outcome.outcome === 'rejected'
      ? `rejected ${r.outcome.rule}`
      : r.outcome.outcome
    : r.status;

test('a windowed command state: the daily limit from the window holding the command, restored', async () => {
  const app = uniqueTopic('cmd-window').replaceAll('-', '_');
  const topic = `${app}-accounts`;
  const yaml = { application: app, ...bankYaml(topic) };
  (yaml.commands.withdraw.state as Record<string, unknown>).today = {
    aggregate: { withdrawn: { sum: { of: 'amount', on: ['MoneyWithdrawn'] } } },
    window: { type: 'tumbling', size: '1d', grace: '1h' },
  };
  const definition = parseConfig(stringify(yaml), 'bank.yaml', {});
  await createTopics([topic], { partitions: 2 });
  const stateDir = join(dir, 'a');

  const sequence: Array<[string, unknown, string]> = [
    ['openAccount', { accountId: 'w1', owner: 'wen' }, 'accepted'],
    ['deposit', { accountId: 'w1', amount: 5000 }, 'accepted'],
    ['withdraw', { accountId: 'w1', amount: 1000 }, 'accepted'],
    ['withdraw', { accountId: 'w1', amount: 600 }, 'rejected dailyLimit'],
    ['withdraw', { accountId: 'w1', amount: 500 }, 'accepted'],
  ];
  let instance = startApp(definition, stateDir);
  await instance.start();
  try {
    await tasksRunning(instance);
    for (const [command, body, expected] of sequence)
      assert.equal(outcome(await instance.commands!.execute({ command, body })), expected, `${command}`);
    await waitCaughtUp(instance);
  } finally {
    await instance.stop();
  }

  // From the changelogs alone: the window still holds today's 1500.
  await rm(stateDir, { recursive: true, force: true });
  instance = startApp(definition, stateDir);
  await instance.start();
  try {
    await tasksRunning(instance);
    const more = await instance.commands!.execute({
      command: 'withdraw',
      body: { accountId: 'w1', amount: 1 },
    });
    assert.equal(outcome(more), 'rejected dailyLimit');
    // Another writer's event whose time is three days ahead closes the task's windows up to then: a
    // withdrawal now would be late in its own window (never counted), so it is refused.
    const ahead = Date.now() + 3 * 86_400_000;
    await produce(topic, [
      {
        key: 'w1',
        value: JSON.stringify({
          eventType: 'MoneyDeposited',
          eventId: 'from-the-future',
          accountId: 'w1',
          amount: 10,
          timestamp: ahead,
        }),
        // (the event time is the value's; the broker refuses record timestamps over an hour ahead)
      },
    ]);
    await waitCaughtUp(instance);
    const closed = await instance.commands!.execute({
      command: 'withdraw',
      body: { accountId: 'w1', amount: 1 },
    });
    assert.equal(outcome(closed), 'rejected windowClosed');
    await waitCaughtUp(instance);
  } finally {
    await instance.stop();
  }
  const log = await readToEnd(topic);
  assert.deepEqual(bankViolations(log), []);
  assert.equal(
    log.filter((r) => JSON.parse(r.value!).eventType === 'MoneyWithdrawn').length,
    2,
    `two withdrawals, ${DAILY_LIMIT} in all`,
  );
});

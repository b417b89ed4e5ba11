// Sample commands for `streamfold run --with-generator` (npm start): besides raw events, the
// generator sends the sample bank's commands (projections.yaml: openAccount, deposit, withdraw) to
// the application's own executor, with amounts that often break a rule, so rejections (no overdraft,
// the daily limit) and version conflicts happen and show on the dashboard and in /metrics.
import type { CommandExecutor, CommandResult } from '../commands/index.ts';
import type { Logger } from '../log/logger.ts';
import { Random } from './random.ts';

const ACCOUNTS = 5;

/** Whether the definition has the sample bank's commands. */
export const hasSampleCommands = (executor: CommandExecutor): boolean =>
  ['openAccount', 'deposit', 'withdraw'].every((c) => executor.commands.has(c));

/** Sends `rate` commands per second until `signal` aborts; logs a summary every 10 s. */
export async function sendSampleCommands(
  executor: CommandExecutor,
  rate: number,
  logger: Logger,
  signal: AbortSignal,
  seed = Date.now() % 2 ** 31,
): Promise<void> {
  const random = new Random(seed);
  const counts = new Map<string, number>();
  const count = (r: CommandResult) => {
    const label =
      r.status !== 'decided'
        ? r.status
        : r.outcome.outcome === 'rejected'
          ? `rejected (${r.outcome.rule})`
          : r.outcome.outcome;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  };
  const report = setInterval(() => {
    if (counts.size > 0) logger.info({ commands: Object.fromEntries(counts) }, 'sample commands sent');
    counts.clear();
  }, 10_000);
  try {
    while (!signal.aborted) {
      const accountId = `sample-${random.int(1, ACCOUNTS)}`;
      const r = random.next();
      const request =
        r < 0.1
          ? { command: 'openAccount', body: { accountId, owner: `owner of ${accountId}` } }
          : r < 0.4
            ? { command: 'deposit', body: { accountId, amount: random.int(100, 500) } }
            : { command: 'withdraw', body: { accountId, amount: random.int(50, 750) } };
      // Not awaited one by one: a slow commit must not slow the rate; answers are counted as they come.
      void executor.execute(request).then(count, () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
    }
  } finally {
    clearInterval(report);
  }
}

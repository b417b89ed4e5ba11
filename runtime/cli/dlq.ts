// `streamfold dlq list [-c file] [--limit n]` prints the application's dead letters;
// `streamfold dlq replay [-c file] [--since ISO] [--kind k] [--original-timestamps] [--dry-run]` re-produces their original
// records to their source topics (new offsets; safe to repeat with eventId deduplication).
import type { Command } from 'commander';
import kafkajs from 'kafkajs';
import type { Definition } from '../../projections/definition/schema.ts';
import { resolveBrokers } from '../app/options.ts';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load.ts';
import {
  DEAD_LETTER_KINDS,
  deadLetterTopics,
  formatDeadLetter,
  isDeadLetterKind,
  readDeadLetters,
  replayDeadLetters,
  selectDeadLetters,
} from '../dlq/index.ts';

const { Kafka, logLevel } = kafkajs;

interface CommonOptions {
  config: string;
  brokers?: string;
}

/** Exit code 2 with one line: the user's mistake, not a crash. */
class UsageError extends Error {}

function setup(opts: CommonOptions): { def: Definition; kafka: InstanceType<typeof Kafka> } {
  let def: Definition;
  try {
    def = loadConfig(opts.config);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.lines.join('\n'));
    throw err;
  }
  const brokers = resolveBrokers(def, opts.brokers);
  if (!brokers) throw new UsageError('no broker configured: give --brokers, KAFKA_BROKERS or kafka.brokers');
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return {
    def,
    kafka: new Kafka({ clientId: `${def.application}-dlq`, brokers, logLevel: logLevel.NOTHING }),
  };
}

async function guarded(name: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    console.error(
      err instanceof UsageError
        ? err.message
        : `streamfold dlq ${name}: ${err instanceof Error ? err.message : String(err)}`,
    );
    process.exitCode = 2;
  }
}

export function register(program: Command): void {
  const dlq = program
    .command('dlq')
    .description('inspect and replay dead letters (records that could not be processed)');
  dlq
    .command('list')
    .description(
      'print the dead letters: failure time, kind, origin topic/partition@offset, projection, key, message',
    )
    .option('-c, --config <file>', 'the definition file', DEFAULT_CONFIG_FILE)
    .option('--brokers <list>', 'Kafka brokers, host:port,... (default: KAFKA_BROKERS, then kafka.brokers)')
    .option('--limit <n>', 'print at most the n most recent', '100')
    .action((opts: CommonOptions & { limit: string }) =>
      guarded('list', async () => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new UsageError(`--limit: expected a positive integer, got ${opts.limit}`);
        const { def, kafka } = setup(opts);
        const all = await readDeadLetters(kafka, def);
        const shown = all.slice(-limit);
        for (const d of shown) console.log(formatDeadLetter(d));
        const older = all.length - shown.length;
        console.log(
          `${all.length} dead letter${all.length === 1 ? '' : 's'} in ${deadLetterTopics(def).join(', ')}${older > 0 ? ` (${older} older not shown)` : ''}`,
        );
      }),
    );
  dlq
    .command('replay')
    .description('re-produce the original records of dead letters to their source topics')
    .option('-c, --config <file>', 'the definition file', DEFAULT_CONFIG_FILE)
    .option('--brokers <list>', 'Kafka brokers, host:port,... (default: KAFKA_BROKERS, then kafka.brokers)')
    .option('--since <time>', 'only dead letters that failed at or after this ISO-8601 time')
    .option('--kind <kind>', `only this kind: ${DEAD_LETTER_KINDS.join(', ')}`)
    .option(
      '--original-timestamps',
      'give replayed records their original timestamps (default: now; see the docs on retention)',
    )
    .option('--dry-run', 'print what would be replayed, produce nothing')
    .action(
      (
        opts: CommonOptions & {
          since?: string;
          kind?: string;
          dryRun?: boolean;
          originalTimestamps?: boolean;
        },
      ) =>
        guarded('replay', async () => {
          const since = opts.since === undefined ? undefined : Date.parse(opts.since);
          if (since !== undefined && Number.isNaN(since))
            throw new UsageError(`--since: expected an ISO-8601 time, got ${opts.since}`);
          if (opts.kind !== undefined && !isDeadLetterKind(opts.kind))
            throw new UsageError(`--kind: expected one of ${DEAD_LETTER_KINDS.join(', ')}, got ${opts.kind}`);
          const { def, kafka } = setup(opts);
          const letters = selectDeadLetters(await readDeadLetters(kafka, def), {
            since,
            kind: opts.kind,
          });
          if (opts.dryRun) {
            for (const d of letters) console.log(formatDeadLetter(d));
            console.log(`would replay ${letters.length} dead letter${letters.length === 1 ? '' : 's'}`);
            return;
          }
          const counts = await replayDeadLetters(kafka, letters, {
            originalTimestamps: opts.originalTimestamps,
          });
          const parts = [...counts].map(([t, n]) => `${n} to ${t}`);
          console.log(
            `replayed ${letters.length} dead letter${letters.length === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`,
          );
        }),
    );
}

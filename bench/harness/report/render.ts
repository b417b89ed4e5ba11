// The report: the results table, input and producer figures, the machine, and every setting.
import { loadavg } from 'node:os';
import { cacheRoot } from '../../../runtime/kafka/local-broker/index.ts';
import type { Contender } from '../contenders/contender.ts';
import { TICK_MS } from '../paced-produce.ts';
import { PRODUCER_SETTINGS } from '../produce.ts';
import { SAMPLE_MS, STABLE_MS } from '../progress.ts';
import type { BenchReport } from '../run.ts';
import type { Sizes } from '../scenarios.ts';
import { failures, producerTable, resultsTable, settingsList, stateTable } from './markdown.ts';
import { commandsTable } from '../commands.ts';
import { largeStateSection } from './large-state.ts';
import { WINDOWS } from '../scenarios.ts';

const root = new URL('../../../', import.meta.url).pathname;

/** Reports are committed: no absolute path of this machine goes into them. */
export function scrubPaths(text: string): string {
  return text
    .replaceAll(`${cacheRoot()}/`, '.cache/')
    .replaceAll(root, '')
    .replaceAll(process.execPath, 'node');
}

export function renderMarkdown(
  report: BenchReport,
  ctx: {
    machine: Record<string, string>;
    sizes: Sizes;
    contenders: Contender[];
    started: Date;
    quick: boolean;
  },
): string {
  const s = ctx.sizes;
  return [
    `# streamfold benchmark${ctx.quick ? ' (quick/smoke mode: numbers are not meaningful)' : ''}`,
    '',
    `Taken ${ctx.started.toISOString().slice(0, 16)}Z by \`npm run bench${ctx.quick ? ':smoke' : ''}\`; every figure below comes from this one run.`,
    `Median over ${s.repetitions} repetition(s), spread min–max. Throughput = input records ÷ (processing start → completion),`,
    'see bench/README.md for the completion rule. Ratios compare medians.',
    '',
    resultsTable(report),
    '',
    '(c) rows/s = rows of the store ÷ time from spawning the process (fresh state) until it reports the store restored',
    'and itself running, so start-up and the group join are included; the changelog records read and each restore on',
    'its own are listed under "Restore runs". The raw row of (c) reads the 1M ~200-byte input records, larger than',
    'changelog records: a reference for reading 1M records with kafkajs, not a ceiling for a restore.',
    '',
    `(e) latency = time a consumer of the output topic receives a record − the record's timestamp, which both contenders`,
    'set to the newest input event time that contributed to the aggregate; inputs are stamped when sent, at a fixed rate,',
    'to a contender already running and caught up. Lower is better; the ratio columns of (e) compare p99 latencies, so',
    'above 1× streamfold is slower. Both emit aggregates per commit (100 ms interval; Kafka Streams through its record',
    'cache), so an event waits up to a commit interval for its result to be written. Both send their repartition',
    'records as they are produced, batched by their producer (streamfold at-least-once: 5 ms linger, one produce in',
    'flight; Kafka Streams: linger.ms 100).',
    '',
    ...(report.results.some((r) => r.scenario === 'cmd')
      ? [
          '## (cmd) Commands',
          '',
          commandsTable(report.results) || failures(report.results.filter((r) => r.scenario === 'cmd')),
          '',
          'Closed-loop HTTP clients (each sends its next command when the previous one is answered), deposits and',
          'withdrawals of 1 EUR on random accounts of the bank example, every command with its own Idempotency-Key;',
          'with 2 instances client c sends to instance c % 2, so about half the commands are forwarded. Latency =',
          'request sent → answer read (accepted means committed: the events are in the log). "raw kafkajs, per-append":',
          'one transactional producer per client, each append its own transaction (send 1 record, commit).',
          '"raw kafkajs, group-commit": one transactional producer per partition, each transaction carrying every',
          'append queued while the previous one committed. Details: bench/README.md, (cmd).',
          '',
        ]
      : []),
    `(h) the changelog of (a)'s output, one update per order (${s.groupByEvents} updates of ${s.groupByCustomers} rows), kept in a PostgreSQL`,
    'table by streamfold (a view: exactly once, the position committed with the rows) and by Kafka Connect with the',
    'Debezium JDBC sink (upsert, at least once), each in its own table of the same database. Per run the pipeline is',
    'started and follows an empty topic; then the harness produces the updates at full speed. rows/s = updates ÷',
    '(first send → the table holds the final rows); lag = last send acknowledged → the table holds the final rows.',
    'The table is polled every 100 ms (row count and sum; running totals only grow, so they match only when every',
    'row is final), then compared row for row ("output correct"). Start-up (to following the topic) is not timed.',
    '',
    '![throughput over time](throughput.svg)',
    '',
    ...largeStateSection(report.results, s),
    ...(report.results.some((r) => r.state)
      ? [
          '## State after retention',
          '',
          'The state directory once each run of (f) and (g) ended and the process stopped: what retention left. streamfold:',
          "LevelDB per task, with the live keys of each store counted (LevelDB keeps deleted keys' tombstones on disk until",
          'it compacts, so its bytes lag behind its keys); Kafka Streams: RocksDB, whose window stores drop expired',
          'segments whole.',
          '',
          stateTable(report.results),
          '',
        ]
      : []),
    '## Input',
    '',
    `(a) ${s.groupByEvents} orders (~200-byte JSON) over ${s.groupByCustomers} customers; (b) ${s.joinCustomers} customers then ${s.joinOrders} orders, both compacted tables;`,
    `(c) ${s.restoreKeys} events with distinct keys (store of ${s.restoreKeys} rows); (e) the orders of (a) over ${s.groupByCustomers} customers,`,
    `${s.latencyWarmup} as a warm-up, then ${s.latencyRate}/s for ${s.latencySeconds} s, per run into a fresh topic; (f) the orders of (a), by event time`,
    `\`placedAt\` (1 ms apart), windows of ${WINDOWS.countSizeMs / 1000} s, grace ${WINDOWS.countGraceMs / 1000} s, retention size + grace on both; (g) ${s.streamJoinOrders} orders`,
    `(\`placedAt\` ${WINDOWS.joinSpacingMs} ms apart) then ${s.streamJoinOrders} payments in \`paidAt\` order (each within ${WINDOWS.joinWithinMs / 60_000} min after its order), inner join within`,
    `${WINDOWS.joinWithinMs / 60_000} min, grace ${WINDOWS.joinGraceMs / 60_000} min; (i) ${s.largeKeys} keys × ${s.largeEventsPerKey} events (~120-byte JSON), round-robin over the keys.`,
    '6 partitions everywhere, seeded generator.',
    '',
    producerTable(report.produced),
    '',
    settingsList(
      'Producer (input load, kafkajs)',
      Object.fromEntries(Object.entries(PRODUCER_SETTINGS).map(([k, v]) => [k, String(v)])),
    ),
    '',
    '## Machine',
    '',
    ...Object.entries(ctx.machine).map(([k, v]) => `- ${k}: ${v}`),
    `- load average at the end (1/5/15 min): ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ')}`,
    '- the machine is shared: other work may have run at the same time (see the load averages)',
    '',
    '## Settings',
    '',
    ...ctx.contenders.flatMap((c) => [settingsList(c.name, c.settings()), '']),
    ...Object.entries(report.settings ?? {}).flatMap(([name, settings]) => [
      settingsList(name, settings),
      '',
    ]),
    settingsList('Harness', {
      'offset sampling': `every ${SAMPLE_MS} ms`,
      completion: `all source offsets committed, no lag on the group's internal topics (1 allowed under exactly-once), outputs unchanged for ${STABLE_MS} ms`,
      repetitions: String(s.repetitions),
      order: 'contenders interleaved per repetition',
      '(e) input': `kafkajs producer in the harness, due records sent every ${TICK_MS} ms, acks=1, each record's timestamp (CreateTime) = when it is sent; a fresh input topic and application per run`,
      '(e) readiness':
        'timed production starts after the contender has processed the warm-up (completion rule above) and the tail consumer has read its output',
      '(e) measurement':
        'a kafkajs consumer on the output topic (in the harness process, same clock), receive time − record timestamp for every record stamped at or after the timed start; nearest-rank quantiles; the run ends by the completion rule',
    }),
    '',
    '## Restore runs',
    '',
    'Timed from spawning the process (fresh local state) until it reports its stores restored and itself running;',
    '"by its own account" is the restore alone as the process reports it.',
    '',
    ...report.results
      .filter((r) => r.scenario === 'c' && r.status === 'ok' && r.contender !== 'raw kafkajs')
      .map((r) => `- ${r.contender} rep ${r.rep}: ${r.note}`),
    '',
    '## Runs that did not produce a figure',
    '',
    failures(report.results),
    ...Object.entries(report.notRun).map(([c, why]) => `- ${c}: not run: ${why}`),
    '',
  ].join('\n');
}

// The report: the results table, input and producer figures, the machine, and every setting.
import { loadavg } from 'node:os';
import { cacheRoot } from '../../../runtime/kafka/local-broker/index.ts';
import type { Contender } from '../contenders/contender.ts';
import { PRODUCER_SETTINGS } from '../produce.ts';
import { SAMPLE_MS, STABLE_MS } from '../progress.ts';
import type { BenchReport } from '../run.ts';
import type { Sizes } from '../scenarios.ts';
import { failures, producerTable, resultsTable, settingsList } from './markdown.ts';

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
  ctx: { machine: Record<string, string>; sizes: Sizes; contenders: Contender[]; started: Date; quick: boolean },
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
    '![throughput over time](throughput.svg)',
    '',
    '## Input',
    '',
    `(a) ${s.groupByEvents} orders (~200-byte JSON) over ${s.groupByCustomers} customers; (b) ${s.joinCustomers} customers then ${s.joinOrders} orders, both compacted tables;`,
    `(c) ${s.restoreKeys} events with distinct keys (store of ${s.restoreKeys} rows). 6 partitions everywhere, seeded generator.`,
    '',
    producerTable(report.produced),
    '',
    settingsList('Producer (input load, kafkajs)', Object.fromEntries(Object.entries(PRODUCER_SETTINGS).map(([k, v]) => [k, String(v)]))),
    '',
    '## Machine',
    '',
    ...Object.entries(ctx.machine).map(([k, v]) => `- ${k}: ${v}`),
    `- load average at the end (1/5/15 min): ${loadavg().map((l) => l.toFixed(2)).join(' / ')}`,
    '- the machine is shared: other work may have run at the same time (see the load averages)',
    '',
    '## Settings',
    '',
    ...ctx.contenders.flatMap((c) => [settingsList(c.name, c.settings()), '']),
    settingsList('Harness', {
      'offset sampling': `every ${SAMPLE_MS} ms`,
      'completion': `all source offsets committed, no lag on the group's internal topics (1 allowed under exactly-once), outputs unchanged for ${STABLE_MS} ms`,
      'repetitions': String(s.repetitions),
      'order': 'contenders interleaved per repetition',
    }),
    '',
    '## Restore runs',
    '',
    'Timed from spawning the process (fresh local state) until it reports its stores restored and itself running;',
    '"by its own account" is the restore alone as the process reports it.',
    '',
    ...report.results.filter((r) => r.scenario === 'c' && r.status === 'ok' && r.contender !== 'raw kafkajs').map((r) => `- ${r.contender} rep ${r.rep}: ${r.note}`),
    '',
    '## Runs that did not produce a figure',
    '',
    failures(report.results),
    ...Object.entries(report.notRun).map(([c, why]) => `- ${c}: not run: ${why}`),
    '',
  ].join('\n');
}


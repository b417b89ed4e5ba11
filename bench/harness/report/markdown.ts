// The results table (markdown) with medians, spreads and ratios.
import type { ProduceStats } from '../produce.ts';
import type { BenchReport, RunResult } from '../run.ts';
import { STREAMS_AT_DEFAULTS } from '../contenders/kafka-streams.ts';
import {
  PER_COMMIT_STREAMFOLD,
  TWO_WORKERS_STREAMFOLD,
  BASELINE_STREAMFOLD,
  UNCHECKED_STREAMFOLD,
} from '../contenders/streamfold.ts';
import { type Scenario, SCENARIOS } from '../scenarios.ts';
import { CONNECT_NAME } from '../views/kafka-connect.ts';
import { spread } from '../stats.ts';

const fmtRate = (n: number) =>
  n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0);
const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(2)}×` : '–');

export interface Row {
  scenario: string;
  contender: string;
  median?: number;
  cell: string;
}

/** The figure a scenario's ratios compare: the rate, or for (e) the p99 latency. */
const metric = (r: RunResult) => r.latency?.p99 ?? r.rate ?? 0;

/** Median metric per scenario and contender (ok runs only). */
export function medians(results: RunResult[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of SCENARIOS) {
    for (const c of new Set(results.map((r) => r.contender))) {
      const sp = spread(
        results.filter((r) => r.scenario === s.id && r.contender === c && r.status === 'ok').map(metric),
      );
      if (sp) out.set(`${s.id}/${c}`, sp.median);
    }
  }
  return out;
}

export function resultsTable(report: BenchReport): string {
  const { results } = report;
  const med = medians(results);
  const contenders = [
    'streamfold',
    UNCHECKED_STREAMFOLD,
    PER_COMMIT_STREAMFOLD,
    TWO_WORKERS_STREAMFOLD,
    BASELINE_STREAMFOLD,
    'Kafka Streams',
    STREAMS_AT_DEFAULTS,
    'raw kafkajs',
    CONNECT_NAME,
  ];
  const lines = [
    '| scenario | contender | throughput, median (min–max) | streamfold ÷ this | this ÷ Kafka Streams | this ÷ raw | peak RSS MiB, median (max) | CPU s per 1M records, median (÷ Kafka Streams) | startup s | output correct | runs |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const cpuMedian = (scenario: string, contender: string) =>
    spread(
      results
        .filter((r) => r.scenario === scenario && r.contender === contender && r.status === 'ok')
        .map(cpuPerMillion)
        .filter((x): x is number => x !== undefined),
    )?.median;
  for (const s of SCENARIOS) {
    if (s.kind === 'commands') continue; // its own table (commandsTable)
    const unit =
      s.kind === 'restore' || s.kind === 'view' ? 'rows/s' : s.kind === 'http' ? 'requests/s' : 'events/s';
    for (const c of contenders) {
      if (!runsIn(s, c)) continue;
      const runs = results.filter((r) => r.scenario === s.id && r.contender === c);
      const ok = runs.filter((r) => r.status === 'ok');
      if (runs.length === 0) {
        if (s.kind === 'http' && c !== 'streamfold') continue;
        if (c === 'raw kafkajs' && s.kind === 'latency') {
          lines.push(
            `| ${s.title} | ${c} | not applicable: it writes no output whose latency could be measured | | | | | | | | |`,
          );
          continue;
        }
        if (c === 'raw kafkajs' && s.exactlyOnce) {
          lines.push(
            `| ${s.title} | ${c} | see the at-least-once row (no guarantee to vary) | | | | | | | | |`,
          );
          continue;
        }
        const why = report.notRun[c];
        if (why) lines.push(`| ${s.title} | ${c} | not run: ${why} | | | | | | | | 0 |`);
        continue;
      }
      if (ok.length === 0) {
        const first = runs[0];
        const label = first?.status === 'not run' ? 'not run' : 'failed';
        lines.push(
          `| ${s.title} | ${c} | ${label}: ${escape(first?.note ?? '')} | | | | | | | | ${runs.length} |`,
        );
        continue;
      }
      const sp = spread(ok.map((r) => r.rate ?? 0));
      const rss = spread(ok.map((r) => r.peakRssMiB ?? 0).filter((x) => x > 0));
      const startup = spread(ok.map((r) => r.startupMs ?? 0).filter((x) => x > 0));
      const mine = med.get(`${s.id}/${c}`);
      const rawKey = `${s.exactlyOnce ? s.id.replace('eos', 'alos') : s.id}/raw kafkajs`;
      const http = ok[0]?.http;
      const cell = http
        ? `${fmtRate(http.maxRps)} ${unit} at most (p50 ${http.maxP50Ms} ms, p99 ${http.maxP99Ms} ms); held at ${http.heldRate}/s: p50 ${http.heldP50Ms} ms, p99 ${http.heldP99Ms} ms (HTTP layer over LevelDB task stores, bench/http)`
        : s.kind === 'latency'
          ? latencyCell(ok)
          : s.kind === 'view'
            ? viewCell(ok, unit)
            : `${fmtRate(sp?.median ?? 0)} ${unit} (${fmtRate(sp?.min ?? 0)}–${fmtRate(sp?.max ?? 0)})`;
      const failed = runs.length - ok.length;
      const verified = ok.map((r) => r.verified).filter(Boolean);
      const correct =
        verified.length === 0
          ? '–'
          : verified.every((v) => v === 'yes')
            ? 'yes'
            : escape(verified.find((v) => v !== 'yes') ?? '');
      lines.push(
        [
          '',
          s.title,
          c,
          cell,
          c === 'streamfold' ? '' : ratio(med.get(`${s.id}/streamfold`), mine),
          c === 'Kafka Streams' ? '' : ratio(mine, med.get(`${s.id}/Kafka Streams`)),
          c === 'raw kafkajs' ? '' : ratio(mine, med.get(rawKey)),
          rss ? `${Math.round(rss.median)} (${Math.round(rss.max)})` : '–',
          cpuCell(cpuMedian(s.id, c), c === 'Kafka Streams' ? undefined : cpuMedian(s.id, 'Kafka Streams')),
          startup ? (startup.median / 1000).toFixed(1) : '–',
          correct,
          `${ok.length}${failed ? ` (+${failed} failed)` : ''}`,
          '',
        ]
          .join(' | ')
          .trim(),
      );
    }
  }
  return lines.join('\n');
}

/**
 * CPU seconds per million records of a timed run (input events, or store rows for a restore): the contender's
 * own processes only, not the broker's. Undefined where the run has no CPU figure or no rate.
 */
const cpuPerMillion = (r: RunResult) =>
  r.cpuMs !== undefined && r.rate && r.elapsedMs
    ? r.cpuMs / 1000 / ((r.rate * r.elapsedMs) / 1000 / 1e6)
    : undefined;

const cpuCell = (mine?: number, streams?: number) =>
  mine === undefined ? '–' : `${mine.toFixed(1)}${streams ? ` (${(mine / streams).toFixed(2)}×)` : ''}`;

/** (h) has its own two pipelines; Kafka Connect runs in (h) only. */
const runsIn = (s: Scenario, contender: string) =>
  s.kind === 'view' ? contender === 'streamfold' || contender === CONNECT_NAME : contender !== CONNECT_NAME;

/** (h): rows/s and the lag of the final rows behind the last update, medians and spreads. */
function viewCell(ok: RunResult[], unit: string): string {
  const rate = spread(ok.map((r) => r.rate ?? 0));
  const lag = spread(ok.map((r) => r.view?.lagMs ?? 0));
  const s = (ms: number) => (ms / 1000).toFixed(1);
  return `${fmtRate(rate?.median ?? 0)} ${unit} (${fmtRate(rate?.min ?? 0)}–${fmtRate(rate?.max ?? 0)}); lag after the last update ${s(lag?.median ?? 0)} s (${s(lag?.min ?? 0)}–${s(lag?.max ?? 0)})`;
}

/** (e): medians over the repetitions of each quantile, p99's spread, and what was measured. */
export function latencyCell(ok: RunResult[]): string {
  const m = (f: (r: RunResult) => number | undefined) => spread(ok.map(f).filter((x) => x !== undefined));
  const [p50, p95, p99, max, n, held] = [
    m((r) => r.latency?.p50),
    m((r) => r.latency?.p95),
    m((r) => r.latency?.p99),
    m((r) => r.latency?.max),
    m((r) => r.latency?.n),
    m((r) => r.latency?.heldRate),
  ];
  const p99Spread = p99 && p99.n > 1 ? ` (${Math.round(p99.min)}–${Math.round(p99.max)})` : '';
  const ms = (x?: { median: number }) => `${Math.round(x?.median ?? 0)} ms`;
  return `p50 ${ms(p50)}, p95 ${ms(p95)}, p99 ${ms(p99)}${p99Spread}, max ${ms(max)}; ${Math.round(n?.median ?? 0)} output records measured; input held at ${fmtRate(held?.median ?? 0)} events/s`;
}

export function producerTable(produced: Record<string, ProduceStats>): string {
  const lines = ['| input | records | MiB | seconds | records/s | MiB/s |', '|---|---|---|---|---|---|'];
  for (const [family, p] of Object.entries(produced)) {
    lines.push(
      `| (${family}) | ${p.records} | ${(p.bytes / 2 ** 20).toFixed(1)} | ${(p.ms / 1000).toFixed(1)} | ${Math.round((p.records / p.ms) * 1000)} | ${((p.bytes / 2 ** 20 / p.ms) * 1000).toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}

export function settingsList(title: string, settings: Record<string, string>): string {
  return [`**${title}**`, '', ...Object.entries(settings).map(([k, v]) => `- ${k}: ${v}`)].join('\n');
}

export function failures(results: RunResult[]): string {
  const bad = results.filter((r) => r.status !== 'ok');
  if (bad.length === 0) return 'none';
  return bad
    .map((r) => `- ${r.scenario} ${r.contender} rep ${r.rep}: ${r.status}: ${escape(r.note ?? '')}`)
    .join('\n');
}

const escape = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** (f), (g): the state each contender left after its run, medians over the repetitions. */
export function stateTable(results: RunResult[]): string {
  const lines = [
    '| scenario | contender | state directory on disk, median (min–max) | live store keys, median (by store) |',
    '|---|---|---|---|',
  ];
  for (const s of SCENARIOS.filter((x) => x.measureState)) {
    for (const c of new Set(results.filter((r) => r.scenario === s.id).map((r) => r.contender))) {
      const ok = results.filter((r) => r.scenario === s.id && r.contender === c && r.state);
      const bytes = spread(ok.map((r) => r.state?.bytes ?? 0));
      if (!bytes) continue;
      const mib = (b: number) => (b / 2 ** 20).toFixed(1);
      const keyed = ok.filter((r) => r.state?.keysByStore);
      const total = (r: RunResult) => Object.values(r.state?.keysByStore ?? {}).reduce((a, b) => a + b, 0);
      const keys = spread(keyed.map(total));
      const median = keyed.find((r) => total(r) === keys?.median) ?? keyed[0];
      const byStore = Object.entries(median?.state?.keysByStore ?? {})
        .map(([store, n]) => `${store} ${n}`)
        .join(', ');
      lines.push(
        `| ${s.title} | ${c} | ${mib(bytes.median)} MiB (${mib(bytes.min)}–${mib(bytes.max)}) | ${keys ? `${Math.round(keys.median)} (${byStore})` : 'not read (RocksDB)'} |`,
      );
    }
  }
  return lines.join('\n');
}

// The report's section of (i): per run, processing rate, RSS over time, state on disk and the restore that
// followed; the issue's targets beside the measured figures; the memory settings of both contenders.
import { KAFKA_STREAMS_ROCKSDB_DEFAULTS, LARGE_STATE_MEMORY, PARTITIONS, type Sizes } from '../scenarios.ts';
import { RSS_SAMPLE_MS } from '../process.ts';
import type { RunResult } from '../run.ts';
import { spread } from '../stats.ts';
import { heapFlags } from '../contenders/contender.ts';
import { STREAMS_SETTINGS } from '../contenders/kafka-streams.ts';

/** Issue 16's targets for (i). */
export const LARGE_STATE_TARGETS = { rssMiB: 400, atKeys: 10_000_000, restoreRatio: 1.0 };

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const round = (n?: number) => (n === undefined ? '–' : String(Math.round(n)));
const seconds = (ms?: number) => (ms === undefined ? '–' : (ms / 1000).toFixed(1));

export function largeStateSection(results: RunResult[], sizes: Sizes): string[] {
  const runs = results.filter((r) => r.scenario === 'i');
  if (runs.length === 0) return [];
  const rows = runs.filter((r) => r.large);
  const lines = [
    '## (i) Large state in bounded memory',
    '',
    `${sizes.largeKeys} distinct keys, ${sizes.largeEventsPerKey} events per key (${sizes.largeKeys * sizes.largeEventsPerKey} events of ~120 bytes, round-robin over the keys), summed per key`,
    '(the record key) into a store with a changelog, at-least-once. Per run: processing as in (a), the state directory once the',
    'process stopped, then the local state wiped and the same application started again, timed until it reports its store',
    `restored and itself running (as in (c)). RSS: the process and its children, sampled every ${RSS_SAMPLE_MS} ms; "over time" is the peak`,
    `of each tenth of the processing run (spawn to stop).`,
    '',
    '| contender | rep | events/s | RSS peak / median MiB | RSS over time, MiB | state on disk MiB (rows) | restore s from spawn (its own) | restore rows/s | restore peak RSS MiB | state after restore MiB |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const l = r.large!;
    const storeRows = l.keysByStore
      ? Object.entries(l.keysByStore)
          .map(([store, n]) => `${store} ${n}`)
          .join(', ')
      : 'RocksDB, not read';
    const restored =
      l.restore.status === 'ok'
        ? `${seconds(l.restore.elapsedMs)} (${seconds(l.restore.restoreMs)})`
        : `failed: ${(l.restore.note ?? '').replaceAll('|', '\\|').replaceAll('\n', ' ')}`;
    lines.push(
      `| ${r.contender} | ${r.rep} | ${round(r.rate)} | ${round(r.peakRssMiB)} / ${round(l.rssMedianMiB)} | ${l.rssSlicesMiB.map(Math.round).join(' ')} | ${mib(l.stateBytes)} (${storeRows}) | ${restored} | ${round(l.restore.rate)} | ${round(l.restore.peakRssMiB)} | ${l.restore.stateBytes === undefined ? '–' : mib(l.restore.stateBytes)} |`,
    );
  }
  const failed = runs.filter((r) => r.status !== 'ok');
  for (const r of failed) lines.push(`| ${r.contender} | ${r.rep} | failed: see below | | | | | | | |`);
  lines.push('', ...targets(rows, sizes), '', ...memorySettings(), '');
  return lines;
}

/** The issue's targets against the medians of this run, met or not, and at which size. */
function targets(rows: RunResult[], sizes: Sizes): string[] {
  const t = LARGE_STATE_TARGETS;
  const of = (contender: string, f: (r: RunResult) => number | undefined) =>
    spread(
      rows
        .filter((r) => r.contender === contender)
        .map(f)
        .filter((x): x is number => x !== undefined && x > 0),
    );
  const peak = of('streamfold', (r) => r.peakRssMiB);
  const mine = of('streamfold', (r) => (r.large?.restore.status === 'ok' ? r.large.restore.rate : undefined));
  const theirs = of('Kafka Streams', (r) =>
    r.large?.restore.status === 'ok' ? r.large.restore.rate : undefined,
  );
  const verdict = (ok: boolean) => (ok ? 'met' : 'not met');
  // the RSS target is for 10M keys: a smaller run is no verdict on it
  const rssVerdict = (peakMiB: number) =>
    sizes.largeKeys >= t.atKeys
      ? verdict(peakMiB <= t.rssMiB)
      : `no verdict: this run has ${sizes.largeKeys} keys, the target is for ${t.atKeys}`;
  const ratio = mine && theirs ? mine.median / theirs.median : undefined;
  return [
    'Targets (issue 16):',
    '',
    `- streamfold RSS ≤ ${t.rssMiB} MiB at ${t.atKeys} keys: ${peak ? `peak ${Math.round(peak.median)} MiB (median of runs), ${rssVerdict(peak.median)}` : 'no figure'}`,
    `- restore rate ≥ ${t.restoreRatio.toFixed(1)}× Kafka Streams' on the same store: ${ratio === undefined ? 'no figure for both' : `${ratio.toFixed(2)}× (${Math.round(mine!.median)} ÷ ${Math.round(theirs!.median)} rows/s, medians, from spawn: start-up and the group join included, as in (c)), ${verdict(ratio >= t.restoreRatio)}`}`,
  ];
}

function memorySettings(): string[] {
  const m = LARGE_STATE_MEMORY;
  const levelMiB = (m.blockCacheBytes + 2 * m.writeBufferBytes) / 2 ** 20;
  return [
    'Memory settings:',
    '',
    `- streamfold (set explicitly): \`state.cacheRows: ${m.cacheRows}\` (clean rows cached per store and task), \`state.maxUncommittedRows: ${m.maxUncommittedRows ?? '20000 (default)'}\` (changed rows and output records a task holds before it commits early), ${m.restoreBatchBytes ? `\`state.restoreBatchBytes: ${m.restoreBatchBytes}\` (${mib(m.restoreBatchBytes)} MiB fetched and written to LevelDB at a time per restoring task), ` : ''}\`state.leveldb.blockCacheBytes: ${m.blockCacheBytes}\` (${mib(m.blockCacheBytes)} MiB), \`state.leveldb.writeBufferBytes: ${m.writeBufferBytes}\` (${mib(m.writeBufferBytes)} MiB) per task database; with ${PARTITIONS} tasks LevelDB holds at most about ${PARTITIONS} × ${levelMiB} MiB (block cache + two write buffers) = ${PARTITIONS * levelMiB} MiB, outside the JavaScript heap; the process runs with \`node ${heapFlags(m).join(' ')}\` (V8's heap limit${m.nodeSemiSpaceMiB ? " and its young generation's" : ''}; \`NODE_OPTIONS\` in a deployment), without which V8 grows its heap lazily towards its default limit of a few GiB.${m.limitMiB ? ` The process runs under a memory limit of ${m.limitMiB} MiB (a memory cgroup of its own, as \`docker run --memory\` or a Kubernetes limit sets it): the kernel keeps its anonymous memory plus the page cache it charged under the limit, reclaiming clean file pages (LevelDB's memory-mapped table pages among them) first.` : ''}`,
    `- Kafka Streams: RocksDB at its defaults, ${KAFKA_STREAMS_ROCKSDB_DEFAULTS} (${PARTITIONS} stores here); record cache \`statestore.cache.max.bytes\` ${STREAMS_SETTINGS.cacheBytes / 2 ** 20} MiB and JVM heap \`${STREAMS_SETTINGS.heap}\` as in (a), and the heap counts in its RSS.`,
  ];
}

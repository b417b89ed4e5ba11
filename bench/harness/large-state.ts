// Scenario (i): a sum per key over many distinct keys in bounded memory. Per contender and repetition: a
// timed processing run whose RSS is kept over time, the state it left on disk, then a restore of the same
// application from its changelog after its local state is wiped (the restore of (c), on this store).
import type { Contender } from './contenders/contender.ts';
import { BASELINE_STREAMFOLD } from './contenders/streamfold.ts';
import type { RssSample } from './process.ts';
import { request, type ScenarioContext, slug } from './run-context.ts';
import type { RunResult } from './run.ts';
import { largeRunTimeoutMs } from './scenarios.ts';
import { spread } from './stats.ts';
import { directoryBytes, measureState } from './state-size.ts';
import { processRun, timedRestore } from './timed-runs.ts';

/**
 * (i) compares streamfold with Kafka Streams on the same store (the raw ceiling only reads the input); the
 * measurement variants (defaults, checks off, workers) answer other questions and are left out.
 */
/** The baseline checkout too: a change to (i)'s settings or stores is measured against its parent. */
export const LARGE_STATE_CONTENDERS = ['streamfold', BASELINE_STREAMFOLD, 'Kafka Streams', 'raw kafkajs'];

/** RSS over a processing run is summarised in this many equal time slices (the peak of each). */
export const RSS_SLICES = 10;

export interface LargeStateFigures {
  keys: number;
  events: number;
  /** Median of every RSS sample of the processing run. */
  rssMedianMiB: number;
  /** Peak RSS of each tenth of the processing run, from spawn to stop. */
  rssSlicesMiB: number[];
  /** The state directory once processing ended and the process stopped. */
  stateBytes: number;
  /** streamfold: live rows per store, read from its LevelDB databases. */
  keysByStore?: Record<string, number>;
  restore: Pick<RunResult, 'status' | 'rate' | 'elapsedMs' | 'restoredRecords' | 'restoreMs' | 'note'> & {
    peakRssMiB?: number;
    rssMedianMiB?: number;
    /** The state directory once restored (compacted differently from the one processing wrote). */
    stateBytes?: number;
  };
}

/** One repetition of (i) for one contender: processing (timed, RSS kept), state on disk, restore. */
export async function largeStateRun(ctx: ScenarioContext, c: Contender, rep: number): Promise<RunResult> {
  const sizes = ctx.o.sizes;
  // a run's timeout grows with its input: 100M events take hours on 2 cores
  const scaled = { ...ctx, o: { ...ctx.o, sizes: { ...sizes, runTimeoutMs: largeRunTimeoutMs(sizes) } } };
  const name = `i-${slug(c.name)}-${rep}`;
  let processing: RssSample[] = [];
  const run = await processRun(scaled, c, rep, name, (l) => (processing = l.proc.rssSeries()));
  if (run.status !== 'ok' || c.name === 'raw kafkajs') return run;
  const { stateDir } = request(ctx, c, name);
  const state = await measureState(stateDir, c.name.startsWith('streamfold'));
  let restoring: RssSample[] = [];
  const restore = await timedRestore(
    scaled,
    c,
    name,
    rep,
    sizes.largeKeys,
    (l) => (restoring = l.proc.rssSeries()),
  );
  const large: LargeStateFigures = {
    keys: sizes.largeKeys,
    events: ctx.dataset.total,
    rssMedianMiB: medianMiB(processing),
    rssSlicesMiB: slicePeaks(processing, RSS_SLICES),
    stateBytes: state.bytes,
    ...(state.keysByStore ? { keysByStore: state.keysByStore } : {}),
    restore: {
      status: restore.status,
      rate: restore.rate,
      elapsedMs: restore.elapsedMs,
      restoredRecords: restore.restoredRecords,
      restoreMs: restore.restoreMs,
      note: restore.note,
      peakRssMiB: restore.peakRssMiB,
      rssMedianMiB: medianMiB(restoring),
      stateBytes: directoryBytes(stateDir),
    },
  };
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  ctx.o.log(
    `  RSS median ${Math.round(large.rssMedianMiB)} MiB, over time ${large.rssSlicesMiB.map(Math.round).join(' ')}; state ${mib(state.bytes)} MiB${state.keysByStore ? ` ${JSON.stringify(state.keysByStore)}` : ''}; restore ${restore.status}${restore.rate ? ` ${Math.round(restore.rate)} rows/s` : ''}`,
  );
  return { ...run, large };
}

const medianMiB = (samples: RssSample[]) => spread(samples.map((s) => s.mib))?.median ?? 0;

/** The peak of each of `n` equal time slices of the samples (0 for a slice without a sample). */
export function slicePeaks(samples: RssSample[], n: number): number[] {
  const out = new Array<number>(n).fill(0);
  if (samples.length === 0) return out;
  const span = Math.max(1, (samples[samples.length - 1] as RssSample).t);
  for (const s of samples) {
    const i = Math.min(n - 1, Math.floor((s.t / span) * n));
    out[i] = Math.max(out[i] as number, s.mib);
  }
  return out;
}

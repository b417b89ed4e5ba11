// The two timed runs the scenarios are made of: a processing run (launch, completion rule, stop, output
// check) and a restore run (wipe the local state, start the same application again, time it until it
// reports its stores restored and itself running).
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Contender, Launched } from './contenders/contender.ts';
import { watchUntilDone } from './progress.ts';
import { createOutput, request, type ScenarioContext, slug } from './run-context.ts';
import type { RunResult } from './run.ts';
import { measureState } from './state-size.ts';
import { tailOf } from './tail.ts';
import { verifyOutput, verifyTotals } from './verify.ts';

/**
 * One timed processing run: launch, wait for the completion rule, stop, then verify the output. `keep`
 * receives the process before it is stopped (e.g. to read its RSS series).
 */
export async function processRun(
  ctx: ScenarioContext,
  c: Contender,
  rep: number,
  fixedName?: string,
  keep?: (launched: Launched) => void,
): Promise<RunResult> {
  const name = fixedName ?? `${ctx.scenario.id}-${slug(c.name)}-${rep}`;
  const req = request(ctx, c, name);
  await createOutput(ctx, c, req);
  const base = { scenario: ctx.scenario.id, contender: c.name, rep };
  ctx.o.log(`${ctx.scenario.id} rep ${rep}: ${c.name} …`);
  const launched = c.launch(req);
  let readyAt: number | undefined;
  launched.ready.then(
    (r) => (readyAt = r.at),
    () => undefined,
  );
  const watch = await watchUntilDone(ctx.admin, {
    groupId: launched.groupId,
    sources: ctx.inputs,
    outputs: c.name === 'raw kafkajs' ? [] : launched.outputs,
    exactlyOnce: ctx.scenario.exactlyOnce,
    spawnedAt: launched.proc.spawnedAt,
    timeoutMs: ctx.o.sizes.runTimeoutMs,
    exited: () => launched.proc.hasExited(),
  });
  const peakRssMiB = launched.proc.peakRssMiB();
  keep?.(launched);
  await launched.proc.stop();
  const state = ctx.scenario.measureState
    ? await measureState(req.stateDir, c.name.startsWith('streamfold'))
    : undefined;
  if (watch.status !== 'done') {
    const note = `${watch.status === 'timeout' ? 'timed out' : 'process exited'}: ${watch.detail}; log ${launched.proc.logFile}: ${tailOf(launched.proc.logFile, 3)}`;
    ctx.o.log(`  failed: ${note}`);
    return { ...base, status: 'failed', note, peakRssMiB };
  }
  const startedAt =
    c.timedFromReady && readyAt !== undefined ? Math.min(readyAt, watch.startedAt) : watch.startedAt;
  const elapsedMs = Math.max(watch.doneAt - startedAt, 1);
  const rate = (ctx.dataset.total / elapsedMs) * 1000;
  const result: RunResult = {
    ...base,
    status: 'ok',
    rate,
    elapsedMs,
    cpuMs: launched.proc.cpuMsBetween(startedAt, watch.doneAt),
    startupMs: startedAt - launched.proc.spawnedAt,
    peakRssMiB,
    samples: watch.samples,
    startedAtOffsetMs: startedAt - launched.proc.spawnedAt,
    state,
  };
  const { expected, expectedTotals } = ctx.dataset;
  if ((expected || expectedTotals) && c.name !== 'raw kafkajs') {
    const timeoutMs = Math.max(120_000, ctx.o.sizes.runTimeoutMs / 4);
    const eos = ctx.scenario.exactlyOnce;
    const v = expectedTotals
      ? await verifyTotals(ctx.kafka, req.output, expectedTotals, timeoutMs, eos)
      : await verifyOutput(ctx.kafka, req.output, expected!, timeoutMs, eos);
    result.verified = v.ok ? 'yes' : `NO: ${v.detail}`;
  }
  ctx.o.log(
    `  ${Math.round(rate)} events/s, ${(elapsedMs / 1000).toFixed(2)} s${cpuNote(result.cpuMs)}, peak RSS ${Math.round(peakRssMiB)} MiB${result.verified ? `, correct: ${result.verified}` : ''}${state ? `, state ${(state.bytes / 2 ** 20).toFixed(1)} MiB${state.keysByStore ? ` ${JSON.stringify(state.keysByStore)}` : ''}` : ''}`,
  );
  return result;
}

/**
 * Wipes the local state of the application `name` (built by a processing run of that name) and times a
 * fresh start until it reports its stores restored and itself running. rate = `rows` (of the store) per
 * second: contenders may keep different numbers of changelog records for the same store (streamfold can
 * restore several stores per projection), so the common unit is the store's rows. `keep` receives the
 * process before it is stopped.
 */
export async function timedRestore(
  ctx: ScenarioContext,
  c: Contender,
  name: string,
  rep: number,
  rows: number,
  keep?: (launched: Launched) => void,
): Promise<RunResult> {
  const req = { ...request(ctx, c, name), expectRestore: true };
  rmSync(req.stateDir, { recursive: true, force: true });
  await sleep(500);
  ctx.o.log(`${ctx.scenario.id} rep ${rep}: ${c.name} restores …`);
  const launched = c.launch(req);
  const timer = new AbortController();
  const timeout = sleep(ctx.o.sizes.runTimeoutMs, undefined, { signal: timer.signal })
    .then(() => 'timeout' as const)
    .catch(() => 'timeout' as const);
  const outcome = await Promise.race([
    launched.ready,
    launched.proc.exited.then(() => 'exited' as const),
    timeout,
  ]);
  timer.abort();
  const peakRssMiB = launched.proc.peakRssMiB();
  keep?.(launched);
  await launched.proc.stop();
  const base = { scenario: ctx.scenario.id, contender: c.name, rep, peakRssMiB };
  if (typeof outcome === 'string' || !outcome.restoredRecords) {
    const why = typeof outcome === 'string' ? outcome : 'no changelog records were restored';
    return {
      ...base,
      status: 'failed',
      note: `${why}; log ${launched.proc.logFile}: ${tailOf(launched.proc.logFile, 3)}`,
    };
  }
  const elapsedMs = outcome.at - launched.proc.spawnedAt;
  const rate = (rows / elapsedMs) * 1000;
  const cpuMs = launched.proc.cpuMsBetween(launched.proc.spawnedAt, outcome.at);
  ctx.o.log(
    `  restored ${outcome.restoredRecords} changelog records in ${(elapsedMs / 1000).toFixed(2)} s${cpuNote(cpuMs)}: ${Math.round(rate)} store rows/s`,
  );
  const inside = outcome.restoreMs
    ? `, ${(outcome.restoreMs / 1000).toFixed(1)} s of it restoring by its own account`
    : '';
  return {
    ...base,
    status: 'ok',
    rate,
    elapsedMs,
    cpuMs,
    restoredRecords: outcome.restoredRecords,
    restoreMs: outcome.restoreMs,
    note: `${rows} rows (${outcome.restoredRecords} changelog records) in ${(elapsedMs / 1000).toFixed(1)} s from spawn${inside}`,
  };
}

const cpuNote = (cpuMs: number | undefined) =>
  cpuMs === undefined ? '' : ` (CPU ${(cpuMs / 1000).toFixed(1)} s)`;

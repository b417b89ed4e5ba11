// (e) end-to-end latency: per run, a fresh input topic and application; the contender is started and caught
// up on a warm-up batch first (so start-up, the group join and internal topic creation are not measured),
// then orders arrive at a fixed rate, stamped when sent, and the tail consumer measures how long each output
// record's newest input took to show up. The raw ceiling has no output topic, so it has no (e) row.
import type { Admin } from 'kafkajs';
import type { Contender } from './contenders/contender.ts';
import { startTail } from './latency-tail.ts';
import { producePaced, sendNow } from './paced-produce.ts';
import { watchUntilDone } from './progress.ts';
import { createOutput, request, type ScenarioContext, slug } from './run-context.ts';
import type { RunResult } from './run.ts';
import { PARTITIONS } from './scenarios.ts';
import { type LatencySummary, latencySummary } from './stats.ts';
import { tailOf } from './tail.ts';
import { verifyOutput } from './verify.ts';

/** What an (e) run reports: latency quantiles over the measured output records and the input rate held. */
export interface LatencyFigures extends LatencySummary {
  /** Orders sent at the fixed rate (the warm-up excluded). */
  sent: number;
  /** The rate actually held, orders/s (first send → last acknowledgement). */
  heldRate: number;
}

async function partitionEnds(admin: Admin, topic: string): Promise<Map<number, number>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
}

export async function latencyRun(ctx: ScenarioContext, c: Contender, rep: number): Promise<RunResult> {
  const { o, admin, kafka } = ctx;
  const { latencyRate: rate, latencySeconds: seconds, latencyWarmup: warmup } = o.sizes;
  const name = `e-${slug(c.name)}-${rep}`;
  const input = ctx.dataset.inputs[0]!;
  const topic = `bench-${ctx.tag}-${name}-in`;
  const req = { ...request(ctx, c, name), inputs: [topic] };
  const base = { scenario: ctx.scenario.id, contender: c.name, rep };
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
  });
  await createOutput(ctx, c, req);
  o.log(`e rep ${rep}: ${c.name}: warm-up of ${warmup} orders, then ${rate}/s for ${seconds} s …`);

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const tail = await startTail(kafka, req.output);
  const launched = c.launch(req);
  const watch = () =>
    watchUntilDone(admin, {
      groupId: launched.groupId,
      sources: [topic],
      outputs: [req.output],
      exactlyOnce: false,
      spawnedAt: launched.proc.spawnedAt,
      timeoutMs: o.sizes.runTimeoutMs,
      exited: () => launched.proc.hasExited(),
    });
  let failed: string | undefined;
  let sent = { records: 0, ms: 1 };
  try {
    await sendNow(producer, topic, input, 0, warmup);
    const warm = await watch();
    if (warm.status !== 'done') failed = `warm-up: ${warm.status}: ${warm.detail}`;
    else {
      await tail.caughtUp(await partitionEnds(admin, req.output), 30_000);
      tail.measureFrom(Date.now());
      sent = await producePaced(producer, topic, input, warmup, warmup + rate * seconds, rate);
      const done = await watch();
      if (done.status !== 'done') failed = `${done.status}: ${done.detail}`;
      else if (!(await tail.caughtUp(await partitionEnds(admin, req.output), 30_000)))
        failed = 'the tail consumer did not reach the end of the output topic';
    }
  } catch (err) {
    failed = (err as Error).message;
  } finally {
    await producer.disconnect();
  }
  const peakRssMiB = launched.proc.peakRssMiB();
  await launched.proc.stop();
  await tail.stop();
  const summary = latencySummary(tail.latencies);
  if (failed || !summary) {
    const note = `${failed ?? 'no output record was measured'}; log ${launched.proc.logFile}: ${tailOf(launched.proc.logFile, 3)}`;
    o.log(`  failed: ${note}`);
    return { ...base, status: 'failed', note, peakRssMiB };
  }
  const latency: LatencyFigures = {
    ...summary,
    sent: sent.records,
    heldRate: (sent.records / sent.ms) * 1000,
  };
  const v = await verifyOutput(kafka, req.output, ctx.dataset.expected!, 120_000, false);
  const verified = v.ok ? 'yes' : `NO: ${v.detail}`;
  o.log(
    `  p50 ${latency.p50} ms, p95 ${latency.p95} ms, p99 ${latency.p99} ms, max ${latency.max} ms over ${latency.n} output records; input at ${Math.round(latency.heldRate)}/s; correct: ${verified}`,
  );
  return { ...base, status: 'ok', rate: latency.heldRate, peakRssMiB, verified, latency };
}

// The benchmark's smoke mode against the test broker, so that `npm run bench` cannot rot: every contender
// runs every scenario on ~10k events ((e): a few seconds at a low rate; (cmd): 1 s per client count), and the
// report renders. No timing is asserted, only that each contender produced a figure and, where there is an
// output, the right final values ((e): that output records were measured; (f), (g): the state left after
// retention too; (i): RSS over time, state on disk and a restore; (cmd): each accepted command once in the log).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { kafkaStreams } from '../../bench/harness/contenders/kafka-streams.ts';
import { rawCeiling } from '../../bench/harness/contenders/raw.ts';
import { streamfold } from '../../bench/harness/contenders/streamfold.ts';
import { renderMarkdown } from '../../bench/harness/report/render.ts';
import { throughputSvg } from '../../bench/harness/report/svg.ts';
import { type RunResult, runBench } from '../../bench/harness/run.ts';
import { QUICK } from '../../bench/harness/scenarios.ts';
import { benchOnThisNode, brokers } from './helpers.ts';

benchOnThisNode();

void test(
  'bench smoke: Kafka Streams, the raw ceiling and streamfold on ~10k events',
  { timeout: 15 * 60_000 },
  async (t) => {
    const workDir = mkdtempSync(join(tmpdir(), 'streamfold-bench-smoke-'));
    const contenders = [kafkaStreams(), rawCeiling(), streamfold()];
    try {
      const report = await runBench({
        brokers: brokers(),
        sizes: QUICK,
        contenders,
        // (d) is bench/http's own load generator, exercised by its owner; (h) needs Kafka Connect's jars
        // (about 60 MB from Maven Central, which a fresh clone lacks) and PostgreSQL: its streamfold side is
        // bench-views.test.ts; the rest is this harness
        scenarios: ['a-alos', 'a-eos', 'b', 'c', 'e', 'f', 'g', 'i', 'cmd'],
        workDir,
        quick: true,
        log: (line) => t.diagnostic(line),
      });
      const find = (scenario: RunResult['scenario'], contender: string) =>
        report.results.filter((r) => r.scenario === scenario && r.contender === contender);
      const okRun = (scenario: RunResult['scenario'], contender: string, verified: boolean) => {
        const runs = find(scenario, contender);
        assert.equal(runs.length, 1, `${scenario} ${contender}: one run`);
        const run = runs[0] as RunResult;
        assert.equal(run.status, 'ok', `${scenario} ${contender}: ${run.note}`);
        assert.ok((run.rate ?? 0) > 0, `${scenario} ${contender}: a positive rate`);
        assert.ok((run.peakRssMiB ?? 0) > 10, `${scenario} ${contender}: a peak RSS was sampled`);
        assert.ok((run.cpuMs ?? 0) > 0, `${scenario} ${contender}: CPU time was counted while timed`);
        if (verified) assert.equal(run.verified, 'yes', `${scenario} ${contender}: output correct`);
      };

      assert.deepEqual(
        Object.keys(report.notRun).filter((c) => c !== 'streamfold'),
        [],
      );
      for (const s of ['a-alos', 'b', 'c', 'f', 'g', 'i'] as const) okRun(s, 'raw kafkajs', false);
      assert.equal(find('a-eos', 'raw kafkajs').length, 0, 'the raw ceiling has no exactly-once row');
      okRun('a-alos', 'Kafka Streams', true);
      okRun('a-eos', 'Kafka Streams', true);
      okRun('b', 'Kafka Streams', true);
      okRun('c', 'Kafka Streams', false);
      // (f), (g): correct windowed output, and the state left after the run measured
      const stateOf = (scenario: RunResult['scenario'], contender: string) =>
        find(scenario, contender)[0]?.state;
      for (const s of ['f', 'g'] as const) {
        okRun(s, 'Kafka Streams', true);
        assert.ok((stateOf(s, 'Kafka Streams')?.bytes ?? 0) > 0, `${s}: Kafka Streams' state measured`);
      }
      // (i): processed and checked, RSS over time, state on disk, then restored from the changelog
      const largeRun = (contender: string) => {
        okRun('i', contender, true);
        const large = find('i', contender)[0]?.large;
        assert.ok(large, `i ${contender}: large-state figures`);
        assert.equal(large.keys, QUICK.largeKeys);
        assert.ok(
          large.rssSlicesMiB.some((m) => m > 10),
          `i ${contender}: RSS over time`,
        );
        assert.ok(large.stateBytes > 0, `i ${contender}: state on disk measured`);
        assert.equal(large.restore.status, 'ok', `i ${contender}: restore: ${large.restore.note}`);
        assert.ok((large.restore.rate ?? 0) > 0, `i ${contender}: a restore rate`);
        return large;
      };
      largeRun('Kafka Streams');
      assert.equal(
        find('c', 'Kafka Streams')[0]?.note?.startsWith(
          `${QUICK.restoreKeys} rows (${QUICK.restoreKeys} changelog records)`,
        ),
        true,
      );

      // (e): a latency figure over at least one measured output record, never a timing
      const latencyRun = (contender: string) => {
        const runs = find('e', contender);
        assert.equal(runs.length, 1, `e ${contender}: one run`);
        const run = runs[0] as RunResult;
        assert.equal(run.status, 'ok', `e ${contender}: ${run.note}`);
        assert.ok((run.latency?.n ?? 0) > 0, `e ${contender}: output records were measured`);
        assert.ok(Number.isFinite(run.latency?.p99), `e ${contender}: a p99 figure`);
        assert.equal(run.verified, 'yes', `e ${contender}: output correct`);
      };
      latencyRun('Kafka Streams');
      assert.equal(find('e', 'raw kafkajs').length, 0, 'the raw ceiling has no latency row');

      if (report.notRun.streamfold) {
        // tolerated only while `streamfold run` does not exist
        assert.match(report.notRun.streamfold, /not available yet/);
        t.diagnostic(`streamfold: not run: ${report.notRun.streamfold}`);
      } else {
        okRun('a-alos', 'streamfold', true);
        okRun('b', 'streamfold', true);
        okRun('c', 'streamfold', false);
        for (const s of ['f', 'g'] as const) {
          okRun(s, 'streamfold', true);
          const keys = stateOf(s, 'streamfold')?.keysByStore ?? {};
          assert.ok((stateOf(s, 'streamfold')?.bytes ?? 0) > 0, `${s}: streamfold's state measured`);
          assert.ok(
            Object.values(keys).some((n) => n > 0),
            `${s}: live keys counted per store`,
          );
        }
        latencyRun('streamfold');
        const large = largeRun('streamfold');
        assert.equal(
          Object.values(large.keysByStore ?? {}).reduce((a, b) => a + b, 0),
          QUICK.largeKeys,
          'i: one store row per key',
        );
        const eos = find('a-eos', 'streamfold')[0];
        if (eos?.status !== 'ok')
          assert.match(eos?.note ?? '', /not supported yet/, 'exactly-once fails only as unsupported');
        else assert.equal(eos.verified, 'yes');
        // (cmd): a figure per contender and client count, and the log holds each accepted command once
        const commands = find('cmd', 'streamfold');
        assert.equal(commands.length, 1, 'cmd: one run');
        assert.equal(commands[0]!.status, 'ok', `cmd: ${commands[0]!.note}`);
        assert.equal(commands[0]!.verified, 'yes');
        const figures = commands[0]!.commands!.figures;
        for (const c of [
          'streamfold, 1 instance',
          'streamfold, 2 instances',
          'raw kafkajs, per-append',
          'raw kafkajs, group-commit',
          'Apache Kafka Java producer, group-commit',
        ])
          for (const clients of [1, 16, 64])
            assert.ok(
              (figures.find((f) => f.contender === c && f.clients === clients)?.rate ?? 0) > 0,
              `cmd: ${c}, ${clients} clients: a positive rate`,
            );
      }

      const md = renderMarkdown(report, {
        machine: { cores: 'test' },
        sizes: QUICK,
        contenders,
        started: new Date(),
        quick: true,
      });
      assert.match(md, /\| \(a\) group-by-sum, at-least-once \| Kafka Streams \| [\d.]+k? events\/s/);
      // CPU seconds per 1M records, with the ratio to Kafka Streams' on the other contenders' rows
      assert.match(md, /\| \(a\) group-by-sum, at-least-once \| raw kafkajs \| .* \| [\d.]+ \([\d.]+×\) \|/);
      assert.match(md, /\| \(c\) cold restore .* \| raw kafkajs \| [\d.]+k? rows\/s/);
      assert.match(
        md,
        /\| \(e\) end-to-end latency.* \| Kafka Streams \| p50 \d+ ms, p95 \d+ ms, p99 \d+ ms.*, max \d+ ms; [1-9]\d* output records measured/,
      );
      assert.match(md, /\| \(e\) end-to-end latency.* \| raw kafkajs \| not applicable/);
      if (!report.notRun.streamfold)
        assert.match(md, /\| streamfold, 2 instances \| 16 \| \d+ \(\d+–\d+\) \| [\d.]+ \| [\d.]+ \|/);
      assert.match(md, /## State after retention/);
      assert.match(md, /## \(i\) Large state in bounded memory/);
      assert.match(md, /restore rate ≥ 1\.0× Kafka Streams' on the same store: [\d.]+×/);
      assert.match(md, /\| \(g\) stream–stream join.* \| streamfold \| [\d.]+ MiB .*join-left \d+/);
      const svg = throughputSvg(report.results, 'smoke');
      assert.match(svg, /^<svg /);
      assert.match(svg, /<path d="M[\d.]+,[\d.]+ L/, 'at least one throughput line');
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  },
);

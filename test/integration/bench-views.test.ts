// The benchmark's scenario (h) in smoke mode, streamfold's side only (Kafka Connect's jars are not part of a
// fresh clone; `npm run bench -- --scenarios h` runs both): the bench's own PostgreSQL cluster, streamfold
// keeping ~10k updates in its view, and the table compared row for row with the final totals. No timing is
// asserted, only that a figure and the lag were measured and the rows are right.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { renderMarkdown } from '../../bench/harness/report/render.ts';
import { type BenchReport, runBench } from '../../bench/harness/run.ts';
import { QUICK } from '../../bench/harness/scenarios.ts';
import { cacheRoot } from '../../runtime/kafka/local-broker/index.ts';
import { benchOnThisNode, brokers } from './helpers.ts';

benchOnThisNode();

void test(
  'bench (h) smoke: streamfold keeps ~10k updates in PostgreSQL',
  { timeout: 5 * 60_000 },
  async (t) => {
    // inside .cache: the PostgreSQL cluster runs as another user when we are root, and needs to reach its data
    const workDir = mkdtempSync(join(cacheRoot(), 'bench-views-test-'));
    chmodSync(workDir, 0o755); // mkdtemp's 0700 would keep the cluster's user out
    try {
      const report: BenchReport = await runBench({
        brokers: brokers(),
        sizes: QUICK,
        contenders: [],
        scenarios: ['h'],
        workDir,
        quick: true,
        log: (line) => t.diagnostic(line),
        viewSinks: ['streamfold'],
      });
      assert.equal(report.results.length, 1, JSON.stringify(report.notRun));
      const run = report.results[0]!;
      assert.equal(run.status, 'ok', run.note);
      assert.equal(run.contender, 'streamfold');
      assert.equal(run.verified, 'yes');
      assert.ok((run.rate ?? 0) > 0, 'a positive rate');
      assert.ok(run.view !== undefined && run.view.lagMs >= 0, 'the lag was measured');
      assert.equal(report.produced['h, streamfold']?.records, QUICK.groupByEvents);
      const md = renderMarkdown(report, {
        machine: {},
        sizes: QUICK,
        contenders: [],
        started: new Date(),
        quick: true,
      });
      assert.match(md, /\| \(h\) .* \| streamfold \| [\d.k]+ rows\/s .*lag after the last update/);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  },
);

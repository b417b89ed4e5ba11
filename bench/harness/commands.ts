// (cmd) commands: accepted commands/s and latency of POST /commands/{name}, exactly-once, one and two
// `streamfold run` instances, beside raw kafkajs transactional appends. Measured by
// bench/commands/commands.bench.ts (its own processes and load clients) on the harness's broker; the
// harness runs it and parses its last line. When it fails, the row says so. No number is made up.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CommandsFigures } from '../commands/commands.bench.ts';
import { benchNode } from './node.ts';
import type { BenchOptions, RunResult } from './run.ts';
import { spread } from './stats.ts';

const script = new URL('../commands/commands.bench.ts', import.meta.url).pathname;
const root = new URL('../../', import.meta.url).pathname;

export interface CommandsReport {
  figures: CommandsFigures[];
  exactlyOnce: { ok: boolean; detail: string };
}

/** The figures in the script's output (its `{"event":"commands-results",…}` line), if any. */
export function parseCommandsOutput(stdout: string): CommandsReport | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('{"event":"commands-results"'));
  return line ? (JSON.parse(line) as CommandsReport) : undefined;
}

export async function runCommandsDelegate(o: BenchOptions): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (let rep = 1; rep <= o.sizes.repetitions; rep++) {
    const base = { scenario: 'cmd' as const, contender: 'streamfold', rep };
    const args = [
      '--import',
      'tsx',
      script,
      '--brokers',
      o.brokers.join(','),
      '--dir',
      join(o.workDir, `commands-${rep}`),
      ...(o.quick ? ['--quick'] : []),
    ];
    o.log(`cmd: bench/commands/commands.bench.ts${o.quick ? ' --quick' : ''} (rep ${rep}) …`);
    try {
      const { stdout } = await promisify(execFile)(benchNode(), args, {
        cwd: root,
        timeout: o.sizes.runTimeoutMs * 2,
        maxBuffer: 16 * 2 ** 20,
      });
      for (const l of stdout.split('\n')) if (l && !l.startsWith('{')) o.log(`  ${l}`);
      const report = parseCommandsOutput(stdout);
      if (!report) {
        results.push({ ...base, status: 'failed', note: `no results line: ${stdout.slice(-300)}` });
        continue;
      }
      // the run is streamfold's: errors of a reference writer show in its own row, not as a failed run
      const ok =
        report.exactlyOnce.ok &&
        report.figures.filter((f) => f.contender.startsWith('streamfold')).every((f) => f.errors === 0);
      results.push({
        ...base,
        status: ok ? 'ok' : 'failed',
        verified: report.exactlyOnce.ok ? 'yes' : report.exactlyOnce.detail,
        commands: report,
        ...(ok ? {} : { note: report.figures.find((f) => f.note)?.note ?? report.exactlyOnce.detail }),
      });
    } catch (err) {
      const e = err as { message: string; stdout?: string };
      const why = `${e.message.split('\n')[0]} ${(e.stdout ?? '').slice(-300)}`;
      results.push({ ...base, status: 'failed', note: `bench/commands failed: ${why}` });
    }
  }
  return results;
}

/** (cmd) as its own table: per contender and client count, medians over the repetitions. */
export function commandsTable(results: RunResult[]): string {
  const runs = results.filter((r) => r.scenario === 'cmd' && r.commands);
  if (runs.length === 0) return '';
  const all = runs.flatMap((r) => r.commands!.figures);
  const keys = [...new Set(all.map((f) => `${f.contender}\u0000${f.clients}`))];
  const median = (xs: number[]) => spread(xs)?.median ?? Number.NaN;
  const ceiling = new Map<number, number>();
  for (const k of keys) {
    const [contender, clients] = k.split('\u0000') as [string, string];
    if (contender === 'raw kafkajs, group-commit')
      ceiling.set(
        Number(clients),
        median(all.filter((f) => `${f.contender}\u0000${f.clients}` === k).map((f) => f.rate)),
      );
  }
  const lines = [
    '| contender | clients | accepted/s, median (min–max) | p50 ms | p99 ms | ÷ raw group-commit | accepted / refused / errors (last run) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const k of keys) {
    const [contender, clients] = k.split('\u0000') as [string, string];
    const fs = all.filter((f) => `${f.contender}\u0000${f.clients}` === k);
    const rate = spread(fs.map((f) => f.rate))!;
    const last = fs.at(-1)!;
    const ceil = ceiling.get(Number(clients));
    lines.push(
      `| ${contender} | ${clients} | ${Math.round(rate.median)} (${Math.round(rate.min)}–${Math.round(rate.max)}) | ${median(fs.map((f) => f.p50Ms)).toFixed(1)} | ${median(fs.map((f) => f.p99Ms)).toFixed(1)} | ${ceil ? `${(rate.median / ceil).toFixed(2)}×` : '–'} | ${last.accepted} / ${last.refused} / ${last.errors} |`,
    );
  }
  const checks = runs.map(
    (r) => `rep ${r.rep}: ${r.commands!.exactlyOnce.ok ? 'ok' : 'FAILED'}, ${r.commands!.exactlyOnce.detail}`,
  );
  return [
    ...lines,
    '',
    `Exactly-once check of the entity topic (read_committed, from offset 0): ${checks.join('; ')}.`,
  ].join('\n');
}

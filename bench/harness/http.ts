// (d) HTTP get-by-key is measured by bench/http/get-by-key.ts, the HTTP API's own autocannon load generator
// (a server over LevelDB task stores in a child process, on loopback). The harness runs it and parses its
// two summary lines; when it is missing or fails, the row says so. No number is made up.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { benchNode } from './node.ts';
import type { BenchOptions, RunResult } from './run.ts';

const script = new URL('../http/get-by-key.ts', import.meta.url).pathname;
const root = new URL('../../', import.meta.url).pathname;

export interface HttpFigures {
  heldRate: number;
  heldP50Ms: number;
  heldP99Ms: number;
  maxRps: number;
  maxP50Ms: number;
  maxP99Ms: number;
}

const LINE = /^(held at \d+ req\/s|as fast as it goes)\s+(\d+) req\/s\s+p50 ([\d.]+) ms\s+p99 ([\d.]+) ms/;

/** The figures in get-by-key.ts's output, or undefined when its two summary lines are not there. */
export function parseHttpOutput(stdout: string): HttpFigures | undefined {
  const lines = stdout
    .split('\n')
    .map((l) => LINE.exec(l.trim()))
    .filter((m) => m !== null);
  const held = lines.find((m) => m[1]?.startsWith('held'));
  const max = lines.find((m) => m[1]?.startsWith('as fast'));
  if (!held || !max) return undefined;
  return {
    heldRate: Number(/\d+/.exec(held[1] ?? '')?.[0]),
    heldP50Ms: Number(held[3]),
    heldP99Ms: Number(held[4]),
    maxRps: Number(max[2]),
    maxP50Ms: Number(max[3]),
    maxP99Ms: Number(max[4]),
  };
}

export async function runHttpDelegate(o: BenchOptions): Promise<RunResult[]> {
  const base = { scenario: 'd' as const, contender: 'streamfold', rep: 1 };
  if (!existsSync(script))
    return [{ ...base, status: 'not run', note: 'bench/http/get-by-key.ts does not exist yet' }];
  const args = [
    '--import',
    'tsx',
    script,
    ...(o.quick ? ['--duration', '2', '--keys', '10000', '--rate', '1000'] : []),
  ];
  o.log(`d: bench/http/get-by-key.ts ${args.slice(3).join(' ')} …`);
  try {
    const { stdout } = await promisify(execFile)(benchNode(), args, {
      cwd: root,
      timeout: o.sizes.runTimeoutMs,
      maxBuffer: 16 * 2 ** 20,
    });
    const http = parseHttpOutput(stdout);
    if (!http)
      return [{ ...base, status: 'failed', note: `get-by-key.ts printed no summary: ${stdout.slice(-300)}` }];
    o.log(
      `  ${http.maxRps} req/s at most; at ${http.heldRate} req/s p50 ${http.heldP50Ms} ms, p99 ${http.heldP99Ms} ms`,
    );
    return [{ ...base, status: 'ok', rate: http.maxRps, http }];
  } catch (err) {
    return [
      {
        ...base,
        status: 'failed',
        note: `bench/http/get-by-key.ts failed: ${(err as Error).message.split('\n')[0]}`,
      },
    ];
  }
}

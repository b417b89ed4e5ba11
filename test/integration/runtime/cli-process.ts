// Runs the real CLI as a child process and collects its output, for the runtime's CLI tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/streamfold.js', import.meta.url));

/** Every process cli() started that has not exited yet (killAll() ends them). */
const live = new Set<CliRun>();
/** Every process cli() started, in order (their output, for a failing test's report). */
const started: CliRun[] = [];

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** JSON log lines (stderr is not a TTY, so the logger writes JSON). */
  logs: () => Array<Record<string, unknown>>;
  /** The arguments, for reports. */
  args: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog: (
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ) => Promise<Record<string, unknown>>;
}

export function cli(args: string[], env: Record<string, string | undefined> = {}, cwd?: string): CliRun {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd,
    // `run` serves HTTP on 8080 by default: several test processes at once need free ports.
    env: { ...process.env, STREAMFOLD_LOG_FORMAT: 'json', STREAMFOLD_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      live.delete(run);
      resolve({ code, signal });
    }),
  );
  const logs = () =>
    err
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  const waitForLog = async (match: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = logs().find(match);
      if (hit) return hit;
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`no matching log line within ${timeoutMs} ms; stderr:\n${err.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const run: CliRun = { child, args, stdout: () => out, stderr: () => err, logs, exited, waitForLog };
  live.add(run);
  started.push(run);
  return run;
}

/**
 * SIGKILLs every process cli() started that still runs and waits for them to exit: a test's
 * `after` hook, so a failed or timed-out test never leaves a child keeping the test process alive.
 */
export async function killAll(): Promise<void> {
  const running = [...live];
  for (const run of running) run.child.kill('SIGKILL');
  await Promise.all(running.map((r) => r.exited));
}

/** The output of every process cli() started (in order), for a failing test's report. */
export function outputOfAll(): string {
  return started
    .map((run, i) => {
      const state =
        run.child.exitCode !== null || run.child.signalCode !== null
          ? `exited ${run.child.exitCode ?? run.child.signalCode}`
          : 'running';
      return [
        `--- process ${i + 1}: streamfold ${run.args.join(' ')} (pid ${run.child.pid}, ${state}) ---`,
        '--- stdout ---',
        run.stdout().trimEnd(),
        '--- stderr ---',
        run.stderr().trimEnd(),
      ].join('\n');
    })
    .join('\n');
}

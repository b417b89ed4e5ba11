// Runs the real CLI as a child process and collects its output, for the runtime's CLI tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/streamfold.js', import.meta.url));

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** JSON log lines (stderr is not a TTY, so the logger writes JSON). */
  logs: () => Array<Record<string, unknown>>;
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
    child.on('exit', (code, signal) => resolve({ code, signal })),
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
  return { child, stdout: () => out, stderr: () => err, logs, exited, waitForLog };
}

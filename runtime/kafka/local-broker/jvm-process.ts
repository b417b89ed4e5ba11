// A detached JVM process tracked by a pid file: it outlives the Node process that started it (so
// `kafka:start` can return) and is stopped later through the pid file.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function javaExecutable(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

export interface DetachedProcess {
  pid: number;
  /** Resolves with the exit code when the process ends while this Node process still runs. */
  exited: Promise<number | null>;
}

/** Starts `java args` detached, stdout and stderr appended to logFile, and records its pid. */
export function spawnDetachedJava(
  args: string[],
  opts: { cwd: string; logFile: string; pidFile: string },
): DetachedProcess {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(javaExecutable(), args, { cwd: opts.cwd, detached: true, stdio: ['ignore', fd, fd] });
    const exited = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => resolve(code));
      child.on('error', (err) => {
        writeFileSync(opts.logFile, `failed to start java: ${err.message}\n`, { flag: 'a' });
        resolve(-1);
      });
    });
    if (child.pid === undefined) return { pid: -1, exited };
    child.unref();
    writeFileSync(opts.pidFile, `${child.pid}\n`);
    return { pid: child.pid, exited };
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** An exited child not yet reaped by its parent still answers kill(pid, 0). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * The live pid recorded in pidFile, if that process's command line still contains `marker` (guards against a
 * recycled pid after a reboot or a crash). Where /proc is unavailable, liveness alone decides.
 */
export function runningPid(pidFile: string, marker: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync('/proc/self/cmdline')) {
    try {
      if (!readFileSync(cmdline, 'utf8').includes(marker)) return undefined;
    } catch {
      return undefined;
    }
  }
  return pid;
}

/** SIGTERM, then SIGKILL after graceMs. Returns true if a process was running. */
export async function stopPidFile(pidFile: string, marker: string, graceMs: number): Promise<boolean> {
  const pid = runningPid(pidFile, marker);
  if (pid === undefined) {
    rmSync(pidFile, { force: true });
    return false;
  }
  await terminate(pid, graceMs);
  rmSync(pidFile, { force: true });
  return true;
}

export async function terminate(pid: number, graceMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    signal(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** The last `lines` lines of a log file ('' if missing). */
export function tailFile(path: string, lines = 40): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8');
  return text
    .split('\n')
    .slice(-lines - 1)
    .join('\n')
    .trimEnd();
}

// A contender's process: spawned with its output logged to a file, its JSON event lines delivered to
// listeners, its memory and CPU time sampled from /proc (peak and series), and stopped with SIGTERM (SIGKILL after
// a grace period).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Measured {
  pid: number;
  spawnedAt: number;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  hasExited(): boolean;
  /** Calls `fn` with every stdout/stderr line (JSON event lines and log lines alike). */
  onLine(fn: (line: string, at: number) => void): void;
  /** Peak resident set size of the process and its descendants, in MiB (sampled, plus the kernel's VmHWM). */
  peakRssMiB(): number;
  /** Every RSS sample so far (process and descendants): ms since spawn and MiB, every RSS_SAMPLE_MS. */
  rssSeries(): RssSample[];
  /**
   * CPU time (user + system, process and descendants) spent between two wall-clock instants (Date.now()
   * values) within the sampled life of the process, in ms; interpolated between samples RSS_SAMPLE_MS apart.
   * CPU time is steadier than throughput on a shared machine: it does not count the time spent waiting for
   * a core another process holds.
   */
  cpuMsBetween(from: number, to: number): number | undefined;
  stop(graceMs?: number): Promise<void>;
  logFile: string;
}

export interface RssSample {
  /** ms since the process was spawned */
  t: number;
  mib: number;
}

export const RSS_SAMPLE_MS = 200;

export function spawnMeasured(
  command: string,
  args: string[],
  opts: { cwd: string; env?: NodeJS.ProcessEnv; logFile: string },
): Measured {
  const log = createWriteStream(opts.logFile);
  log.write(`$ ${command} ${args.join(' ')}\n`);
  const child: ChildProcess = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const spawnedAt = Date.now();
  const listeners: Array<(line: string, at: number) => void> = [];
  let exitedFlag = false;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      exitedFlag = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', (err) => {
      exitedFlag = true;
      log.write(`spawn failed: ${err.message}\n`);
      resolve(`spawn failed: ${err.message}`);
    });
  });
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const at = Date.now();
      for (const line of lines) for (const fn of listeners) fn(line, at);
    });
  }
  void exited.then(() => log.end());

  const pid = child.pid ?? -1;
  let peak = 0;
  const series: RssSample[] = [];
  const cpu = new CpuClock(spawnedAt);
  const sample = () => {
    if (pid <= 0 || exitedFlag) return;
    const tree = treePids(pid); // one walk of /proc for both figures
    let rss = 0;
    for (const p of tree) rss += statusKiB(p, 'VmRSS');
    if (rss > 0) series.push({ t: Date.now() - spawnedAt, mib: rss / 1024 });
    peak = Math.max(peak, rss, statusKiB(pid, 'VmHWM'));
    cpu.sample(tree);
  };
  const sampler = setInterval(sample, RSS_SAMPLE_MS);
  void exited.then(() => clearInterval(sampler));

  return {
    pid,
    spawnedAt,
    exited,
    hasExited: () => exitedFlag,
    onLine: (fn) => listeners.push(fn),
    peakRssMiB: () => {
      sample();
      return peak / 1024;
    },
    rssSeries: () => [...series],
    cpuMsBetween: (from, to) => cpu.msBetween(from, to),
    logFile: opts.logFile,
    stop: async (graceMs = 25_000) => {
      sample();
      clearInterval(sampler);
      if (exitedFlag) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** A line of /proc/<pid>/status in KiB (0 when the process is gone). */
function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** `pid` and every descendant (a launcher may run the real work in a child). */
function treePids(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i]!));
  return out;
}

function childrenOf(pid: number): number[] {
  try {
    const raw = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return raw ? raw.split(/\s+/).map(Number) : [];
  } catch {
    return scanChildren(pid);
  }
}

function scanChildren(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times (USER_HZ; 100 on every common Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * The CPU time of a process tree over time. Each process's last seen utime + stime is kept, so a descendant
 * that exits still counts with what it had used when last sampled.
 */
class CpuClock {
  private readonly ticksByPid = new Map<number, number>();
  private readonly samples: Array<{ at: number; ms: number }> = [];
  constructor(spawnedAt: number) {
    this.samples.push({ at: spawnedAt, ms: 0 }); // nothing used at spawn
  }

  /** Reads the CPU time of the tree's processes (`tree`: the root and its descendants, now). */
  sample(tree: number[]): void {
    for (const pid of tree) {
      const ticks = cpuTicks(pid);
      if (ticks !== undefined) this.ticksByPid.set(pid, Math.max(ticks, this.ticksByPid.get(pid) ?? 0));
    }
    let total = 0;
    for (const t of this.ticksByPid.values()) total += t;
    this.samples.push({ at: Date.now(), ms: (total * 1000) / TICKS_PER_SECOND });
  }

  msBetween(from: number, to: number): number | undefined {
    const a = this.at(from);
    const b = this.at(to);
    return a === undefined || b === undefined ? undefined : b - a;
  }

  /** CPU ms used by `at`, interpolated between the samples around it (undefined outside the samples). */
  private at(at: number): number | undefined {
    const s = this.samples;
    if (s.length === 0 || at < s[0]!.at || at > s[s.length - 1]!.at) return undefined;
    let i = 1;
    while (i < s.length && s[i]!.at < at) i++;
    const before = s[i - 1]!;
    const after = s[Math.min(i, s.length - 1)]!;
    if (after.at === before.at) return after.ms;
    return before.ms + ((after.ms - before.ms) * (at - before.at)) / (after.at - before.at);
  }
}

/** utime + stime of a process in clock ticks (undefined when it is gone). */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

// The Docker engine for the container check: the `docker` CLI as a function, installing Debian's
// docker.io (and debootstrap, for the stand-in base) when missing and allowed, and a private dockerd
// when none answers. A daemon that was already running is used and left alone; one started here is
// stopped by stopEngine().
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  cwd?: string;
}

/** Runs a command to its end and returns its output; never throws for a non-zero exit. */
export function run(command: string, args: string[], opts: RunOptions = {}): RunResult {
  const r = spawnSync(command, args, {
    encoding: 'utf8',
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    timeout: opts.timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
  });
  const spawnError = r.error ? `${r.error.message}\n` : '';
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: spawnError + (r.stderr ?? '') };
}

/** Like run(), but a non-zero exit throws with the command's last lines of output. */
export function runOrThrow(command: string, args: string[], opts: RunOptions = {}): string {
  const r = run(command, args, opts);
  if (r.code !== 0) {
    throw new Error(
      `${command} ${args.slice(0, 3).join(' ')} … exited ${r.code}:\n${lastLines(r.stdout + r.stderr, 15)}`,
    );
  }
  return r.stdout;
}

/** The last `n` non-empty lines of a command's output (for error messages). */
export function lastLines(text: string, n = 1): string {
  return text.trim().split('\n').slice(-n).join('\n').slice(-2000);
}

export function hasCommand(name: string): boolean {
  return run('sh', ['-c', `command -v ${name}`]).code === 0;
}

/** Installing packages is allowed in CI and as root (a developer's machine is not changed unasked). */
export function mayInstall(): boolean {
  return process.env.CI === 'true' || process.getuid?.() === 0;
}

/** Installs Debian packages providing the missing `commands` (command → package). */
export function ensureDebianPackages(needed: Record<string, string>, say: (l: string) => void): void {
  const missing = Object.entries(needed).filter(([command]) => !hasCommand(command));
  if (missing.length === 0) return;
  const packages = missing.map(([, pkg]) => pkg);
  if (!mayInstall() || !hasCommand('apt-get')) {
    throw new Error(`missing ${missing.map(([c]) => c).join(', ')}: install ${packages.join(' ')}`);
  }
  say(`installing ${packages.join(', ')} (apt-get)`);
  // as in .ci/run: sudo only when not root
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo'];
  const aptGet = (args: string[]) => {
    const argv = [...asRoot, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args];
    runOrThrow(argv[0]!, argv.slice(1));
  };
  aptGet(['update', '-qq']);
  aptGet(['install', '-y', '-qq', '--no-install-recommends', ...packages]);
}

export interface Engine {
  /** Env for every `docker` call: DOCKER_HOST of the daemon in use. */
  env: NodeJS.ProcessEnv;
  /** Set when this run started the daemon (and must stop it). */
  daemon?: ChildProcess;
  /** The started daemon's data, exec root and socket. */
  dir?: string;
  description: string;
}

function answers(env: NodeJS.ProcessEnv): boolean {
  return run('docker', ['version', '--format', '{{.Server.Version}}'], { env, timeoutMs: 10_000 }).code === 0;
}

/**
 * A daemon that answers: the one DOCKER_HOST (or the default socket) names, else one started here
 * with its data, exec root and socket under `dir`. No iptables and no bridge: containers and builds
 * use the host's network (`--network host`), which needs neither.
 */
export async function ensureEngine(dir: string, say: (l: string) => void): Promise<Engine> {
  ensureDebianPackages({ docker: 'docker.io' }, say);
  if (answers(process.env)) {
    return {
      env: process.env,
      description: `the running daemon (${serverVersion(process.env)}), left running`,
    };
  }
  ensureDebianPackages({ dockerd: 'docker.io' }, say);
  if (!mayInstall()) throw new Error('no Docker daemon answers, and starting one needs root');
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'docker.sock');
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}` };
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const daemon = spawn(
    'dockerd',
    [
      '--iptables=false',
      '--bridge=none',
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '--host',
      `unix://${socket}`,
    ],
    { stdio: ['ignore', log, log] },
  );
  const deadline = Date.now() + 60_000;
  while (!answers(env)) {
    if (daemon.exitCode !== null || Date.now() > deadline) {
      daemon.kill('SIGTERM');
      throw new Error(`dockerd did not start (log: ${join(dir, 'dockerd.log')})`);
    }
    await sleep(500);
  }
  return {
    env,
    daemon,
    dir,
    description: `dockerd ${serverVersion(env)} started for this check (pid ${daemon.pid})`,
  };
}

function serverVersion(env: NodeJS.ProcessEnv): string {
  return run('docker', ['version', '--format', '{{.Server.Version}}'], { env }).stdout.trim();
}

/** Stops a daemon this run started (its containers are gone by then); waits for it to exit. */
export async function stopEngine(engine: Engine): Promise<void> {
  const daemon = engine.daemon;
  if (!daemon || daemon.exitCode !== null) return;
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  daemon.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (daemon.exitCode === null) daemon.kill('SIGKILL');
  // dockerd leaves the mounts it made on its own directories (the host network namespace's handle,
  // the private bind of the data root); without these, the directory could not be removed.
  if (!engine.dir) return;
  const mounts = readFileSync('/proc/mounts', 'utf8');
  for (const path of [join(engine.dir, 'exec', 'netns', 'default'), join(engine.dir, 'data')])
    if (mounts.includes(` ${path} `)) run('umount', [path]);
}

/** `docker ...` against the engine in use. */
export function docker(engine: Engine, args: string[], timeoutMs?: number): RunResult {
  return run('docker', args, { env: engine.env, timeoutMs });
}

export function dockerOrThrow(engine: Engine, args: string[], timeoutMs?: number): string {
  return runOrThrow('docker', args, { env: engine.env, timeoutMs });
}

// A throwaway PostgreSQL cluster for development and tests, modelled on the local broker: initdb
// into .cache/postgres/<port>, started on 127.0.0.1 only (its socket in the data directory), a
// `streamfold` database and role, stopped with pg_ctl. Uses the distribution's PostgreSQL (Debian:
// `apt-get install -y postgresql`). PostgreSQL refuses to run as root, so under root the cluster runs
// as the `postgres` system user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { cacheRoot } from '../kafka/local-broker/paths.ts';
import { portOpen } from '../kafka/local-broker/probe.ts';

export const LOCAL_POSTGRES_PORT = 39432;
export const INSTALL_HINT = 'install PostgreSQL (Debian/Ubuntu: apt-get install -y postgresql)';

export interface LocalPostgres {
  url: string;
  port: number;
  dataDir: string;
  logFile: string;
  /** False when it was already running. */
  started: boolean;
  stop(): Promise<void>;
}

export interface LocalPostgresOptions {
  port?: number;
  /** Default: .cache/postgres/<port>. */
  dataDir?: string;
  log?: (line: string) => void;
}

/** The directory holding initdb and pg_ctl: PATH first, then Debian's versioned directories. */
export function postgresBinDir(): string {
  const which = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  const onPath = which.status === 0 ? which.stdout.trim() : '';
  if (onPath) return onPath.replace(/\/pg_ctl$/, '');
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian) ? readdirSync(debian).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(debian, v, 'bin', 'pg_ctl'))) return join(debian, v, 'bin');
  throw new Error(`PostgreSQL is not installed (no pg_ctl on PATH or under ${debian}): ${INSTALL_HINT}`);
}

/** Who runs the cluster: the current user, or `postgres` when we are root. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'running as root needs a `postgres` system user for the cluster (the postgresql package makes one)',
    );
  }
}

export const localPostgresUrl = (port: number): string =>
  `postgres://streamfold@127.0.0.1:${port}/streamfold`;

export function localPostgresDataDir(port: number): string {
  return join(cacheRoot(), 'postgres', String(port));
}

export async function ensureLocalPostgres(options: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const port = options.port ?? LOCAL_POSTGRES_PORT;
  const dataDir = options.dataDir ?? localPostgresDataDir(port);
  const logFile = join(dataDir, '..', `${port}.log`);
  const bin = postgresBinDir();
  const user = runAs();
  const run = (tool: string, args: string[]) => {
    const r = spawnSync(join(bin, tool), args, { ...user, encoding: 'utf8', cwd: '/' });
    if (r.status !== 0)
      throw new Error(`${tool} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
    return r.stdout;
  };
  const own = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  };
  const status = spawnSync(join(bin, 'pg_ctl'), ['-D', dataDir, 'status'], { ...user, cwd: '/' });
  const running = status.status === 0;
  // pg_ctl would only say "could not start server"; the cause (a bind error) is in its log
  if (!running && (await portOpen('127.0.0.1', port)))
    throw new Error(
      `port ${port} on 127.0.0.1 is in use by another process (another local cluster? \`npm run postgres:stop\` in its checkout stops it)`,
    );
  own(join(dataDir, '..'));
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    own(dataDir);
    options.log?.(`initdb ${dataDir}`);
    run('initdb', [
      '-D',
      dataDir,
      '-U',
      'streamfold',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ]);
  }
  if (!running) {
    run('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      logFile,
      '-o',
      serverSettings(port, dataDir),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }
  const url = localPostgresUrl(port);
  await ensureDatabase(port);
  return {
    url,
    port,
    dataDir,
    logFile,
    started: !running,
    stop: async () => {
      stopLocalPostgres({ port, dataDir });
    },
  };
}

/** Stops the cluster of this port (fast shutdown: connections are closed, nothing is lost). */
export function stopLocalPostgres(options: { port?: number; dataDir?: string } = {}): boolean {
  const dataDir = options.dataDir ?? localPostgresDataDir(options.port ?? LOCAL_POSTGRES_PORT);
  if (!existsSync(join(dataDir, 'postmaster.pid'))) return false;
  const r = spawnSync(join(postgresBinDir(), 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop'], {
    ...runAs(),
    cwd: '/',
    encoding: 'utf8',
  });
  return r.status === 0;
}

/** Starts a stopped cluster again (tests stop and restart it). */
export function startLocalPostgres(port: number, dataDir = localPostgresDataDir(port)): void {
  const r = spawnSync(
    join(postgresBinDir(), 'pg_ctl'),
    [
      '-D',
      dataDir,
      '-l',
      join(dataDir, '..', `${port}.log`),
      '-o',
      serverSettings(port, dataDir),
      '-w',
      'start',
    ],
    { ...runAs(), cwd: '/', encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`pg_ctl start failed: ${(r.stderr || r.stdout).trim()}`);
}

/** 127.0.0.1 only, the socket in the data directory; fsync off: a throwaway cluster survives no machine crash. */
function serverSettings(port: number, dataDir: string): string {
  return `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dataDir} -c fsync=off -c max_connections=200`;
}

async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'streamfold', database: 'postgres' });
  await client.connect();
  try {
    const exists = await client.query(`SELECT 1 FROM pg_database WHERE datname = 'streamfold'`);
    if (exists.rowCount === 0) await client.query('CREATE DATABASE streamfold');
  } finally {
    await client.end();
  }
}

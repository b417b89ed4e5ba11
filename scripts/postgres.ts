// npm run postgres:start | postgres:stop | postgres:status
//   start  [--port N]   start the throwaway PostgreSQL cluster in .cache/postgres/<port> (a no-op when up)
//   stop   [--port N]   stop it (its data stays for the next start; delete the folder to wipe it)
//   status [--port N]
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ensureLocalPostgres,
  LOCAL_POSTGRES_PORT,
  localPostgresDataDir,
  localPostgresUrl,
  stopLocalPostgres,
} from '../runtime/views/local-postgres.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { port: { type: 'string' } } });
const port = values.port ? Number(values.port) : LOCAL_POSTGRES_PORT;
const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'start': {
      const pg = await ensureLocalPostgres({ port, log: say });
      say(
        `PostgreSQL ${pg.started ? 'started' : 'already running'} on 127.0.0.1:${port} (data ${pg.dataDir}, log ${pg.logFile})`,
      );
      say(`psql ${pg.url}`);
      return;
    }
    case 'stop':
      say(
        stopLocalPostgres({ port })
          ? `stopped PostgreSQL on port ${port}`
          : `no PostgreSQL running on port ${port}`,
      );
      return;
    case 'status': {
      const running = existsSync(join(localPostgresDataDir(port), 'postmaster.pid'));
      say(
        running
          ? `PostgreSQL running: psql ${localPostgresUrl(port)}`
          : `PostgreSQL not running on port ${port}`,
      );
      return;
    }
    default:
      say('usage: scripts/postgres.ts start|stop|status [--port N]');
      process.exitCode = 2;
  }
}

main(positionals[0]).catch((err: unknown) => {
  console.error(`postgres: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});

// `streamfold status [-c file] [--url URL]`: asks a running instance's HTTP API and prints each
// projection with its version, status, rows, lag and restore / catch-up progress, then every
// deployed version with its state, consumer group and catch-up (GET /versions).
import type { Command } from 'commander';
import { DEFAULT_CONFIG_FILE } from '../config/load.ts';
import { TOKEN_ENV } from '../http/settings.ts';
import type { ProjectionStatus } from '../http/state-source.ts';
import { formatStatus, type VersionEntry } from '../serve/status-table.ts';
import { instanceUrl } from './instance-url.ts';

interface StatusOptions {
  config: string;
  url?: string;
  httpToken?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('status')
    .description('show a running instance’s projections: version, status, rows, lag, restore / catch-up')
    .option('-c, --config <file>', 'the definition (its http.host/port give the URL)', DEFAULT_CONFIG_FILE)
    .option(
      '--url <url>',
      'the instance’s HTTP API (default: from the definition and environment, 127.0.0.1:8080)',
    )
    .option('--http-token <token>', `bearer token (default: ${TOKEN_ENV})`)
    .option('--json', 'print the answers as JSON')
    .action(async (opts: StatusOptions, command: Command) => {
      process.exitCode = await status(opts, command.getOptionValueSource('config') !== 'default');
    });
}

/** Exit code: 0 answered, 1 the instance did not answer, 2 a usage mistake. */
export async function status(
  opts: StatusOptions,
  configGiven = false,
  out: { write(text: string): unknown } = process.stdout,
): Promise<number> {
  const base = instanceUrl('status', opts.config, opts.url, configGiven);
  if (base === null) return 2;
  const token = opts.httpToken ?? process.env[TOKEN_ENV];
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const get = (path: string) => fetch(new URL(path, base), { headers, signal: AbortSignal.timeout(10_000) });
  let projections: ProjectionStatus[];
  try {
    const res = await get('/projections');
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { reason?: string };
      console.error(
        `streamfold status: ${base.origin} answered ${res.status}${body.reason ? `: ${body.reason}` : ''}`,
      );
      return 1;
    }
    projections = ((await res.json()) as { projections: ProjectionStatus[] }).projections;
  } catch (err) {
    console.error(
      `streamfold status: no answer from ${base.origin} (${err instanceof Error ? err.message : String(err)}); is streamfold run serving there?`,
    );
    return 1;
  }
  // An instance of an older streamfold serves no /versions: the table alone then.
  let versions: VersionEntry[] = [];
  const v = await get('/versions').catch(() => undefined);
  if (v?.ok) versions = ((await v.json()) as { versions?: VersionEntry[] }).versions ?? [];
  if (opts.json) out.write(`${JSON.stringify({ projections, versions }, null, 2)}\n`);
  else out.write(formatStatus(projections, versions));
  return 0;
}

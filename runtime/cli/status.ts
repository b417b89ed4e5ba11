// `streamfold status [-c file] [--url URL]`: asks a running instance's HTTP API and prints each
// projection with its version, status, rows, lag and restore / catch-up progress, then every
// deployed version with its state, consumer group and catch-up (GET /versions).
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig } from '../config/load.ts';
import { TOKEN_ENV } from '../http/settings.ts';
import type { ProjectionStatus } from '../http/state-source.ts';
import { resolveHttpSettings } from '../serve/http-options.ts';
import { formatStatus, type VersionEntry } from '../serve/status-table.ts';

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

/**
 * The instance's base URL: --url, else the definition's http settings (127.0.0.1:8080 by default);
 * undefined after printing why not (a usage mistake).
 */
export function instanceUrl(
  command: string,
  opts: { config: string; url?: string },
  configGiven: boolean,
): URL | undefined {
  let url = opts.url;
  if (!url) {
    try {
      const definition =
        configGiven || existsSync(opts.config) ? loadConfig(opts.config) : { http: undefined };
      const s = resolveHttpSettings(definition, {});
      const host = s.host === '0.0.0.0' || s.host === '::' ? '127.0.0.1' : s.host;
      url = `http://${host.includes(':') ? `[${host}]` : host}:${s.port}`;
    } catch (err) {
      for (const line of err instanceof ConfigError ? err.lines : [String(err)]) console.error(line);
      return undefined;
    }
  }
  try {
    return new URL(url);
  } catch {
    console.error(`streamfold ${command}: --url ${url} is not a URL`);
    return undefined;
  }
}

/** Exit code: 0 answered, 1 the instance did not answer, 2 a usage mistake. */
export async function status(
  opts: StatusOptions,
  configGiven = false,
  out: { write(text: string): unknown } = process.stdout,
): Promise<number> {
  const base = instanceUrl('status', opts, configGiven);
  if (!base) return 2;
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

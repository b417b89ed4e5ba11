// `streamfold command <name> --data '{…}'`: sends a command to a running instance
// (POST /commands/{name}, docs/commands.md) and prints its outcome as JSON. Retries with the same
// Idempotency-Key while the owner restores or rebalances (503), so it never appends twice.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_FILE } from '../config/load.ts';
import { TOKEN_ENV } from '../http/settings.ts';
import { instanceUrl } from './instance-url.ts';

interface CommandOptions {
  config: string;
  url?: string;
  httpToken?: string;
  data: string;
  id?: string;
  expectedVersion?: string;
  /** Total time to keep retrying a 503, in ms. */
  timeout: string;
}

export function register(program: Command): void {
  program
    .command('command <name>')
    .description('send a command to a running instance and print its outcome')
    .requiredOption('-d, --data <json>', 'the command input, a JSON object')
    .option('-c, --config <file>', 'the definition (its http.host/port give the URL)', DEFAULT_CONFIG_FILE)
    .option('--url <url>', 'the instance’s HTTP API (default: from the definition, 127.0.0.1:8080)')
    .option('--http-token <token>', `bearer token (default: ${TOKEN_ENV})`)
    .option('--id <id>', 'the Idempotency-Key (default: a new one; reuse it to retry safely)')
    .option('--expected-version <v>', 'any, no_stream, exists, or the version the entity must be at')
    .option('--timeout <ms>', 'how long to retry while the owner is unavailable', '30000')
    .action(async (name: string, opts: CommandOptions, command: Command) => {
      process.exitCode = await sendCommand(name, opts, command.getOptionValueSource('config') !== 'default');
    });
}

/** Exit code: 0 accepted, 1 rejected / conflict / no answer, 2 a usage mistake, invalid input or a reused --id. */
export async function sendCommand(
  name: string,
  opts: CommandOptions,
  configGiven = false,
  out: { write(text: string): unknown } = process.stdout,
): Promise<number> {
  const base = instanceUrl('command', opts.config, opts.url, configGiven);
  if (!base) return 2;
  let body: unknown;
  try {
    body = JSON.parse(opts.data);
  } catch {
    console.error('streamfold command: --data is not JSON');
    return 2;
  }
  const token = opts.httpToken ?? process.env[TOKEN_ENV];
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'idempotency-key': opts.id ?? randomUUID(),
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };
  const url = new URL(`/commands/${encodeURIComponent(name)}`, base);
  if (opts.expectedVersion !== undefined) url.searchParams.set('expectedVersion', opts.expectedVersion);
  const deadline = Date.now() + Number(opts.timeout);
  for (;;) {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      console.error(
        `streamfold command: no answer from ${base.origin} (${err instanceof Error ? err.message : String(err)})`,
      );
      return 1;
    }
    const text = await res.text();
    if ((res.status === 503 || res.status === 202) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
      continue;
    }
    out.write(`${text}\n`);
    if (res.status === 200 || res.status === 201) return 0;
    return res.status === 400 || res.status === 404 || res.status === 422 ? 2 : 1;
  }
}

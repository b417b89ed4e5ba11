// `streamfold watch <projection> [--key K | --prefix P]`: follows a projection's change feed
// (GET /projections/{name}/changes) and prints one line per committed change. When the stream ends
// (cut off, instance stopping, connection lost) it reconnects with the last event id, so nothing
// is missed or printed twice; a 4xx answer is printed with its reason and ends the command.
import type { Command } from 'commander';
import { DEFAULT_CONFIG_FILE } from '../config/load.ts';
import { TOKEN_ENV } from '../http/settings.ts';
import { instanceUrl } from './instance-url.ts';

interface WatchOptions {
  config: string;
  url?: string;
  httpToken?: string;
  key?: string;
  prefix?: string;
  from?: string;
  json?: boolean;
}

interface Out {
  write(text: string): unknown;
}

export function register(program: Command): void {
  program
    .command('watch <projection>')
    .description('print every committed change of a projection as it happens (its change feed)')
    .option('-c, --config <file>', 'the definition (its http.host/port give the URL)', DEFAULT_CONFIG_FILE)
    .option(
      '--url <url>',
      'the instance’s HTTP API (default: from the definition and environment, 127.0.0.1:8080)',
    )
    .option('--http-token <token>', `bearer token (default: ${TOKEN_ENV})`)
    .option('--key <key>', 'only this encoded key')
    .option('--prefix <prefix>', 'only encoded keys starting with this')
    .option('--from <eventId>', 'resume after this event id (as printed with --json)')
    .option('--json', 'print each event as a JSON line, with its id')
    .action(async (projection: string, opts: WatchOptions, command: Command) => {
      const base = instanceUrl(
        'watch',
        opts.config,
        opts.url,
        command.getOptionValueSource('config') !== 'default',
      );
      process.exitCode = base === null ? 2 : await watch(base, projection, opts);
    });
}

/** Follows the feed until a 4xx (exit 2) or the signal aborts (exit 0). */
export async function watch(
  base: URL,
  projection: string,
  opts: WatchOptions,
  out: Out = process.stdout,
  signal?: AbortSignal,
): Promise<number> {
  if (opts.key !== undefined && opts.prefix !== undefined) {
    console.error('streamfold watch: give --key or --prefix, not both');
    return 2;
  }
  const token = opts.httpToken ?? process.env[TOKEN_ENV];
  const query = new URLSearchParams();
  if (opts.key !== undefined) query.set('key', opts.key);
  if (opts.prefix !== undefined) query.set('prefix', opts.prefix);
  const url = new URL(`/projections/${encodeURIComponent(projection)}/changes?${query}`, base);
  let lastId = opts.from;
  while (!signal?.aborted) {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (lastId) headers['last-event-id'] = lastId;
    try {
      const res = await fetch(url, { headers, signal });
      if (res.status >= 400 && res.status < 500) {
        const body = (await res.json().catch(() => ({}))) as { reason?: string };
        console.error(`streamfold watch: ${res.status}${body.reason ? `: ${body.reason}` : ''}`);
        return 2;
      }
      if (res.ok && res.body)
        for await (const event of events(res.body)) {
          if (event.id) lastId = event.id;
          print(event, out, opts.json === true);
        }
    } catch (err) {
      if (signal?.aborted) break;
      console.error(`streamfold watch: ${err instanceof Error ? err.message : String(err)}; reconnecting`);
    }
    if (!signal?.aborted) await new Promise((r) => setTimeout(r, 1_000));
  }
  return 0;
}

interface Event {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

async function* events(body: ReadableStream<Uint8Array>): AsyncGenerator<Event> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event: Partial<Event> & { event: string } = { event: 'message' };
      for (const line of block.split('\n')) {
        const m = /^(event|id|data): ?(.*)$/.exec(line);
        if (m?.[1] === 'event') event.event = m[2]!;
        else if (m?.[1] === 'id') event.id = m[2]!;
        else if (m?.[1] === 'data') event.data = JSON.parse(m[2]!) as Record<string, unknown>;
      }
      if (event.data) yield event as Event;
    }
  }
}

function print(e: Event, out: Out, json: boolean): void {
  if (json) {
    out.write(`${JSON.stringify({ event: e.event, ...(e.id ? { id: e.id } : {}), ...e.data })}\n`);
    return;
  }
  const d = e.data;
  const time = typeof d.timestamp === 'number' ? new Date(d.timestamp).toISOString() : '';
  if (e.event === 'change' || e.event === 'snapshot')
    out.write(
      `${time} ${e.event === 'snapshot' ? '(snapshot) ' : ''}${String(d.key)} ${d.deleted ? 'deleted' : JSON.stringify(d.value)}\n`,
    );
  else if (e.event === 'compacted')
    out.write(`-- compacted away on partitions ${String(d.partitions)}: snapshot follows\n`);
  else if (e.event === 'end')
    console.error(`streamfold watch: stream ended (${String(d.reason)}); reconnecting`);
}

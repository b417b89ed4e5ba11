// A small Server-Sent Events client for the change feed tests, on node:http so that a test can
// stop reading (pause the socket) to play a slow client. It keeps every event it got, the last id
// (for resume) and how the stream ended.
import http from 'node:http';

export interface SseEvent {
  event: string;
  id?: string;
  data: unknown;
}

export interface FeedChange {
  key: string;
  value: unknown;
  deleted: boolean;
  partition: number;
  offset: number;
  timestamp: number | null;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  lastId: string | undefined;
  status = 0;
  private req: http.ClientRequest | null = null;
  private res: http.IncomingMessage | null = null;
  private waiters: Array<() => void> = [];
  /** Resolves when the response ends (the server cut it, or close()). */
  ended!: Promise<void>;

  constructor(
    readonly url: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** Connects (with Last-Event-ID when it has one) and resolves on the `ready` event. */
  async open(lastEventId = this.lastId): Promise<void> {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...this.headers };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const readyAt = this.events.length;
    this.ended = new Promise<void>((resolveEnd, rejectEnd) => {
      this.req = http.get(this.url, { headers }, (res) => {
        this.res = res;
        this.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let cut: number;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            this.parse(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
          }
        });
        res.on('end', () => resolveEnd());
        res.on('close', () => resolveEnd());
        res.on('error', () => resolveEnd());
      });
      this.req.on('error', (err) => rejectEnd(err));
    });
    this.ended.catch(() => undefined);
    await this.until(
      () => this.events.slice(readyAt).some((e) => e.event === 'ready') || this.status >= 400,
      30_000,
    );
  }

  /** The changes received, in arrival order. */
  changes(): FeedChange[] {
    return this.events.filter((e) => e.event === 'change').map((e) => e.data as FeedChange);
  }

  pause(): void {
    this.res?.pause();
  }

  resume(): void {
    this.res?.resume();
  }

  close(): void {
    this.req?.destroy();
  }

  async until(check: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`SSE client: timed out (${this.url})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  private parse(block: string): void {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (id !== undefined) this.lastId = id;
    if (data.length === 0) return;
    this.events.push({ event, id, data: JSON.parse(data.join('\n')) });
    for (const w of this.waiters.splice(0)) w();
  }
}

// The closed-loop HTTP load of the commands benchmark: N clients, each sending its next command as
// soon as the previous one was answered, over keep-alive connections (one per client), for a fixed
// time. Every command has its own Idempotency-Key. Latency = request written → response read, per
// command, on the client's clock; the clients share this process's event loop, so a busy loop
// lengthens every latency alike (the figures are upper bounds).
//
// Must not interpret the answers beyond their status: 201/200 accepted, 409 refused (a rule or an
// expected version), 202 pending (the server's wait for the commit ran out: the command may still be
// committed), anything else an error counted apart.
import { Agent, request } from 'node:http';

export interface LoadOptions {
  /** Base URLs of the instances; client c sends to urls[c % urls.length]. */
  urls: string[];
  clients: number;
  durationMs: number;
  /** The command of client c's n-th request; undefined: the client is done. */
  next: (client: number, n: number) => { command: string; body: unknown; id: string } | undefined;
  /** Retry 503 answers (unavailable: restoring, rebalancing) with the same id (set-up, warm-up). */
  retryUnavailable?: boolean;
}

export interface LoadResult {
  accepted: number;
  refused: number;
  /** 202: not answered within the server's wait; committed or not, the log tells. */
  pending: number;
  errors: number;
  /** The first few error answers, for the report. */
  errorSamples: string[];
  /** Latency of every answered command (any status), ms. */
  latenciesMs: number[];
  elapsedMs: number;
  /** The idempotency keys answered accepted (the exactly-once check). */
  acceptedIds: string[];
  /** The keys answered 202 or not at all: at most one set of events each. */
  unknownIds: string[];
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.clients });
  const result: LoadResult = {
    accepted: 0,
    refused: 0,
    pending: 0,
    errors: 0,
    errorSamples: [],
    latenciesMs: [],
    elapsedMs: 0,
    acceptedIds: [],
    unknownIds: [],
  };
  const started = performance.now();
  const stopAt = started + o.durationMs;
  const client = async (c: number) => {
    const url = o.urls[c % o.urls.length]!;
    for (let n = 0; performance.now() < stopAt; n++) {
      const next = o.next(c, n);
      if (!next) return;
      const { command, body, id } = next;
      const t0 = performance.now();
      try {
        let answer = await post(agent, `${url}/commands/${command}`, body, id);
        while (o.retryUnavailable && answer.status === 503) {
          await new Promise((r) => setTimeout(r, 100));
          answer = await post(agent, `${url}/commands/${command}`, body, id);
        }
        const { status, text } = answer;
        result.latenciesMs.push(performance.now() - t0);
        if (status === 201 || status === 200) {
          result.accepted++;
          result.acceptedIds.push(id);
        } else if (status === 409) result.refused++;
        else if (status === 202) {
          result.pending++;
          result.unknownIds.push(id);
        } else {
          result.unknownIds.push(id);
          result.errors++;
          if (result.errorSamples.length < 5) result.errorSamples.push(`${status} ${text.slice(0, 200)}`);
        }
      } catch (err) {
        result.unknownIds.push(id);
        result.errors++;
        if (result.errorSamples.length < 5) result.errorSamples.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
  result.elapsedMs = performance.now() - started;
  agent.destroy();
  return result;
}

function post(
  agent: Agent,
  url: string,
  body: unknown,
  id: string,
): Promise<{ status: number; text: string }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          'idempotency-key': id,
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', reject);
    req.end(payload);
  });
}

// The one HTTP port of `streamfold run --workers N`: every request goes to a ready worker in turn,
// streamed both ways (change feeds included). Which worker answers does not matter for queries:
// each worker forwards a key to its owner, as separate instances do. GET /workers is answered here.
import { bearerOf, tokenMatches } from '../http/auth.ts';
import {
  Agent,
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';

export interface WorkerEndpoint {
  index: number;
  pid: number;
  /** The worker's own HTTP endpoint, e.g. http://127.0.0.1:41234 (its metrics and dashboard). */
  endpoint: string;
}

export interface WorkerProxy {
  server: Server;
  /** The port actually bound (the given one, or the free one picked for 0). */
  port: number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/** The headers a proxy passes on: all but the hop-by-hop ones. */
function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** Serves host:port and passes each request to one of `ready()`'s workers, round robin. */
export async function startWorkerProxy(
  host: string,
  port: number,
  ready: () => WorkerEndpoint[],
  token?: string,
): Promise<WorkerProxy> {
  const agent = new Agent({ keepAlive: true });
  let turn = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const workers = ready();
    if (req.method === 'GET' && (req.url === '/workers' || req.url?.startsWith('/workers?'))) {
      if (token !== undefined && !tokenMatches(bearerOf(req.headers.authorization), token))
        answer(res, 401, { error: 'unauthorized', reason: 'missing or wrong bearer token' });
      else answer(res, 200, { workers });
      return;
    }
    if (workers.length === 0) {
      answer(res, 503, { error: 'unavailable', reason: 'no worker is running yet' });
      return;
    }
    const target = new URL(workers[turn++ % workers.length]!.endpoint);
    const headers = endToEnd(req.headers);
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, endToEnd(reply.headers));
        reply.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent)
        answer(res, 502, { error: 'bad_gateway', reason: `worker at ${target.host} failed: ${err.message}` });
      else res.destroy(err);
    });
    // A client gone (a closed change feed) ends the upstream request too.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  return {
    server,
    port: typeof bound === 'object' && bound ? bound.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ≥ 10 000 malformed requests over a real socket on 127.0.0.1: bad keys, bad percent-encodings,
// path tricks, bad cursors and parameters, overlong query strings, huge headers, wrong methods and
// bodies, raw garbage. No answer may be a 5xx, and the server must still serve afterwards.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MemoryStateSource } from '../../../runtime/http/memory-state-source.ts';
import { createHttpServer, type HttpServer } from '../../../runtime/http/server.ts';

/** Deterministic, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'projections',
  'balances',
  'events',
  'keys',
  'rows',
  'partitions',
  'admin',
  'openapi.json',
  'healthz',
  'readyz',
  '..',
  '.',
  '..%2f',
  '%2e%2e%2f',
  '%2e%2e/',
  '..;/',
  '%00',
  '%ff',
  '%fe%ff',
  '%E0%A4%A',
  '%',
  '%%',
  '%zz',
  '%u0041',
  '%C0%AE',
  '%c0%af',
  '\\',
  '..\\',
  '<script>',
  "'",
  '"',
  '{',
  '}',
  '[',
  ']',
  '{"a":1}',
  '%7B%22a%22%3A1%7D',
  '*',
  '~',
  ';',
  '@',
  '$',
  '&',
  '=',
  '+',
  ' ',
  '\u00e9',
  '\u00ff',
  'a1',
  'k0001',
  '0',
  '-1',
  '1e309',
  'NaN',
  'null',
];
const PARAMS = [
  'limit',
  'cursor',
  'prefix',
  'from',
  'to',
  'minOffset',
  'maxLagMs',
  'timeoutMs',
  'partitions',
  'x',
  '__proto__',
  'constructor',
];
const VALUES = [
  '',
  '0',
  '-1',
  '1001',
  '1e3',
  '1.5',
  'abc',
  '%',
  '%zz',
  '0:0',
  '1:1',
  '9999:1',
  '1:99999999999999999999',
  'a:b',
  '0,1,2',
  ',,,',
  'eyJ2IjoxfQ',
  'eyJ2IjoxLCJrIjoiYSIsInEiOltudWxsLG51bGwsbnVsbF19',
  '!!!',
  '<b>',
  '%00',
  '[]',
  '{}',
  'true',
  'null',
  '\u00ff\u00fe',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function randomPath(r: () => number): string {
  const segments: string[] = [];
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++)
    segments.push(r() < 0.15 ? pick(r, PIECES).repeat(1 + Math.floor(r() * 300)) : pick(r, PIECES));
  let path = (r() < 0.9 ? '/' : '') + segments.join(r() < 0.9 ? '/' : '//');
  if (r() < 0.6) {
    const q: string[] = [];
    const m = Math.floor(r() * 5);
    for (let i = 0; i < m; i++) q.push(`${pick(r, PARAMS)}=${pick(r, VALUES)}`);
    if (r() < 0.05) q.push(`prefix=${'y'.repeat(20_000)}`); // overlong query string
    path += `?${q.join(pick(r, ['&', '&&', ';', '&amp;']))}`;
  }
  // Spaces and line breaks would end the request line: rawCase covers those.
  return path.replace(/[\s]/g, '%20');
}

interface Answer {
  status: number;
}

/** One request as bytes on its own connection, so no client-side parser or pool hides what the server sent. */
function requestBytes(method: string, path: string, headers: Record<string, string>, body?: string): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body, 'latin1');
  if (body !== undefined) lines.push(`Content-Length: ${payload.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

/** Writes raw bytes on a fresh connection; resolves the status line's code (0 when the server just closes). */
function sendRaw(port: number, bytes: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setTimeout(5000, () => socket.destroy());
    socket.on('data', (d) => {
      data += d.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : 0 });
    });
    socket.on('connect', () => socket.end(bytes));
  });
}

function rawCase(r: () => number, i: number): Buffer {
  switch (i % 10) {
    case 0:
      return Buffer.from(
        `GET /projections/balances/keys/${'\u0000\u0001 \t'} HTTP/1.1\r\nHost: x\r\n\r\n`,
        'latin1',
      );
    case 1:
      return Buffer.from(`GET /${'%'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    case 2:
      return Buffer.from(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`);
    case 3:
      return Buffer.from(`POST /admin/reset HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc`);
    case 4:
      return Buffer.from(
        `POST /admin/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n`,
      );
    case 5:
      return Buffer.from(Array.from({ length: 64 }, () => Math.floor(r() * 256)));
    case 6:
      return Buffer.from(`GET /projections/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n`);
    case 7:
      return Buffer.from(`GET http://evil.example/projections HTTP/1.1\r\nHost: x\r\n\r\n`);
    case 8:
      return Buffer.from(
        `GET /projections/balances/keys/a\u00ff\u00fe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\r\n\r\n`,
        'latin1',
      );
    default:
      return Buffer.from(`GET /projections/balances/rows?${'a=1&'.repeat(5000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  }
}

describe('fuzz: malformed requests over a real socket', () => {
  const source = new MemoryStateSource({
    projections: { balances: {}, events: { kind: 'stream' } },
    partitions: 4,
  });
  let server: HttpServer;
  let port: number;

  before(async () => {
    for (let i = 0; i < 50; i++) source.put('balances', `k${String(i).padStart(4, '0')}`, { n: i });
    // Every offset already processed and no lag: freshness never makes a well-formed request wait or 503.
    for (let p = 0; p < 4; p++) source.setPosition(p, Number.MAX_SAFE_INTEGER, 0);
    server = createHttpServer({ stateSource: source, defaultWaitMs: 5 });
    port = Number(new URL(await server.listen()).port);
  });
  after(() => server.close());

  it('answers 10 000+ malformed requests without a 5xx, then still serves', async () => {
    const r = rng(0x5eed);
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    const record = (what: string, a: Answer) => {
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      if (a.status >= 500) failures.push(`${a.status} ${what.slice(0, 200)}`);
    };
    const methods = ['GET', 'GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
    let sent = 0;
    const total = 10_000;
    const worker = async () => {
      while (sent < total) {
        sent++;
        const method = pick(r, methods);
        const path = randomPath(r);
        const headers: Record<string, string> = {};
        if (r() < 0.1)
          headers.authorization = pick(r, [
            'Bearer',
            'Bearer ',
            'Basic x',
            'Bearer \u00ff',
            `Bearer ${'t'.repeat(5000)}`,
          ]);
        if (r() < 0.1) headers['x-streamfold-forwarded'] = '1';
        if (r() < 0.02) headers['x-huge'] = 'h'.repeat(17_000 + Math.floor(r() * 20_000));
        if (r() < 0.05)
          headers['content-type'] = pick(r, [
            'application/json',
            'text/plain',
            'multipart/form-data; boundary=x',
            '\u00ff',
          ]);
        let body: string | undefined;
        if (method !== 'GET' && method !== 'HEAD' && r() < 0.5)
          body =
            r() < 0.1
              ? 'b'.repeat(20_000 + Math.floor(r() * 20_000))
              : pick(r, ['{', '{"a":1}', 'null', '[]', '\u0000']);
        if (body !== undefined) headers['content-type'] ??= 'application/json';
        record(`${method} ${path}`, await sendRaw(port, requestBytes(method, path, headers, body)));
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));

    for (let i = 0; i < 300; i++) {
      const bytes = rawCase(r, i);
      record(`raw ${bytes.subarray(0, 80).toString('latin1')}`, await sendRaw(port, bytes));
    }

    const count = [...statuses.values()].reduce((a, b) => a + b, 0);
    assert.ok(count >= 10_000, `only ${count} requests`);
    assert.deepEqual(failures, [], `5xx answers: ${failures.slice(0, 10).join('\n')}`);
    // Mostly 4xx, and some well-formed requests got through (the generator is not all noise).
    assert.ok((statuses.get(400) ?? 0) + (statuses.get(404) ?? 0) > 5000, JSON.stringify([...statuses]));
    assert.ok((statuses.get(200) ?? 0) > 0, JSON.stringify([...statuses]));
    // Nearly every request got an HTTP answer (0 = the server closed without one, e.g. on raw junk).
    assert.ok((statuses.get(0) ?? 0) < 100, JSON.stringify([...statuses]));

    const res = await fetch(`http://127.0.0.1:${port}/projections/balances/keys/k0007`);
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { value: unknown }).value, { n: 7 });
  });
});

// The dashboard's routes on the HTTP API (no browser): only its static files skip the token, they
// carry the CSP, and they stay out of the OpenAPI document.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createHttpServer, MemoryStateSource } from '../../../runtime/http/index.ts';

const TOKEN = 'routes-test-token';

describe('dashboard routes', () => {
  const { app } = createHttpServer({
    stateSource: new MemoryStateSource({ projections: { balances: {} }, partitions: 2 }),
    token: TOKEN,
  });
  after(() => app.close());

  it('serves the page and its assets without the token, with a strict CSP', async () => {
    for (const [url, type] of [
      ['/dashboard/', 'text/html'],
      ['/dashboard/index.html', 'text/html'],
      ['/dashboard/app.js', 'text/javascript'],
      ['/dashboard/style.css', 'text/css'],
    ] as const) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.ok(
        String(res.headers['content-type']).startsWith(type),
        `${url}: ${res.headers['content-type']}`,
      );
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'.*script-src 'self'/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.ok(res.body.length > 100);
    }
    assert.match((await app.inject({ url: '/dashboard/' })).body, /<script type="module" src="app.js">/);
  });

  it('redirects / and /dashboard with a relative location', async () => {
    for (const url of ['/', '/dashboard']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 302, url);
      assert.equal(res.headers.location, 'dashboard/');
    }
  });

  it('still asks for the token everywhere else, including look-alike paths', async () => {
    for (const [method, url] of [
      ['GET', '/projections'],
      ['GET', '/dashboard/other.js'],
      ['GET', '/dashboard/../projections'],
      ['GET', '/dashboard/app.js/../../projections'],
      ['POST', '/dashboard/'],
      ['GET', '/openapi.json'],
    ] as const) {
      const res = await app.inject({ method, url });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
    }
    const ok = await app.inject({ url: '/projections', headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.statusCode, 200);
  });

  it('keeps the dashboard out of the OpenAPI document', async () => {
    const res = await app.inject({ url: '/openapi.json', headers: { authorization: `Bearer ${TOKEN}` } });
    const paths = Object.keys(res.json<{ paths: Record<string, unknown> }>().paths);
    assert.ok(paths.includes('/projections'));
    assert.deepEqual(
      paths.filter((p) => p === '/' || p.startsWith('/dashboard')),
      [],
    );
  });
});

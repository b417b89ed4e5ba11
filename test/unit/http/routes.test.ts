// The HTTP routes over a MemoryStateSource: probes, projection listing, get by key (composite and odd keys),
// 404/400/503 answers, no reflected input in errors, the OpenAPI document, body limits and the bearer token.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHttpServer } from '../../../runtime/http/server.ts';
import { keyIn, sampleSource } from './helpers.ts';

const json = (body: string) => JSON.parse(body) as Record<string, any>;

describe('HTTP routes over a MemoryStateSource', () => {
  it('healthz is always 200; readyz is 503 with Retry-After while a partition restores', async () => {
    const source = sampleSource(3);
    const { app } = createHttpServer({ stateSource: source });
    assert.equal((await app.inject('/healthz')).statusCode, 200);
    assert.deepEqual(json((await app.inject('/readyz')).body), { status: 'ready' });
    source.setRestoring(2, true);
    const r = await app.inject('/readyz');
    assert.equal(r.statusCode, 503);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(json(r.body).error, 'restoring');
    assert.equal((await app.inject('/healthz')).statusCode, 200);
  });

  it('lists projections with status, partitions and row counts', async () => {
    const source = sampleSource(10);
    source.setRestoring(1, true);
    source.setPosition(0, 42, 7);
    const { app } = createHttpServer({ stateSource: source });
    const body = json((await app.inject('/projections')).body);
    const balances = body.projections.find((p: any) => p.name === 'balances');
    assert.equal(balances.rows, 10);
    assert.equal(balances.status, 'restoring');
    assert.equal(balances.partitions.length, 4);
    assert.deepEqual(balances.partitions[0], { partition: 0, position: 42, lagMs: 7, status: 'running' });
    assert.equal(body.projections.find((p: any) => p.name === 'events').queryable, false);

    const one = await app.inject('/projections/by_day');
    assert.equal(one.statusCode, 200);
    assert.equal(json(one.body).rows, 1);
    assert.equal((await app.inject('/projections/missing')).statusCode, 404);
    assert.equal((await app.inject('/projections/9bad')).statusCode, 400);
  });

  it('gets a row by key with its metadata, composite keys as URL-encoded canonical JSON', async () => {
    const { app } = createHttpServer({ stateSource: sampleSource(5) });
    const r = await app.inject('/projections/balances/keys/k0003');
    assert.equal(r.statusCode, 200);
    const row = json(r.body);
    assert.deepEqual(
      { ...row, partition: undefined },
      {
        key: 'k0003',
        value: { balance: 3 },
        offset: 3,
        updatedAt: 1003,
        partition: undefined,
      },
    );
    assert.ok(Number.isInteger(row.partition));
    const composite = encodeURIComponent('{"customerId":"c1","day":3}');
    const c = await app.inject(`/projections/by_day/keys/${composite}`);
    assert.equal(c.statusCode, 200);
    assert.deepEqual(json(c.body).value, { total: 30 });
    const source = sampleSource();
    const odd = createHttpServer({ stateSource: source }).app;
    const inUrl = encodeURIComponent;
    for (const k of ['a/b c', '100%', 'ключ', '...', '.a', '?x=1#y', '42', '%2E%2E']) {
      source.put('balances', k, { k });
      const r = await odd.inject(`/projections/balances/keys/${inUrl(k)}`);
      assert.equal(r.statusCode, 200, k);
      assert.equal(json(r.body).key, k);
      assert.deepEqual(json(r.body).value, { k });
    }
    // Not canonical (fields unsorted): another key.
    const unsorted = encodeURIComponent('{"day":3,"customerId":"c1"}');
    assert.equal((await app.inject(`/projections/by_day/keys/${unsorted}`)).statusCode, 404);
  });

  it('answers 404 for an unknown key or projection, 400 for a stream projection or an overlong key', async () => {
    const { app } = createHttpServer({ stateSource: sampleSource(2) });
    const missing = await app.inject('/projections/balances/keys/nope');
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(json(missing.body), { error: 'not_found', reason: 'no row with this key' });
    assert.equal(json((await app.inject('/projections/ghost/keys/a')).body).error, 'unknown_projection');
    assert.equal(json((await app.inject('/projections/events/keys/a')).body).error, 'not_queryable');
    assert.equal((await app.inject(`/projections/balances/keys/${'x'.repeat(5000)}`)).statusCode, 400);
  });

  it('answers 503 with Retry-After when the key’s partition restores', async () => {
    const source = sampleSource(1);
    const { app } = createHttpServer({ stateSource: source });
    const k = keyIn(2);
    source.put('balances', k, { balance: 1 });
    source.setRestoring(2, true);
    const r = await app.inject(`/projections/balances/keys/${k}`);
    assert.equal(r.statusCode, 503);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(json(r.body).error, 'restoring');
    source.setRestoring(2, false);
    assert.equal((await app.inject(`/projections/balances/keys/${k}`)).statusCode, 200);
  });

  it('answers 503 when the owner of a key is unknown (rebalance), never a wrong 404', async () => {
    const source = sampleSource(0, [0, 1]);
    const { app } = createHttpServer({ stateSource: source });
    const r = await app.inject(`/projections/balances/keys/${keyIn(3)}`);
    assert.equal(r.statusCode, 503);
    assert.equal(r.headers['retry-after'], '1');
  });

  it('never reflects raw input in errors', async () => {
    const { app } = createHttpServer({ stateSource: sampleSource(1) });
    for (const url of [
      '/projections/%3Cscript%3Ealert(1)%3C%2Fscript%3E/keys/a',
      '/<script>alert(1)</script>',
      '/projections/balances/rows?limit=%3Cscript%3E',
      '/projections/balances/rows?cursor=%3Cscript%3E',
      '/projections/balances/keys/a?minOffset=%3Cscript%3E',
    ]) {
      const r = await app.inject(url);
      assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${url}: ${r.statusCode}`);
      assert.ok(!/script|alert/i.test(r.body), `${url} reflected: ${r.body}`);
      assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
      assert.ok(typeof json(r.body).reason === 'string');
    }
  });

  it('serves an OpenAPI document describing every route and its parameters', async () => {
    const { app } = createHttpServer({ stateSource: sampleSource(), version: '1.2.3' });
    const doc = json((await app.inject('/openapi.json')).body);
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.version, '1.2.3');
    for (const path of [
      '/healthz',
      '/readyz',
      '/projections',
      '/projections/{name}',
      '/projections/{name}/keys/{key}',
      '/projections/{name}/rows',
      '/projections/{name}/partitions/{partition}',
    ])
      assert.ok(doc.paths[path]?.get, path);
    const rows = doc.paths['/projections/{name}/rows'].get;
    const names = rows.parameters.map((p: any) => p.name);
    for (const n of ['name', 'prefix', 'from', 'to', 'limit', 'cursor', 'minOffset', 'maxLagMs'])
      assert.ok(names.includes(n), n);
    assert.ok(rows.responses['503'].headers['Retry-After']);
  });

  it('refuses bodies over the limit with a JSON 413', async () => {
    const { app } = createHttpServer({
      stateSource: sampleSource(),
      token: 'tok-12345',
      bodyLimit: 1024,
      registerAdmin: (scope) =>
        scope.post('/echo', async (request) => ({ size: JSON.stringify(request.body).length })),
    });
    const headers = { authorization: 'Bearer tok-12345', 'content-type': 'application/json' };
    const small = await app.inject({
      method: 'POST',
      url: '/admin/echo',
      headers,
      payload: { a: 'x'.repeat(100) },
    });
    assert.equal(small.statusCode, 200);
    const big = await app.inject({
      method: 'POST',
      url: '/admin/echo',
      headers,
      payload: { a: 'x'.repeat(2000) },
    });
    assert.equal(big.statusCode, 413);
    assert.equal(json(big.body).error, 'payload_too_large');
  });

  it('answers unknown paths and methods with a JSON 404', async () => {
    const { app } = createHttpServer({ stateSource: sampleSource() });
    const r = await app.inject({ method: 'DELETE', url: '/projections/balances' });
    assert.equal(r.statusCode, 404);
    assert.equal(json(r.body).error, 'not_found');
  });
});

describe('bearer token', () => {
  it('guards every endpoint but the probes when configured', async () => {
    const { app } = createHttpServer({ stateSource: sampleSource(1), token: 's3cret' });
    for (const url of ['/healthz', '/readyz', '/healthz?x=1']) {
      assert.equal((await app.inject(url)).statusCode, 200, `${url}: probes carry no token`);
    }
    for (const url of ['/projections', '/projections/balances/keys/k0000', '/openapi.json']) {
      assert.equal((await app.inject(url)).statusCode, 401, url);
      const wrong = await app.inject({ url, headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.statusCode, 401, url);
      assert.equal(json(wrong.body).error, 'unauthorized');
      const ok = await app.inject({ url, headers: { authorization: 'Bearer s3cret' } });
      assert.equal(ok.statusCode, 200, url);
    }
    const basic = await app.inject({ url: '/projections', headers: { authorization: 'Basic czNjcmV0' } });
    assert.equal(basic.statusCode, 401);
  });

  it('admin endpoints always need one: 403 without a configured token, 401 wrong, then the command', async () => {
    const open = createHttpServer({ stateSource: sampleSource() }).app;
    assert.equal((await open.inject({ method: 'POST', url: '/admin/reset' })).statusCode, 403);

    const guarded = createHttpServer({
      stateSource: sampleSource(),
      token: 't',
      registerAdmin: (scope) => scope.post('/ping', async () => ({ pong: true })),
    }).app;
    assert.equal((await guarded.inject({ method: 'POST', url: '/admin/ping' })).statusCode, 401);
    const ok = await guarded.inject({
      method: 'POST',
      url: '/admin/ping',
      headers: { authorization: 'Bearer t' },
    });
    assert.deepEqual(json(ok.body), { pong: true });
    const other = await guarded.inject({
      method: 'POST',
      url: '/admin/other',
      headers: { authorization: 'Bearer t' },
    });
    assert.equal(other.statusCode, 404);
  });
});

// Range and prefix scans over HTTP: paging returns every row once, in key order, whatever the page size;
// rows written between pages repeat or drop nothing; bad parameters are a 400, restoring partitions a 503.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHttpServer } from '../../../runtime/http/server.ts';
import { key, sampleSource } from './helpers.ts';

const json = (body: string) => JSON.parse(body) as Record<string, any>;

async function allPages(app: ReturnType<typeof createHttpServer>['app'], base: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 1000; pages++) {
    const sep = base.includes('?') ? '&' : '?';
    const r: { statusCode: number; body: string } = await app.inject(
      cursor ? `${base}${sep}cursor=${cursor}` : base,
    );
    assert.equal(r.statusCode, 200, r.body);
    const body = json(r.body);
    keys.push(...body.rows.map((row: any) => row.key));
    cursor = body.next;
    if (cursor === null) return keys;
  }
  throw new Error('pagination did not end');
}

describe('range and prefix scans', () => {
  it('pages through every row once, in key order, whatever the page size', async () => {
    const { app } = createHttpServer({ stateSource: sampleSource(250) });
    const expected = Array.from({ length: 250 }, (_, i) => key(i));
    for (const limit of [1, 7, 100, 250, 1000]) {
      const keys = await allPages(app, `/projections/balances/rows?limit=${limit}`);
      assert.deepEqual(keys, expected, `limit ${limit}`);
    }
  });

  it('returns rows with their metadata and a null cursor on the last page', async () => {
    const { app } = createHttpServer({ stateSource: sampleSource(3) });
    const body = json((await app.inject('/projections/balances/rows')).body);
    assert.equal(body.next, null);
    assert.deepEqual(body.rows[1].value, { balance: 1 });
    assert.equal(body.rows[1].offset, 1);
    assert.equal(body.rows[1].updatedAt, 1001);
  });

  it('scans a prefix and a from/to range', async () => {
    const { app } = createHttpServer({ stateSource: sampleSource(250) });
    const prefixed = await allPages(app, '/projections/balances/rows?prefix=k01&limit=4');
    assert.deepEqual(
      prefixed,
      Array.from({ length: 100 }, (_, i) => key(100 + i)),
    );
    const ranged = await allPages(app, '/projections/balances/rows?from=k0010&to=k0020&limit=3');
    assert.deepEqual(
      ranged,
      Array.from({ length: 10 }, (_, i) => key(10 + i)),
    );
    const none = json((await app.inject('/projections/balances/rows?prefix=zz')).body);
    assert.deepEqual(none, { rows: [], next: null });
  });

  it('sees rows written between pages without repeating or losing older ones', async () => {
    const source = sampleSource(20);
    const { app } = createHttpServer({ stateSource: source });
    const first = json((await app.inject('/projections/balances/rows?limit=10')).body);
    source.put('balances', 'k0005a', { balance: -1 }); // before the cursor: not in later pages
    source.put('balances', 'k0015a', { balance: -1 }); // after it: in the next page
    const second = json((await app.inject(`/projections/balances/rows?limit=100&cursor=${first.next}`)).body);
    const keys = [...first.rows, ...second.rows].map((r: any) => r.key);
    assert.equal(new Set(keys).size, keys.length);
    assert.ok(keys.includes('k0015a'));
    assert.ok(!keys.includes('k0005a'));
  });

  it('rejects bad parameters with 400', async () => {
    const { app } = createHttpServer({ stateSource: sampleSource(5) });
    const page = json((await app.inject('/projections/balances/rows?prefix=k&limit=1')).body);
    for (const q of [
      'limit=0',
      'limit=1001',
      'limit=abc',
      'limit=1&limit=2',
      'prefix=a&prefix=b',
      'cursor=!!',
      `cursor=${page.next}`, // from a scan with another prefix
      'unknown=1',
      `prefix=${'x'.repeat(5000)}`,
      'minOffset=abc',
    ]) {
      const r = await app.inject(`/projections/balances/rows?${q}`);
      assert.equal(r.statusCode, 400, `${q}: ${r.body}`);
      assert.equal(json(r.body).error, 'bad_request');
    }
    assert.equal((await app.inject('/projections/events/rows')).statusCode, 400);
    assert.equal((await app.inject('/projections/ghost/rows')).statusCode, 404);
  });

  it('answers 503 while any partition restores, and a forwarded leg must name its partitions', async () => {
    const source = sampleSource(5);
    const { app } = createHttpServer({ stateSource: source });
    source.setRestoring(3, true);
    const r = await app.inject('/projections/balances/rows');
    assert.equal(r.statusCode, 503);
    assert.equal(r.headers['retry-after'], '1');
    const leg = await app.inject({
      url: '/projections/balances/rows',
      headers: { 'x-streamfold-forwarded': '1' },
    });
    assert.equal(leg.statusCode, 400);
  });
});

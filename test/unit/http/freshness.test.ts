// Freshness bounds over HTTP (read-your-writes): minOffset and maxLagMs wait until the owning partition has
// caught up, answer 503 not_fresh with Retry-After after the timeout, and malformed values are a 400.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHttpServer } from '../../../runtime/http/server.ts';
import { keyIn, sampleSource } from './helpers.ts';

const json = (body: string) => JSON.parse(body) as Record<string, any>;

describe('freshness bounds', () => {
  it('minOffset waits until the partition processed that offset, then answers the new value', async () => {
    const source = sampleSource();
    const { app } = createHttpServer({ stateSource: source });
    const k = keyIn(1);
    source.put('balances', k, { balance: 1 });
    source.setPosition(1, 10);
    const pending = app.inject(`/projections/balances/keys/${k}?minOffset=1:10&timeoutMs=2000`);
    setTimeout(() => {
      source.put('balances', k, { balance: 2 });
      source.setPosition(1, 11);
    }, 50);
    const r = await pending;
    assert.equal(r.statusCode, 200);
    assert.deepEqual(json(r.body).value, { balance: 2 });
  });

  it('answers at once when the position is already past the offset', async () => {
    const source = sampleSource(1);
    source.setPosition(0, 100);
    const { app } = createHttpServer({ stateSource: source });
    const t0 = Date.now();
    const r = await app.inject('/projections/balances/rows?minOffset=0:99&timeoutMs=5000');
    assert.equal(r.statusCode, 200);
    assert.ok(Date.now() - t0 < 1000);
  });

  it('answers 503 not_fresh with Retry-After after the timeout', async () => {
    const source = sampleSource(1);
    source.setPosition(2, 5);
    const { app } = createHttpServer({ stateSource: source });
    const t0 = Date.now();
    const r = await app.inject(`/projections/balances/keys/${keyIn(2)}?minOffset=2:5&timeoutMs=100`);
    assert.equal(r.statusCode, 503);
    assert.equal(json(r.body).error, 'not_fresh');
    assert.equal(r.headers['retry-after'], '1');
    assert.ok(Date.now() - t0 >= 90);
  });

  it('maxLagMs waits until the key’s partition lag drops under the bound', async () => {
    const source = sampleSource();
    const k = keyIn(0);
    source.put('balances', k, { balance: 1 });
    source.setPosition(0, 1, 5000);
    const { app } = createHttpServer({ stateSource: source });
    const stale = await app.inject(`/projections/balances/keys/${k}?maxLagMs=100&timeoutMs=60`);
    assert.equal(stale.statusCode, 503);
    const pending = app.inject(`/projections/balances/keys/${k}?maxLagMs=100&timeoutMs=2000`);
    setTimeout(() => source.setPosition(0, 2, 0), 50);
    assert.equal((await pending).statusCode, 200);
  });

  it('maxLagMs on a scan bounds every local partition', async () => {
    const source = sampleSource(3);
    source.setPosition(3, 1, 900);
    const { app } = createHttpServer({ stateSource: source });
    assert.equal((await app.inject('/projections/balances/rows?maxLagMs=100&timeoutMs=30')).statusCode, 503);
    assert.equal((await app.inject('/projections/balances/rows?maxLagMs=1000&timeoutMs=30')).statusCode, 200);
  });

  it('the partition route waits too, and rejects offsets of other partitions', async () => {
    const source = sampleSource();
    source.setPosition(3, 8);
    const { app } = createHttpServer({ stateSource: source });
    const ok = await app.inject('/projections/balances/partitions/3?minOffset=3:7');
    assert.equal(ok.statusCode, 200);
    assert.equal(json(ok.body).position, 8);
    assert.equal((await app.inject('/projections/balances/partitions/3?minOffset=2:7')).statusCode, 400);
    assert.equal((await app.inject('/projections/balances/partitions/9')).statusCode, 400);
  });

  it('rejects malformed minOffset values and unknown partitions with 400', async () => {
    const { app } = createHttpServer({ stateSource: sampleSource(1) });
    for (const v of ['1', '1:', ':1', '-1:2', '1:2:3', 'a:b', '1:99999999999999999', '7:1'])
      assert.equal((await app.inject(`/projections/balances/rows?minOffset=${v}`)).statusCode, 400, v);
    const several = await app.inject(
      '/projections/balances/rows?minOffset=0:0,1:0&minOffset=2:0&timeoutMs=10',
    );
    assert.equal(several.statusCode, 503); // well-formed; positions are 0, so not yet processed
  });
});

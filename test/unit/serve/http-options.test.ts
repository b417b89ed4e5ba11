// Where `streamfold run` serves HTTP (flag > environment > definition > 127.0.0.1:8080) and what
// it prints once serving.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { announcement } from '../../../runtime/serve/announce.ts';
import { resolveAdvertisedHost, resolveHttpSettings } from '../../../runtime/serve/http-options.ts';
import { define } from '../engine/helpers.ts';

describe('streamfold run: HTTP settings', () => {
  it('takes the flag, then the environment, then the definition, then 127.0.0.1:8080', () => {
    const none = { http: undefined };
    const def = { http: { host: '127.0.0.2', port: 9000 } };
    assert.deepEqual(resolveHttpSettings(none, {}, {}), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(resolveHttpSettings(def, {}, {}), { host: '127.0.0.2', port: 9000 });
    const env = {
      STREAMFOLD_HTTP_HOST: '127.0.0.3',
      STREAMFOLD_HTTP_PORT: '0',
      STREAMFOLD_HTTP_TOKEN: 'secret-token-1',
    };
    assert.deepEqual(resolveHttpSettings(def, {}, env), {
      host: '127.0.0.3',
      port: 0,
      token: 'secret-token-1',
    });
    assert.deepEqual(
      resolveHttpSettings(def, { httpHost: '::1', httpPort: '7000', httpToken: 'flag-token-22' }, env),
      {
        host: '::1',
        port: 7000,
        token: 'flag-token-22',
      },
    );
    // An empty variable (e.g. `${X:-}` in compose) is unset.
    assert.equal(resolveHttpSettings(def, {}, { STREAMFOLD_HTTP_PORT: '' }).port, 9000);
    assert.throws(() => resolveHttpSettings(none, { httpPort: '80000' }, {}), /--http-port/);
    assert.throws(() => resolveHttpSettings(none, { httpToken: 'short' }, {}), /at least 8/);
  });

  it('advertises the flag, the environment, or the host name when binding a wildcard address', () => {
    const wildcard = { host: '0.0.0.0', port: 8080 };
    const loopback = { host: '127.0.0.1', port: 8080 };
    const name = () => 'container-7';
    assert.equal(resolveAdvertisedHost(wildcard, undefined, {}, name), 'container-7');
    assert.equal(
      resolveAdvertisedHost(wildcard, undefined, { STREAMFOLD_HTTP_ADVERTISED_HOST: 'svc' }, name),
      'svc',
    );
    assert.equal(
      resolveAdvertisedHost(wildcard, 'flag-host', { STREAMFOLD_HTTP_ADVERTISED_HOST: 'svc' }, name),
      'flag-host',
    );
    assert.equal(resolveAdvertisedHost(loopback, undefined, {}, name), undefined);
  });

  it('announces the dashboard and a query on the first table projection, with the token header when needed', () => {
    const def = define({
      sources: { s: { topic: 't' } },
      projections: { events: { from: 's' }, totals: { from: 's', aggregate: { n: { count: '*' } } } },
    });
    const text = announcement('http://127.0.0.1:8080', def, false);
    assert.match(text, /dashboard +http:\/\/127\.0\.0\.1:8080\/dashboard\//);
    assert.match(text, /curl 'http:\/\/127\.0\.0\.1:8080\/projections\/totals\/rows\?limit=5'/);
    assert.match(
      announcement('http://h:1', def, true),
      /curl -H "Authorization: Bearer \$STREAMFOLD_HTTP_TOKEN" 'http:\/\/h:1/,
    );
  });
});

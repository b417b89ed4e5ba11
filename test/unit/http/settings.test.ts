// HTTP settings of `streamfold run`: 127.0.0.1 by default, the token from the flag or the environment, bad
// ports and weak tokens refused, and the advertised endpoint (an explicit host behind a wildcard bind).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advertisedEndpoint, httpSettings } from '../../../runtime/http/settings.ts';

describe('HTTP settings', () => {
  it('binds 127.0.0.1 by default and reads the token from the flag or the environment', () => {
    assert.deepEqual(httpSettings({}, {}), { host: '127.0.0.1', port: 8080 });
    assert.equal(httpSettings({}, { STREAMFOLD_HTTP_TOKEN: 'from-env-123' }).token, 'from-env-123');
    assert.equal(
      httpSettings({ httpToken: 'from-flag-1' }, { STREAMFOLD_HTTP_TOKEN: 'from-env-123' }).token,
      'from-flag-1',
    );
    assert.equal(httpSettings({ httpPort: '9000' }, {}).port, 9000);
  });

  it('rejects bad ports and weak or unprintable tokens', () => {
    assert.throws(() => httpSettings({ httpPort: '70000' }, {}), /http-port/);
    assert.throws(() => httpSettings({ httpPort: 'x' }, {}), /http-port/);
    assert.throws(() => httpSettings({ httpToken: 'short' }, {}), /token/);
    assert.throws(() => httpSettings({ httpToken: 'has space inside' }, {}), /token/);
  });

  it('advertises the bound address, and needs an explicit host behind a wildcard bind', () => {
    assert.equal(advertisedEndpoint(httpSettings({}, {}), 8123), 'http://127.0.0.1:8123');
    assert.equal(advertisedEndpoint({ host: '::1', port: 0 }, 81), 'http://[::1]:81');
    assert.throws(() => advertisedEndpoint({ host: '0.0.0.0', port: 0 }, 81), /advertised host/);
    assert.equal(advertisedEndpoint({ host: '0.0.0.0', port: 0 }, 81, 'node-a'), 'http://node-a:81');
  });
});

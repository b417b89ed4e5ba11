// Which version a query reads: its URL is rewritten to one version id before routing (the active one, or
// `@n` / `?version=n`), so every call of one request reads the same version.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { versionedUrl } from '../../../runtime/versions/route-url.ts';

const ids: Record<string, string> = {
  'balances@': 'balances-v2',
  'balances@1': 'balances',
  'balances@2': 'balances-v2',
};
const target = (p: string, v?: number) => ids[`${p}@${v ?? ''}`];

test('a query names one version id before routing', () => {
  assert.equal(versionedUrl('/projections/balances/keys/a1', target), '/projections/balances-v2/keys/a1');
  assert.equal(versionedUrl('/projections/balances@1/keys/a1', target), '/projections/balances/keys/a1');
  assert.equal(
    versionedUrl('/projections/balances%401/rows?limit=5', target),
    '/projections/balances/rows?limit=5',
  );
  assert.equal(
    versionedUrl('/projections/balances/rows?limit=5&version=1', target),
    '/projections/balances/rows?limit=5',
  );
  assert.equal(versionedUrl('/projections/balances?version=2', target), '/projections/balances-v2');
  // Unknown versions become an id no projection has (404); other paths stay.
  assert.equal(versionedUrl('/projections/balances@7/keys/a1', target), '/projections/balances-v7/keys/a1');
  assert.equal(versionedUrl('/projections/other/keys/a1', target), '/projections/other/keys/a1');
  assert.equal(versionedUrl('/projections', target), '/projections');
  assert.equal(versionedUrl('/healthz', target), '/healthz');
});

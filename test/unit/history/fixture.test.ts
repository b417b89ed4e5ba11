// The price-history fixture: its tables and changelogs pass, and its history stores hold exactly
// the versions worked out by hand from the known event times (see the fixture's comments).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { names } from '../../../projections/graph/names.ts';
import { type HistoryHead, headKey, readAsOf } from '../../../projections/history/index.ts';
import { formatResult, loadFixture, runFixture } from '../../../projections/testing/index.ts';

const FILE = fileURLToPath(new URL('../../fixtures/history/price-history.yaml', import.meta.url));
const T0 = Date.UTC(2026, 0, 1);
/** Event time `m` minutes after T0. */
const at = (m: number) => T0 + m * 60_000;

describe('price-history fixture', async () => {
  const fixture = await loadFixture(FILE);
  const executor = new Executor(compileTopology(fixture.definition), { json: true });
  for (const input of fixture.inputs) executor.process({ ...input, key: input.key ?? null });
  const stored = (projection: string, key: string) =>
    executor.stores.store<HistoryHead>(names.historyStore('shop', projection)).get(headKey(key));
  const asOf = (projection: string, key: string, m: number) =>
    readAsOf(executor.stores, 'shop', projection, key, at(m));

  it('passes as an ordinary fixture', () => {
    const result = runFixture(fixture);
    assert.ok(result.passed, formatResult(result));
  });

  it('catalog (1h retention): one version per change, the unchanged re-send adds none', () => {
    assert.deepEqual(stored('catalog', 'p1'), {
      v: [
        [at(0), { name: 'green', price: 4, category: 'tea' }],
        [at(10), { name: 'green', price: 3, category: 'tea' }],
        [at(45), { name: 'green', price: 5, category: 'tea' }],
      ],
    });
    assert.deepEqual(stored('catalog', 'p3'), {
      v: [
        [at(20), { name: 'oolong', price: 9, category: 'tea' }],
        [at(50), null],
      ],
    });
    // 01:45 − 1h = 00:45: the 00:40 version is in force then, so the 00:00 one goes.
    assert.deepEqual(stored('catalog', 'p2'), {
      v: [
        [at(40), { name: 'java', price: 7, category: 'tea' }],
        [at(105), { name: 'java', price: 6, category: 'tea' }],
      ],
      cut: 1,
    });
  });

  it('category_stats (30m, 3 versions): trimmed, late change at the newest time, deleted group purged', () => {
    assert.deepEqual(stored('category_stats', 'tea'), {
      v: [
        [at(20), { items: 2, cheapest: 3 }],
        [at(40), { items: 3, cheapest: 3 }],
        // the 00:45 price change arrived after the 00:50 delete: it replaced the 00:50 version
        [at(50), { items: 2, cheapest: 5 }],
      ],
      cut: 1,
    });
    // coffee was deleted at 00:40; stream time 01:45 − 30m = 01:15 is past its purge bucket
    // (3m45s wide, ending 00:41:15), so its history is gone. p3's delete (00:50) is within 1h.
    assert.equal(stored('category_stats', 'coffee'), undefined);
    assert.ok(stored('catalog', 'p3'));
  });

  it('answers asOf at the known event times', () => {
    assert.deepEqual(asOf('catalog', 'p1', -1), { kind: 'absent' });
    assert.deepEqual(asOf('catalog', 'p1', 0), {
      kind: 'row',
      value: { name: 'green', price: 4, category: 'tea' },
      since: at(0),
    });
    assert.deepEqual(asOf('catalog', 'p1', 44), {
      kind: 'row',
      value: { name: 'green', price: 3, category: 'tea' },
      since: at(10),
    });
    assert.deepEqual(asOf('catalog', 'p3', 49), {
      kind: 'row',
      value: { name: 'oolong', price: 9, category: 'tea' },
      since: at(20),
    });
    assert.deepEqual(asOf('catalog', 'p3', 50), { kind: 'absent', since: at(50) });
    assert.deepEqual(asOf('catalog', 'p2', 39), { kind: 'trimmed', oldest: at(40) });
    assert.deepEqual(asOf('category_stats', 'coffee', 39), { kind: 'absent' }, 'purged');
    assert.deepEqual(asOf('category_stats', 'tea', 1000), {
      kind: 'row',
      value: { items: 2, cheapest: 5 },
      since: at(50),
    });
  });
});

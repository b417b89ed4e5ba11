// The dashboard in real headless Chromium against the real HTTP server: token prompt, projection
// list and statuses, lag, throughput, restore progress, dead letters, the state browser (key
// lookup checked against the store, prefix paging, escaping of hostile keys and values, asOf),
// and graceful degradation when the server goes away. Screenshots go to .cache/screenshots/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { encodeKey } from '../../../projections/keys.ts';
import { createHttpServer, type HttpServer, partitionOfKey } from '../../../runtime/http/index.ts';
import { launchChromium } from './chromium.ts';
import {
  balanceKeys,
  type DashboardSource,
  HOSTILE_KEY,
  HOSTILE_VALUE,
  openingBalance,
  PARTITIONS,
  seededMetrics,
  seededSource,
  seededViews,
  startServer,
  storedValue,
  TOKEN,
} from './fixture.ts';

const SHOTS = fileURLToPath(new URL('../../../.cache/screenshots/dashboard/', import.meta.url));

/** Retries `check` until it stops throwing (the page polls once a second). */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const text = async (page: Page, selector: string) =>
  ((await page.locator(selector).textContent()) ?? '').trim();
const cell = (name: string, column: string) => `#projections tr[data-projection="${name}"] td.${column}`;

describe('dashboard in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let server: HttpServer;
  let base: string;
  let source: DashboardSource;
  let metrics: ReturnType<typeof seededMetrics>;
  let views: ReturnType<typeof seededViews>;
  const pageErrors: string[] = [];

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    source = seededSource();
    metrics = seededMetrics();
    views = seededViews();
    [server, base] = await startServer(source, metrics, () => views);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });

  it('asks for the token, then lists every projection with its status, lag and dead letters', async () => {
    await page.goto(`${base}/`);
    assert.equal(new URL(page.url()).pathname, '/dashboard/', 'the root redirects to the dashboard');
    await eventually(async () => assert.equal(await text(page, '#conn'), 'unauthorized'));
    assert.match(await text(page, '#banner'), /requires a bearer token/);
    await shot('01-token-required');

    await page.fill('#token', TOKEN);
    await page.click('#token-form button[type=submit]');
    await eventually(async () => assert.equal(await text(page, '#conn'), 'ready'));
    assert.equal(await page.evaluate("sessionStorage.getItem('streamfold.token')"), TOKEN);
    assert.equal(await page.locator('#banner').isHidden(), true);

    const names = await page
      .locator('#projections tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-projection')));
    assert.deepEqual(names, ['balances', 'revenue_by_customer', 'account_events']);
    for (const name of names) assert.equal(await text(page, cell(name, 'status')), 'running');

    const rows = (await source.projections()).find((p) => p.name === 'balances')!.rows;
    assert.equal(await text(page, cell('balances', 'rows')), rows.toLocaleString('en-US'));
    assert.equal(await text(page, cell('account_events', 'rows')), '–', 'a stream keeps no rows');
    assert.equal(await text(page, cell('balances', 'io')), '1,200 / 900');
    // Partition 1 is 1499 records behind its input end; the others report no end offset.
    assert.match(
      await text(page, `${cell('balances', 'partitions')} .chip[data-partition="1"]`),
      /lag 1,499/,
    );
    assert.match(await text(page, cell('balances', 'lag')), /^1,499 rec/);
    assert.match(
      await text(page, `${cell('balances', 'partitions')} .chip[data-partition="0"]`),
      /caught up/,
    );

    await eventually(async () => assert.equal(await text(page, '#dlq .dlq-total'), '9'));
    const dlqRows = await page.locator('#dlq-table tbody tr').allTextContents();
    assert.equal(dlqRows.length, 3);
    assert.match(
      await text(page, '#dlq .dlq-misrouted'),
      /^order-events is not partitioned by its entity key: 4 records .* partitioning: repartition on the source\.$/,
    );
    assert.ok(dlqRows.some((r) => r.includes('decode') && r.includes('value-not-json') && r.endsWith('3')));

    // Commands by outcome, refused reused ids included.
    const commandCells = async () =>
      Promise.all(
        (await page.locator('#commands-table tr').all()).map(async (r) =>
          (await r.locator('th, td').allTextContents()).join(' '),
        ),
      );
    await eventually(async () =>
      assert.deepEqual(await commandCells(), [
        'Command accepted rejected conflict reused',
        'deposit 5 0 0 0',
        'withdraw 3 2 1 1',
      ]),
    );

    // Only tables can be browsed.
    const choices = await page.locator('#b-projection option').allTextContents();
    assert.deepEqual(choices, ['balances', 'revenue_by_customer']);
  });

  it('shows each PostgreSQL view: its table, which version the SQL view reads, lag, writers', async () => {
    const row = (id: string) => `#views tr[data-view="${id}"]`;
    await eventually(async () => assert.equal(await page.locator('#views tbody tr').count(), 2));
    assert.equal(await page.locator('#views-section').isVisible(), true);
    assert.equal(await text(page, `${row('balances@1')} td.table`), 'public.balances_v1');
    assert.equal(await text(page, `${row('balances@1')} td.stable`), 'not read by the SQL view');
    assert.equal(await text(page, `${row('balances@1')} td.lag`), '50 rec');
    assert.equal(await text(page, `${row('balances@1')} .chip[data-partition="0"]`), 'p0 lag 50');
    assert.equal(await text(page, `${row('balances@2')} td.stable`), 'read by public.balances');
    assert.equal(await text(page, `${row('balances@2')} td.lag`), '2,570 rec');
    const chip = (p: number) => `${row('balances@2')} .chip[data-partition="${p}"]`;
    assert.equal(await text(page, chip(0)), 'p0 caught up');
    assert.match(await text(page, chip(1)), /^p1 backfilling 25%.*250 \/ 1,000$/);
    assert.equal(await page.locator(`${chip(1)} progress`).getAttribute('value'), '250');
    assert.equal(await text(page, chip(2)), 'p2 waiting for database · lag 1,820');
    assert.equal(await page.getAttribute(chip(2), 'title'), 'connect ECONNREFUSED 127.0.0.1:5432');
    await shot('02-views');

    // The database is back and the backfill is done: the page follows.
    const v2 = views[1]!;
    v2.partitions = v2.partitions.map((w) => ({
      partition: w.partition,
      state: 'following',
      position: w.end,
      end: w.end,
    }));
    v2.lag = 0;
    await eventually(async () => assert.equal(await text(page, `${row('balances@2')} td.lag`), '0 rec'));
    for (const p of [0, 1, 2]) assert.equal(await text(page, chip(p)), `p${p} caught up`);
  });

  it('computes throughput from successive polls', async () => {
    // 50 records every 100 ms on partition 0: about 500 records/s.
    let position = 1000;
    const timer = setInterval(() => {
      source.setPosition(0, (position += 50));
      metrics.commitLatency(0.012); // a 12 ms commit every 100 ms, for the trends' latency plot
    }, 100);
    try {
      await page.waitForTimeout(2_500);
      const rate = await eventually(async () => {
        const shown = await text(page, cell('balances', 'throughput'));
        const m = /^([\d,.]+) rec\/s$/.exec(shown);
        assert.ok(m, `throughput shown as '${shown}'`);
        const value = Number(m[1]!.replaceAll(',', ''));
        assert.ok(value >= 250 && value <= 1000, `throughput ${value} rec/s, expected about 500`);
        return value;
      });
      assert.ok(rate > 0);
      // The trends: a plot per projection, its throughput line drawn from the polls, and the
      // commit latency plot with the mean commit time since the last scrape.
      await eventually(async () => {
        const points = await page.getAttribute(
          '#trends figure[data-projection="balances"] path.throughput',
          'data-points',
        );
        assert.ok(Number(points) >= 2, `throughput points ${points}`);
        assert.equal(await text(page, '#trends figure[data-commits] .commit-key'), '12.0 ms');
        assert.ok(await page.locator('#trends figure[data-commits] path.commit').count());
      });
      const plotted = await page.locator('#trends figure[data-projection]').count();
      assert.equal(plotted, await page.locator('#projections tbody tr').count(), 'one plot per projection');
      await shot('02-running');
    } finally {
      clearInterval(timer);
    }
    await eventually(async () => assert.equal(await text(page, cell('balances', 'throughput')), '0.0 rec/s'));
  });

  it('shows restore progress and answers lookups on a restoring partition with a retry message', async () => {
    source.restore.set(2, { restored: 1500, total: 6000 });
    source.setRestoring(2, true);
    await eventually(async () => assert.equal(await text(page, cell('balances', 'status')), 'restoring'));
    const chip = `${cell('balances', 'partitions')} .chip[data-partition="2"]`;
    assert.match(await text(page, chip), /restoring 25%.*1,500 \/ 6,000/);
    assert.equal(await page.locator(`${chip} progress`).getAttribute('value'), '1500');
    assert.equal(await text(page, '#conn'), 'restoring');
    assert.match(await text(page, '#banner'), /restoring state/);

    const key = balanceKeys.find((k) => partitionOfKey(encodeKey(k), PARTITIONS) === 2)!;
    await page.selectOption('#b-projection', 'balances');
    await page.selectOption('#b-mode', 'key');
    await page.fill('#b-query', key);
    await page.click('#browse button[type=submit]');
    await eventually(async () => assert.match(await text(page, '#b-message'), /restoring; try again/));
    await shot('03-restoring');

    source.setRestoring(2, false);
    await eventually(async () => assert.equal(await text(page, '#conn'), 'ready'));
    assert.equal(await text(page, cell('balances', 'status')), 'running');
  });

  it('finds a key in the state browser and shows the stored value', async () => {
    await page.selectOption('#b-projection', 'balances');
    await page.selectOption('#b-mode', 'key');
    await page.fill('#b-query', 'acct-007');
    await page.click('#browse button[type=submit]');
    await page.locator('#b-detail').waitFor({ state: 'visible' });
    assert.equal(await text(page, '#d-key'), 'acct-007');
    const shown = JSON.parse((await page.locator('#d-value').textContent()) ?? '');
    assert.deepEqual(shown, storedValue(source, 'balances', 'acct-007'));
    const meta = await page.locator('#d-meta dd').allTextContents();
    assert.deepEqual(meta, [
      'balances',
      String(partitionOfKey('acct-007', PARTITIONS)),
      '107',
      new Date(Date.UTC(2026, 0, 1, 12, 0, 7)).toISOString(),
    ]);
    await shot('04-key');

    await page.fill('#b-query', 'no-such-key');
    await page.click('#browse button[type=submit]');
    await eventually(async () => assert.equal(await text(page, '#b-message'), 'No row with this key.'));
    assert.equal(await page.locator('#b-detail').isHidden(), true);
  });

  it('renders hostile keys and values as text', async () => {
    await page.fill('#b-query', HOSTILE_KEY);
    await page.click('#browse button[type=submit]');
    await eventually(async () => assert.equal(await text(page, '#d-key'), HOSTILE_KEY));
    assert.deepEqual(JSON.parse((await page.locator('#d-value').textContent()) ?? ''), HOSTILE_VALUE);
    assert.equal(await page.locator('img, script:not([src]), #b-detail b').count(), 0, 'no markup from data');
    assert.equal(await page.evaluate('window.__pwned'), undefined);
  });

  it('pages through a prefix scan with the cursor, neither repeating nor skipping a row', async () => {
    await page.selectOption('#b-mode', 'prefix');
    await page.selectOption('#b-limit', '10');
    await page.fill('#b-query', 'acct-0');
    await page.click('#browse button[type=submit]');
    const keysOnPage = () =>
      page.locator('#b-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));

    const pages: (string | null)[][] = [];
    for (let n = 1; n <= 3; n++) {
      await eventually(async () => assert.match(await text(page, '#b-page'), new RegExp(`^page ${n}\\b`)));
      pages.push(await keysOnPage());
      if (n < 3) {
        assert.equal(await page.locator('#b-next').isEnabled(), true);
        await page.click('#b-next');
      }
    }
    assert.deepEqual(
      pages.map((p) => p.length),
      [10, 10, 10],
    );
    assert.deepEqual(pages.flat(), balanceKeys, 'every acct-0… key once, in key order');
    assert.match(await text(page, '#b-page'), /\(last\)/);
    assert.equal(await page.locator('#b-next').isDisabled(), true);

    await page.click('#b-prev');
    await eventually(async () => assert.match(await text(page, '#b-page'), /^page 2\b/));
    assert.deepEqual(await keysOnPage(), pages[1]);

    // A row of the page opens with the value the store holds.
    await page.click('#b-table tbody tr[data-key="acct-015"] button');
    assert.equal(await text(page, '#d-key'), 'acct-015');
    assert.deepEqual(
      JSON.parse((await page.locator('#d-value').textContent()) ?? ''),
      storedValue(source, 'balances', 'acct-015'),
    );
    await shot('05-prefix');
  });

  it('looks up history with asOf, and says when a projection keeps none', async () => {
    const at = '2026-01-01T12:00:10.000Z';
    await page.fill('#h-asof', at);
    await page.click('#h-form button[type=submit]');
    const direct = await fetch(`${base}/projections/balances/keys/acct-015?asOf=${encodeURIComponent(at)}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(direct.status, 200);
    const body = (await direct.json()) as { value: unknown; updatedAt: number };
    // acct-015 changed at 12:00:15: at 12:00:10 it still had its opening balance (11:00).
    assert.deepEqual(body.value, openingBalance(15));
    assert.equal(body.updatedAt, Date.UTC(2026, 0, 1, 11));
    await eventually(async () =>
      assert.deepEqual(JSON.parse((await page.locator('#h-value').textContent()) ?? 'null'), body.value),
    );
    const none = await fetch(
      `${base}/projections/revenue_by_customer/keys/c1?asOf=${encodeURIComponent(at)}`,
      {
        headers: { authorization: `Bearer ${TOKEN}` },
      },
    );
    assert.equal(none.status, 400);
    assert.equal(((await none.json()) as { error: string }).error, 'no_history');
    await shot('06-history');
  });

  it('works without a token and says when the server has no /metrics', async () => {
    const plain = createHttpServer({ stateSource: seededSource() });
    const url = await plain.listen();
    const other = await browser.newPage({ viewport: { width: 1360, height: 700 } });
    other.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      await other.goto(`${url}/dashboard`);
      await eventually(async () => assert.equal(await text(other, '#conn'), 'ready'));
      assert.equal(await other.locator('#projections tbody tr').count(), 3);
      await eventually(async () =>
        assert.equal(await text(other, '#dlq'), 'Not available: this server does not serve /metrics.'),
      );
      assert.equal(await text(other, cell('balances', 'io')), '–');
      assert.equal(await other.locator('#views-section').isHidden(), true, 'no views, no views panel');
    } finally {
      await other.close();
      await plain.close();
    }
  });

  it('keeps the last figures and says so when the server goes away', async () => {
    await server.close();
    await eventually(async () => assert.match(await text(page, '#banner'), /Cannot read the status/));
    assert.equal(await text(page, '#conn'), 'error');
    assert.equal(await page.evaluate("document.body.classList.contains('stale')"), true);
    assert.equal(await page.locator('#projections tbody tr').count(), 3, 'the last figures stay visible');
    await shot('07-unreachable');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });
});

// The change feed read by a real browser: `EventSource` in headless Chromium against the feed route
// over a real topic (in process: fastify + Feeds). The page sees every change exactly once in
// offset order, filtered by prefix, and resumes after closing its stream (new EventSource with the
// last event id) without gaps or repeats. The page is served by the same server (same origin).
// EventSource cannot send an Authorization header, so this server has no token (docs/http.md).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { dashboardRoutes } from '../../../runtime/http/dashboard/index.ts';
import { Feeds } from '../../../runtime/http/feeds/feeds.ts';
import { changeRoutes } from '../../../runtime/http/routes/changes.ts';
import { launchChromium } from '../dashboard/chromium.ts';
import { createTopic, kafka, produce, uniqueTopic } from '../helpers.ts';

const topic = uniqueTopic('feed-browser');
let app: FastifyInstance;
let browser: Browser;
let page: Page;
let url = '';

const PAGE = `<!doctype html><meta charset="utf-8"><title>feed</title><script>
  window.received = [];
  window.lastId = '';
  window.follow = (query) => {
    window.source?.close();
    const s = new EventSource('/projections/table/changes?' + query);
    s.addEventListener('change', (e) => { window.received.push(JSON.parse(e.data)); window.lastId = e.lastEventId; });
    s.addEventListener('ready', (e) => { window.ready = true; window.lastId = e.lastEventId; });
    window.source = s;
  };
</script>`;

before(async () => {
  await createTopic(topic, { partitions: 3, configs: { 'cleanup.policy': 'compact' } });
  app = Fastify();
  changeRoutes(
    app,
    new Feeds({
      kafka: kafka('feeds-browser'),
      topicOf: (p) => (p === 'table' ? topic : undefined),
      partitionsOf: async () => 3,
    }),
  );
  app.get('/page', async (_req, reply) => reply.type('text/html').send(PAGE));
  // The dashboard's state browser over the same feed: a stub of the reads it makes besides it.
  dashboardRoutes(app);
  app.get('/projections', async () => ({
    projections: [
      { name: 'table', kind: 'table', status: 'running', queryable: true, rows: 1, partitions: [] },
    ],
  }));
  app.get('/readyz', async () => ({ status: 'ready' }));
  app.get('/projections/table/keys/:key', async (req) => ({
    key: (req.params as { key: string }).key,
    value: { n: -1 },
    partition: 0,
    offset: 0,
    updatedAt: 0,
  }));
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(`${url}/page`);
});

after(async () => {
  await browser?.close();
  await app?.close();
});

const rows = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => ({
    key: `k${(from + i) % 40}`,
    value: JSON.stringify({ n: from + i }),
  }));

test(
  'EventSource in Chromium sees every change once, filtered, and resumes with the last id',
  { timeout: 120_000 },
  async () => {
    await page.evaluate(() => (globalThis as unknown as { follow: (q: string) => void }).follow('prefix=k1'));
    await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    await produce(topic, rows(0, 400));
    const received = () =>
      page.evaluate(
        () =>
          (
            globalThis as unknown as {
              received: Array<{ key: string; partition: number; offset: number; value: { n: number } }>;
            }
          ).received,
      );
    const expectedFirst = rows(0, 400).filter((r) => r.key.startsWith('k1')).length;
    await page.waitForFunction(
      (n) => (globalThis as unknown as { received: unknown[] }).received.length >= n,
      expectedFirst,
      { timeout: 20_000 },
    );

    // Close the stream, miss some changes, resume from the last id on a new EventSource.
    const lastId = await page.evaluate(() => {
      const w = globalThis as unknown as { source: EventSource; lastId: string };
      w.source.close();
      return w.lastId;
    });
    await produce(topic, rows(400, 800));
    await page.evaluate(
      (id) =>
        (globalThis as unknown as { follow: (q: string) => void }).follow(`prefix=k1&lastEventId=${id}`),
      lastId,
    );
    const expectedAll = rows(0, 800).filter((r) => r.key.startsWith('k1')).length;
    await page.waitForFunction(
      (n) => (globalThis as unknown as { received: unknown[] }).received.length >= n,
      expectedAll,
      { timeout: 20_000 },
    );
    await new Promise((r) => setTimeout(r, 500));

    const got = await received();
    assert.equal(got.length, expectedAll, 'changes received');
    assert.ok(got.every((c) => c.key.startsWith('k1')));
    const ids = got.map((c) => `${c.partition}:${c.offset}`);
    assert.equal(new Set(ids).size, ids.length, 'a change arrived twice');
    const ns = got.map((c) => c.value.n).sort((a, b) => a - b);
    assert.deepEqual(
      ns,
      rows(0, 800)
        .map((r, i) => (r.key.startsWith('k1') ? i : -1))
        .filter((i) => i >= 0),
    );
    const last = new Map<number, number>();
    for (const c of got) {
      assert.ok(c.offset > (last.get(c.partition) ?? -1), 'out of order');
      last.set(c.partition, c.offset);
    }
  },
);

test(
  'the dashboard shows a looked-up row live: its changes arrive from the feed',
  { timeout: 60_000 },
  async () => {
    const dash = await browser.newPage();
    try {
      await dash.goto(`${url}/dashboard/`);
      await dash.locator('#b-projection option[value="table"]').waitFor({ state: 'attached' });
      await dash.selectOption('#b-mode', 'key');
      await dash.fill('#b-query', 'k7');
      await dash.click('#browse button[type=submit]');
      await dash.locator('#d-live', { hasText: /^live$/ }).waitFor({ timeout: 20_000 });
      await produce(topic, [
        { key: 'k7', value: JSON.stringify({ n: 1001 }) },
        { key: 'k8', value: JSON.stringify({ n: 1002 }) },
        { key: 'k7', value: JSON.stringify({ n: 1003 }) },
      ]);
      await dash.locator('#d-value', { hasText: '1003' }).waitFor({ timeout: 20_000 });
      assert.equal(await dash.getAttribute('#b-detail', 'data-changes'), '2', 'only k7 changes, each once');
      await dash.screenshot({ path: '.cache/screenshots/dashboard/live-row.png', fullPage: true });
    } finally {
      await dash.close();
    }
  },
);

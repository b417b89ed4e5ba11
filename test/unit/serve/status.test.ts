// `streamfold status` against a real HTTP API (over a MemoryStateSource): the table, versions when
// the instance serves /versions, the token, and an instance that does not answer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '../../../runtime/cli/status.ts';
import { MemoryStateSource } from '../../../runtime/http/memory-state-source.ts';
import { createHttpServer, type HttpServer } from '../../../runtime/http/server.ts';
import { formatStatusTable, statusRows } from '../../../runtime/serve/status-table.ts';

const TOKEN = 'status-test-token';

function capture() {
  let text = '';
  return {
    out: { write: (s: string) => (text += s) },
    text: () => text,
  };
}

describe('streamfold status', () => {
  let server: HttpServer;
  let url = '';
  const source = new MemoryStateSource({
    projections: { balances: {}, 'balances-v2': {}, audit: { kind: 'stream' } },
    partitions: 2,
  });

  before(async () => {
    for (let i = 0; i < 5; i++) source.put('balances', `a${i}`, { balance: i });
    source.put('balances-v2', 'a1', { balance: 1 });
    source.setPosition(0, 10);
    source.setPosition(1, 20);
    source.setRestoring(1, true);
    server = createHttpServer({ stateSource: source, token: TOKEN });
    server.app.get('/versions', async () => ({
      switch: 'auto',
      versions: [
        {
          projection: 'balances',
          version: 1,
          id: 'balances',
          state: 'active',
          group: 'shop',
          lag: 0,
          caughtUp: true,
        },
        {
          projection: 'balances',
          version: 2,
          id: 'balances-v2',
          state: 'building',
          group: 'shop-balances-v2',
          lag: 42,
          caughtUp: false,
        },
      ],
    }));
    url = await server.listen();
  });
  after(() => server.close());

  it('prints projection, version, status, rows, lag and restore / catch-up', async () => {
    const c = capture();
    assert.equal(await status({ config: 'none.yaml', url, httpToken: TOKEN }, false, c.out), 0);
    const lines = c.text().trimEnd().split('\n');
    assert.match(lines[0]!, /^PROJECTION +VERSION +STATUS +ROWS +LAG +RESTORE \/ CATCH-UP$/);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))!.split(/ {2,}/);
    // Partition 1 restores (MemoryStateSource reports 0 of 0 records).
    assert.deepEqual(row('balances'), [
      'balances',
      '1',
      'restoring',
      '5',
      '?',
      'restoring 0/0; active, caught up',
    ]);
    assert.deepEqual(row('balances-v2'), [
      'balances-v2',
      '2',
      'restoring',
      '1',
      '?',
      'restoring 0/0; building, 42 behind',
    ]);
    assert.deepEqual(row('audit'), ['audit', '-', 'restoring (stream)', '-', '?', 'restoring 0/0']);
    // Then every version with its consumer group, as `streamfold versions` prints it, aligned.
    assert.deepEqual(lines.slice(lines.indexOf('VERSIONS') + 1), [
      'balances  v1  active    balances     group shop              caught up',
      'balances  v2  building  balances-v2  group shop-balances-v2  42 records behind',
    ]);
  });

  it('sums lag over partitions and shows restore progress in percent', () => {
    const table = formatStatusTable(
      statusRows([
        {
          name: 'orders',
          kind: 'table',
          queryable: true,
          status: 'restoring',
          rows: 1200,
          partitions: [
            { partition: 0, position: 5, lag: 3, status: 'running' },
            {
              partition: 1,
              position: 0,
              lag: 9,
              status: 'restoring',
              restore: { restored: 250, total: 1000 },
            },
          ],
        },
        {
          name: 'idle',
          kind: 'table',
          queryable: true,
          status: 'running',
          rows: 0,
          partitions: [{ partition: 0, position: 0, lag: 0, status: 'running' }],
        },
      ]),
    );
    assert.equal(
      table,
      [
        'PROJECTION  VERSION  STATUS     ROWS  LAG  RESTORE / CATCH-UP',
        'orders      -        restoring  1200   12  restoring 250/1000 (25%)',
        'idle        -        running       0    0  done',
        '',
      ].join('\n'),
    );
  });

  it('says why when the token is missing, and when nothing answers', async () => {
    const saved = process.env.STREAMFOLD_HTTP_TOKEN;
    delete process.env.STREAMFOLD_HTTP_TOKEN;
    const errors: string[] = [];
    const original = console.error;
    console.error = (line: string) => errors.push(line);
    try {
      assert.equal(await status({ config: 'none.yaml', url }, false, capture().out), 1);
      assert.match(errors.at(-1)!, /answered 401/);
      assert.equal(await status({ config: 'none.yaml', url: 'http://127.0.0.1:9' }, false, capture().out), 1);
      assert.match(errors.at(-1)!, /no answer from http:\/\/127\.0\.0\.1:9/);
      assert.equal(await status({ config: 'none.yaml', url: 'not a url' }, false, capture().out), 2);
    } finally {
      console.error = original;
      if (saved !== undefined) process.env.STREAMFOLD_HTTP_TOKEN = saved;
    }
  });

  it('--json prints both answers', async () => {
    const c = capture();
    assert.equal(await status({ config: 'none.yaml', url, httpToken: TOKEN, json: true }, false, c.out), 0);
    const body = JSON.parse(c.text()) as { projections: unknown[]; versions: unknown[] };
    assert.equal(body.projections.length, 3);
    assert.equal(body.versions.length, 2);
  });
});

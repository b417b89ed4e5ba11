// Windows end to end on the real broker and LevelDB, under exactly-once and at-least-once: a
// windowed aggregate (emit changes and emit final) and a stream–stream left join, fed in phases
// (fixture.ts), with the pure engine run per partition as the oracle. Checks that out-of-order
// records within grace count, late ones are dropped, counted and dead-lettered as `late`; that
// retention really empties expired windows (LevelDB entries and changelog live keys shrink, the
// changelogs get tombstones); that the HTTP API lists windows; and that a deleted state directory
// is restored from the changelogs with identical stores and answers.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { names } from '../../../projections/graph/names.ts';
import { parseBinaryWindowedKey, windowRowKey } from '../../../projections/windows/keys.ts';
import { DLQ_HEADERS } from '../../../runtime/dlq/headers.ts';
import { changelogTopic } from '../../../runtime/kafka/admin/index.ts';
import { stateDirectory, TaskStores } from '../../../runtime/stores/index.ts';
import { createTopics, kafka, readToEnd, testDir } from '../helpers.ts';
import { type Instance, startInstance } from '../http/instance.ts';
import { comparableStores, plain, produceEvents, storeContents, waitCaughtUp } from '../runtime/harness.ts';
import {
  byKey,
  changelogKeys,
  keyIn,
  MINUTE,
  PARTITIONS,
  perPartitionOracle,
  phase1,
  phase2,
  phase3,
  LATE_ORDER,
  T0,
  USERS,
  windowsApp,
} from './fixture.ts';

const json = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as any };
};

for (const guarantee of ['exactly_once', 'at_least_once'] as const) {
  describe(`windows on the broker (${guarantee})`, { timeout: 240_000 }, () => {
    const a = windowsApp(guarantee);
    const app = a.definition.application;
    let inst: Instance;
    // Registered before testDir's own clean-up, so the instance stops before its directory goes.
    after(async () => {
      await inst?.stop();
    });
    const dir = testDir(`windows-${guarantee}`);
    const phases = [phase1(a), phase2(a), phase3(a)];
    const topology = compileTopology(a.definition);
    // clicks_binary's keys are bytes: checked on their own
    const outputs = topology.projections
      .filter((p) => p.name !== 'clicks_binary')
      .map((p) => [p.name, p.topic!] as const);

    /**
     * Output records per key, all of them for emit final and the join; for emit changes only the
     * last per key, since the runtime sends one update per key and commit (the oracle: per record).
     */
    const comparable = (name: string, records: Array<[string, unknown]>) => {
      const keyed = byKey(records);
      if (name !== 'clicks_per_minute') return keyed;
      return Object.fromEntries(Object.entries(keyed).map(([k, list]) => [k, list.slice(-1)]));
    };
    const outputRecords = async () => {
      const out: Record<string, Record<string, unknown[]>> = {};
      for (const [name, topic] of outputs) {
        const records = await readToEnd(topic);
        out[name] = comparable(
          name,
          records.map((r) => [r.key!, r.value === null ? null : JSON.parse(r.value)]),
        );
      }
      return out;
    };
    const expectedRecords = async (n: number) => {
      const expected = await perPartitionOracle(a.definition, phases.slice(0, n));
      return Object.fromEntries(
        outputs.map(([name]) => [name, comparable(name, expected.records.get(name) ?? [])]),
      );
    };
    /** Entries of a store in every running task (after caught up: what LevelDB holds). */
    const liveEntries = async (store: string, prefix = '') => {
      let n = 0;
      for (const task of inst.app.taskMap().values())
        for await (const _ of task.stores.store(store).scan({ prefix })) n++;
      return n;
    };
    const windowsAgg = names.aggregateStore(app, 'clicks_per_minute');
    /** Rows the query API answers for a projection (a scan: the status page caches its counts). */
    const queriedRows = async (projection: string) =>
      (await json(`${inst.url}/projections/${projection}/rows?limit=1000`)).body.rows.length as number;
    const changelogLive = async (store: string) => changelogKeys(await readToEnd(changelogTopic(store)));
    const run = async (n: number) => {
      await produceEvents(phases[n - 1]!);
      await waitCaughtUp(inst.app);
    };

    before(async () => {
      const sources = [a.topics.clicks, a.topics.orders, a.topics.payments];
      await createTopics(sources, { partitions: PARTITIONS, configs: { 'retention.ms': -1 } });
      inst = await startInstance(a.definition, dir, PARTITIONS);
    });

    it('phase 1: outputs equal the per-partition oracle; out-of-order within grace counts', async () => {
      await run(1);
      const outputsNow = await outputRecords();
      assert.deepEqual(outputsNow, await expectedRecords(1));
      // u1's minute 0: three in-order clicks and the 10 s out-of-order one of minute 0 (at 55 s)
      const u1 = JSON.stringify({ key: 'u1', window: { end: T0 + MINUTE, start: T0 } });
      assert.deepEqual(outputsNow.clicks_final![u1], [{ clicks: 4 }]);
      // the join: even orders paid, o1 (paid before it was placed) not yet padded: its window is open
      assert.deepEqual(outputsNow.paid!.o2, [{ total: 12, paid: 10 }]);
      assert.equal(outputsNow.paid!.o1, undefined);
    });

    it("phase 1: the HTTP API lists a key's windows and scans (key, window)", async () => {
      const r = await json(`${inst.url}/projections/clicks_per_minute/keys/u0`);
      assert.equal(r.status, 200);
      // retention 2 min behind the newest window (minute 4): minutes 2, 3, 4 are left
      assert.deepEqual(
        r.body.windows.map((w: any) => [(w.windowStart - T0) / MINUTE, w.value.clicks]),
        [
          [2, 4],
          [3, 4],
          [4, 3],
        ],
      );
      const narrowed = await json(
        `${inst.url}/projections/clicks_per_minute/keys/u0?from=${T0 + 3 * MINUTE}&to=${T0 + 4 * MINUTE}`,
      );
      assert.deepEqual(
        narrowed.body.windows.map((w: any) => w.windowStart),
        [T0 + 3 * MINUTE],
      );
      const bad = await json(`${inst.url}/projections/clicks_per_minute/keys/u0?from=soon`);
      assert.equal(bad.status, 400);
      const seen: string[] = [];
      for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
        const page = await json(
          `${inst.url}/projections/clicks_per_minute/rows?limit=5${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.body.rows.map((x: any) => `${x.key}@${(x.windowStart - T0) / MINUTE}`));
        cursor = page.body.next;
      }
      assert.deepEqual(
        seen,
        USERS.flatMap((u) => [2, 3, 4].map((m) => `${u}@${m}`)),
      );
      const status = await json(`${inst.url}/projections/clicks_per_minute`);
      assert.equal(status.body.window.retentionMs, 2 * MINUTE);
    });

    it('phase 2: retention empties expired windows from LevelDB and the changelogs', async () => {
      // Queries derive the windows' rows from the window stores: no rows store, no rows changelog.
      const declared = topology.subTopologies.flatMap((s) => s.stores.map((x) => x.name));
      const admin = kafka().admin();
      await admin.connect();
      const topics = new Set(await admin.listTopics());
      await admin.disconnect();
      for (const p of ['clicks_per_minute', 'clicks_final']) {
        assert.ok(!declared.includes(names.rowsStore(app, p)), p);
        assert.ok(!topics.has(changelogTopic(names.rowsStore(app, p))), p);
        assert.ok(topics.has(changelogTopic(names.aggregateStore(app, p))), p);
      }
      const before = {
        states: await liveEntries(windowsAgg, 'w\0'),
        rows: await queriedRows('clicks_per_minute'),
        changelog: await changelogLive(windowsAgg),
      };
      assert.equal(before.states, USERS.length * 3);
      assert.equal(before.rows, USERS.length * 3);
      await run(2);
      assert.deepEqual(await outputRecords(), await expectedRecords(2));
      // one window per partition is left: the clock's
      assert.equal(await liveEntries(windowsAgg, 'w\0'), PARTITIONS);
      assert.equal(await queriedRows('clicks_per_minute'), PARTITIONS);
      // emit final: the clock's window is still open, so no row at all
      assert.equal(await queriedRows('clicks_final'), 0);
      const changelog = await changelogLive(windowsAgg);
      const windowKeys = (s: Set<string>) => [...s].filter((k) => k.startsWith('w\0')).length;
      assert.equal(windowKeys(before.changelog.live), USERS.length * 3);
      assert.equal(windowKeys(changelog.live), PARTITIONS);
      // every window ever held (5 per user) got its tombstone
      assert.ok(changelog.tombstones >= USERS.length * 5, `${changelog.tombstones} tombstones`);
      const u0 = await json(`${inst.url}/projections/clicks_per_minute/keys/u0`);
      assert.deepEqual(u0.body.windows, []);
      const clock = keyIn('clock', 0);
      const c = await json(`${inst.url}/projections/clicks_per_minute/keys/${clock}`);
      assert.deepEqual(
        c.body.windows.map((w: any) => w.windowStart),
        [T0 + 60 * MINUTE],
      );
      // the join's unpaid orders are padded now that their windows closed, each once
      const paid = (await outputRecords()).paid!;
      assert.deepEqual(paid.o1, [{ total: 11, paid: null }]);
      assert.deepEqual(paid.o3, [{ total: 13, paid: null }]);
    });

    it('phase 3: late records are dropped, counted, and dead-lettered as `late` where asked', async () => {
      await run(3);
      const expected = await perPartitionOracle(a.definition, phases);
      assert.deepEqual(await outputRecords(), await expectedRecords(3));
      const lateOf = (p: string) => expected.late.filter((l) => l.projection === p).length;
      const counted = (p: string) =>
        [...inst.app.taskMap().values()].reduce((n, t) => n + (t.counters.late.get(p) ?? 0), 0);
      // four late clicks of u0 in phase 1 and one of u1 now, for both windowed projections
      assert.equal(lateOf('clicks_per_minute'), 5);
      // the join's late order, in the same metric
      assert.deepEqual(
        expected.late.filter((l) => l.projection === 'paid').map((l) => l.key),
        [LATE_ORDER],
      );
      for (const p of ['clicks_per_minute', 'clicks_final', 'paid']) assert.equal(counted(p), lateOf(p), p);
      const dlq = await readToEnd(a.topics.dlq);
      const header = (r: (typeof dlq)[number], h: string) => r.headers?.[h]?.toString();
      assert.equal(
        dlq.length,
        6,
        'clicks_final and paid dead-letter their late records, clicks_per_minute drops them',
      );
      for (const r of dlq) assert.equal(header(r, DLQ_HEADERS.kind), 'late');
      const from = (projection: string) =>
        dlq.filter((r) => header(r, DLQ_HEADERS.projection) === projection).map((r) => r.key?.toString());
      assert.equal(from('clicks_final').length, 5);
      assert.deepEqual(from('paid'), [LATE_ORDER]);
      for (const r of dlq)
        assert.equal(
          header(r, DLQ_HEADERS.sourceTopic),
          header(r, DLQ_HEADERS.projection) === 'paid' ? a.topics.orders : a.topics.clicks,
        );
      // o3's payment came after its order left the buffer: no joined row, only the padded one
      assert.deepEqual((await outputRecords()).paid!.o3, [{ total: 13, paid: null }]);
    });

    it("binary windowed keys: Kafka Streams' layout, the same rows as with JSON keys", async () => {
      const topic = topology.projections.find((p) => p.name === 'clicks_binary')!.topic!;
      const records = await readToEnd(topic);
      const decoded = records.map((r): [string, unknown] => {
        const { keyBytes, window } = parseBinaryWindowedKey(r.keyBytes!, 'tumbling', MINUTE);
        assert.equal(r.keyBytes!.length, keyBytes.length + 8);
        const key = JSON.stringify({
          key: Buffer.from(keyBytes).toString(),
          window: { end: window.end, start: window.start },
        });
        return [key, JSON.parse(r.value!)];
      });
      // minutes 0-3 closed in phase 1; minute 4 left retention (70 s) when the hour jump closed it
      assert.equal(decoded.length, USERS.length * 4);
      assert.deepEqual(byKey(decoded), (await outputRecords()).clicks_final);
    });

    const asked = [
      ...USERS.map((u) => `/projections/clicks_per_minute/keys/${u}`),
      ...[0, 1].map((p) => `/projections/clicks_per_minute/keys/${keyIn('clock', p)}`),
      '/projections/clicks_per_minute/rows?limit=1000',
      '/projections/clicks_final/rows?limit=1000',
    ];
    const answers = async () =>
      Promise.all(asked.map(async (path) => (await json(`${inst.url}${path}`)).body));

    it('a state directory written before rows were derived keeps working: its rows store is left unused', async () => {
      const before = await answers();
      await inst.stop();
      // What an earlier version left: a rows store (with its checkpoint) beside the window store,
      // here holding a row no window has.
      const oldRows = names.rowsStore(app, 'clicks_per_minute');
      for (let p = 0; p < PARTITIONS; p++) {
        const stores = await TaskStores.open({
          location: stateDirectory(dir, app, p),
          changelogOf: (s) => ({ topic: changelogTopic(s), partition: p }),
        });
        stores
          .store(oldRows)
          .put(windowRowKey('u0', { start: T0, end: T0 + MINUTE }), { v: { clicks: 99 }, t: T0 });
        const prepared = stores.prepareCommit();
        const next = new Map<string, number>();
        for (const r of prepared.records)
          next.set(`${r.topic}:${r.partition}`, (next.get(`${r.topic}:${r.partition}`) ?? 0) + 1);
        await stores.completeCommit(prepared, next);
        await stores.close();
      }
      inst = await startInstance(a.definition, dir, PARTITIONS);
      await waitCaughtUp(inst.app);
      assert.equal(inst.app.status().processed, 0, 'nothing re-read from the sources');
      assert.deepEqual(await answers(), before);
      // the old store stays on disk until a reset, unread
      assert.equal(await liveEntries(oldRows), PARTITIONS);
    });

    it('a deleted state directory is restored from the changelogs: same stores, same answers', async () => {
      const before = await answers();
      await inst.stop();
      const stored = await storeContents(a.definition, dir, PARTITIONS);
      const expected = await perPartitionOracle(a.definition, phases);
      assert.deepEqual(comparableStores(stored), comparableStores(expected.stores));
      await rm(dir, { recursive: true, force: true });
      inst = await startInstance(a.definition, dir, PARTITIONS);
      await waitCaughtUp(inst.app);
      assert.equal(inst.app.status().processed, 0, 'nothing re-read from the sources');
      assert.deepEqual(await answers(), before);
      await inst.stop();
      assert.deepEqual(plain(await storeContents(a.definition, dir, PARTITIONS)), plain(stored));
      inst = undefined as unknown as Instance;
    });
  });
}

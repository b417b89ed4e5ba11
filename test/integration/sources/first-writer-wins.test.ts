// First-writer-wins in streamfold run (docs/commands.md): two raw kafkajs producers, not streamfold,
// append conflicting versioned events for the same seats. The losers go to `<app>-rejections` with
// the reason, the expected and actual versions and their origin, and are absent from every
// projection: the tables equal the offline engine on the accepted events only. Under at-least-once
// and exactly-once; then a restart from a deleted state directory restores the versions, so a
// stale event is still rejected.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTopics, readToEnd, testDir } from '../helpers.ts';
import { oracle, outputTables, plain, type SeedEvent, startApp, waitCaughtUp } from '../runtime/harness.ts';
import { seatEvent, seatsDefinition, writer } from './seats.ts';

const dir = testDir('first-writer-wins');
const SEATS = Array.from({ length: 12 }, (_, i) => `s${i}`);
const event = seatEvent;

/** Which events win, computed here independently: an event must carry its seat's version + 1. */
function winners(events: SeedEvent[]): { accepted: SeedEvent[]; rejected: SeedEvent[] } {
  const versions = new Map<string, number>();
  const accepted: SeedEvent[] = [];
  const rejected: SeedEvent[] = [];
  for (const e of events) {
    const current = versions.get(e.key) ?? 0;
    if (e.value.seq === current + 1) {
      versions.set(e.key, current + 1);
      accepted.push(e);
    } else rejected.push(e);
  }
  return { accepted, rejected };
}

interface Rejected {
  key: string;
  value: { source: string; key: string; reason: string; expected: number; actual: unknown; origin: unknown };
}

async function rejections(app: string): Promise<Rejected[]> {
  const records = await readToEnd(`${app}-rejections`);
  return records.map((r) => ({ key: r.key!, value: JSON.parse(r.value!) as Rejected['value'] }));
}

const sameRejections = (got: Rejected[], want: SeedEvent[]) =>
  assert.deepEqual(
    got.map((r) => `${r.value.key}@${String(r.value.actual)}`).sort(),
    want.map((e) => `${e.key}@${String(e.value.seq)}`).sort(),
  );

for (const guarantee of ['at_least_once', 'exactly_once'] as const) {
  test(
    `${guarantee}: two raw producers race; the losers are rejected and in no projection; a restore keeps the versions`,
    { timeout: 180_000 },
    async () => {
      const { app, topic, definition } = seatsDefinition(
        `fww-${guarantee === 'exactly_once' ? 'eos' : 'alos'}`,
        guarantee,
      );
      await createTopics([topic], { partitions: 3, configs: { 'retention.ms': -1 } });
      const a = await writer(`${app}-writer-a`);
      const b = await writer(`${app}-writer-b`);
      const log: SeedEvent[] = [];
      const append = async (w: typeof a, events: SeedEvent[]) => {
        await w.append(events);
        log.push(...events);
      };
      try {
        // A reserves and releases every seat (versions 1 and 2).
        await append(
          a,
          SEATS.flatMap((s) => [
            event(topic, s, 'SeatReserved', 'ann', 1),
            event(topic, s, 'SeatReleased', 'ann', 2),
          ]),
        );
        // B decided on version 1 of the even seats: its version 2 was already taken.
        await append(
          b,
          SEATS.filter((_, i) => i % 2 === 0).map((s) => event(topic, s, 'SeatReserved', 'bob', 2)),
        );
        // B takes version 3 of every third seat first; A's version 3 then loses there, wins elsewhere.
        await append(
          b,
          SEATS.filter((_, i) => i % 3 === 0).map((s) => event(topic, s, 'SeatReserved', 'bob', 3)),
        );
        await append(
          a,
          SEATS.map((s) => event(topic, s, 'SeatReserved', 'ann', 3)),
        );
        // A version that skips ahead is rejected too.
        await append(b, [event(topic, 's1', 'SeatReleased', 'bob', 9)]);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
      const { accepted, rejected } = winners(log);
      assert.equal(rejected.length, 6 + 4 + 1);

      const stateDir = join(dir, app);
      let app1 = startApp(definition, stateDir);
      await app1.start();
      try {
        await waitCaughtUp(app1);
        assert.equal(app1.status().deadLetters, 0);
        // What the rejections metric counts (no rollback in this run: each rejection once).
        const sent = [...app1.taskMap().values()].map((t) => t.counters.sent.get(`${app}-rejections`) ?? 0);
        assert.equal(
          sent.reduce((a, b) => a + b, 0),
          rejected.length,
        );
      } finally {
        await app1.stop();
      }
      const expected = await oracle(definition, accepted);
      const { conflicts: _c, ...unchecked } = definition.sources.seats!;
      const naive = await oracle({ ...definition, sources: { seats: unchecked } }, log);
      assert.notDeepEqual(plain(naive.tables), plain(expected.tables), 'the losers would change the tables');
      assert.deepEqual(plain(await outputTables(definition)), plain(expected.tables));
      const got = await rejections(app);
      sameRejections(got, rejected);
      const stale = got.find((r) => r.value.key === 's0' && r.value.actual === 2)!;
      assert.equal(stale.value.expected, 3);
      assert.match(stale.value.reason, /seq 2 was already taken: the entity is at version 2/);
      assert.deepEqual(Object.keys(stale.value.origin as object).sort(), ['offset', 'partition', 'topic']);
      assert.equal((stale.value.origin as { topic: string }).topic, topic);

      // Restore: the state directory is gone, the versions come back from the changelogs.
      await rm(stateDir, { recursive: true, force: true });
      const late = await writer(`${app}-writer-late`);
      const more = [
        event(topic, 's1', 'SeatReleased', 'bob', 2),
        event(topic, 's2', 'SeatReleased', 'ann', 4),
      ];
      try {
        await late.append(more);
      } finally {
        await late.close();
      }
      log.push(...more);
      const after = winners(log);
      assert.equal(after.rejected.length, rejected.length + 1, 'the stale s1@2 loses');
      app1 = startApp(definition, stateDir);
      await app1.start();
      try {
        await waitCaughtUp(app1);
      } finally {
        await app1.stop();
      }
      assert.deepEqual(
        plain(await outputTables(definition)),
        plain((await oracle(definition, after.accepted)).tables),
      );
      sameRejections(await rejections(app), after.rejected);
    },
  );
}

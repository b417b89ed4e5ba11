// First-writer-wins over HTTP (docs/commands.md): writers that bypass streamfold learn their fate
// from the query API. Two raw kafkajs producers race for the same seats against two instances
// (requests to one are forwarded to the owner of the other's partitions); each append's fate is
// asked by its (partition, offset): the winner's is applied, the loser's rejected with the reason and
// versions; the seat's version endpoint answers the winner's version, and waits for a fresh append
// with minOffset; a malformed append is dead_lettered. Then both state directories are deleted and
// one instance restores every partition from the changelogs: the losers are still rejected (the
// malformed append still dead_lettered), the versions unchanged. Under exactly-once and
// at-least-once.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTopics, testDir, until } from '../helpers.ts';
import { type Instance, startInstance } from '../http/instance.ts';
import { type Appended, seatEvent, seatsDefinition, writer } from './seats.ts';

const PARTITIONS = 3;
const SEATS = Array.from({ length: 9 }, (_, i) => `s${i}`);
const dir = testDir('first-writer-wins-http');

async function get(url: string): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
}

/** Waits until the group is stable and every partition has one of `urls` as owner. */
async function waitOwned(instance: Instance, urls: string[]): Promise<void> {
  await until('ownership', async () => {
    const o = instance.ownership();
    const settled =
      o?.stable &&
      o.endpoints.size === PARTITIONS &&
      [...o.endpoints.values()].every((e) => e !== null && urls.includes(e));
    return settled ? true : undefined;
  });
}

const fateUrl = (base: string, a: Appended) =>
  `${base}/sources/seats/appends/${a.partition}/${a.offset}?timeoutMs=20000`;

/** The fate of an append, once its owner can answer (503 while restoring or moving). */
const fateOf = (base: string, a: Appended) =>
  until(`the fate of ${a.partition}:${a.offset}`, async () => {
    const r = await get(fateUrl(base, a));
    return r.status === 503 ? undefined : r;
  });

for (const guarantee of ['exactly_once', 'at_least_once'] as const) {
  test(
    `${guarantee}: raw writers learn over HTTP which append won, which lost and why; a restore keeps it`,
    { timeout: 240_000 },
    async () => {
      const { app, topic, definition } = seatsDefinition(
        `fww-http-${guarantee === 'exactly_once' ? 'eos' : 'alos'}`,
        guarantee,
      );
      await createTopics([topic], { partitions: PARTITIONS, configs: { 'retention.ms': -1 } });
      const ann = await writer(`${app}-writer-ann`);
      const bob = await writer(`${app}-writer-bob`);
      const dirs = [join(dir, `${app}-a`), join(dir, `${app}-b`)];
      let instances = [
        await startInstance(definition, dirs[0]!, PARTITIONS),
        await startInstance(definition, dirs[1]!, PARTITIONS),
      ];
      const urls = () => instances.map((i) => i.url);
      try {
        await waitOwned(instances[0]!, urls());
        await waitOwned(instances[1]!, urls());
        // Each instance owns some partitions, so asking one forwards to the other for the rest.
        await until('both instances own partitions', async () =>
          new Set(instances[0]!.ownership()?.endpoints.values()).size === 2 ? true : undefined,
        );
        const base = instances[0]!.url;

        // Both decided on version 0 of every seat and append version 1 at the same time.
        const race = await Promise.all(
          SEATS.map(async (s) => {
            const [a, b] = await Promise.all([
              ann.append([seatEvent(topic, s, 'SeatReserved', 'ann', 1)]),
              bob.append([seatEvent(topic, s, 'SeatReserved', 'bob', 1)]),
            ]);
            // Kafka ordered them: the first in the seat's partition wins.
            const [winner, loser] = a[0]!.offset < b[0]!.offset ? [a[0]!, b[0]!] : [b[0]!, a[0]!];
            assert.equal(winner.partition, loser.partition);
            return { seat: s, winner, loser };
          }),
        );
        assert.ok(new Set(race.map((r) => r.winner.partition)).size > 1, 'the seats span partitions');

        for (const { seat, winner, loser } of race) {
          const won = await fateOf(base, winner);
          assert.equal(won.status, 200, JSON.stringify(won.body));
          assert.deepEqual(won.body, { source: 'seats', ...winner, status: 'applied' });
          const lost = await fateOf(base, loser);
          assert.equal(lost.status, 200, JSON.stringify(lost.body));
          assert.equal(lost.body.status, 'rejected', `${seat}: ${JSON.stringify(lost.body)}`);
          assert.equal(lost.body.key, seat);
          assert.equal(lost.body.expected, 2);
          assert.equal(lost.body.actual, 1);
          assert.match(lost.body.reason, /seq 1 was already taken: the entity is at version 1/);
          // The same answer from the other instance (one of the two is forwarded).
          assert.deepEqual((await fateOf(instances[1]!.url, loser)).body, lost.body);

          const v = await get(
            `${base}/sources/seats/versions/${seat}?minOffset=${winner.partition}:${winner.offset}`,
          );
          assert.equal(v.status, 200, JSON.stringify(v.body));
          assert.equal(v.body.version, 1);
          assert.equal(v.body.partition, winner.partition);
        }

        // Read your write: the next version, asked at once with the append's position.
        const [next] = await ann.append([seatEvent(topic, 's0', 'SeatReleased', 'ann', 2)]);
        for (const i of instances) {
          const v = await get(
            `${i.url}/sources/seats/versions/s0?minOffset=${next!.partition}:${next!.offset}`,
          );
          assert.equal(v.status, 200, JSON.stringify(v.body));
          assert.equal(v.body.version, 2);
          assert.ok(v.body.position > next!.offset);
        }
        // An append not read yet: 202 pending with Retry-After.
        const ahead = { partition: next!.partition, offset: next!.offset + 1000 };
        const pending = await get(
          `${base}/sources/seats/appends/${ahead.partition}/${ahead.offset}?timeoutMs=0`,
        );
        assert.equal(pending.status, 202, JSON.stringify(pending.body));
        assert.equal(pending.body.status, 'pending');
        assert.equal(pending.retryAfter, '1');
        // A malformed append never reaches the check: dead_lettered, not applied.
        const garbled = await bob.appendRaw(topic, 's3', '{not json');
        const dead = await fateOf(base, garbled);
        assert.equal(dead.status, 200, JSON.stringify(dead.body));
        assert.equal(dead.body.status, 'dead_lettered');
        assert.equal(dead.body.kind, 'value-not-json');
        const noPartition = await get(`${base}/sources/seats/appends/${PARTITIONS}/0`);
        assert.equal(noPartition.status, 400);
        assert.match(noPartition.body.reason, /no such partition/);

        // Restore: both state directories are gone; one instance rebuilds every partition.
        for (const i of instances) await i.stop();
        instances = [];
        for (const d of dirs) await rm(d, { recursive: true, force: true });
        instances = [await startInstance(definition, dirs[0]!, PARTITIONS)];
        await waitOwned(instances[0]!, urls());
        for (const { seat, winner, loser } of race) {
          const lost = await fateOf(instances[0]!.url, loser);
          assert.equal(
            lost.body.status,
            'rejected',
            `${seat} after the restore: ${JSON.stringify(lost.body)}`,
          );
          assert.match(lost.body.reason, /already taken/);
          assert.equal((await fateOf(instances[0]!.url, winner)).body.status, 'applied');
          const v = await get(`${instances[0]!.url}/sources/seats/versions/${seat}`);
          assert.equal(v.body.version, seat === 's0' ? 2 : 1);
        }
        const deadAfter = await fateOf(instances[0]!.url, garbled);
        assert.equal(deadAfter.body.status, 'dead_lettered', JSON.stringify(deadAfter.body));
      } finally {
        await Promise.all([ann.close(), bob.close()]);
        for (const i of instances) await i.stop();
      }
    },
  );
}

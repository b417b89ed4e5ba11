// The kafkajs coordinator patch: a transactional producer's coordinator lookups are kept per client for
// COORDINATOR_TTL_MS, consumers' and admins' group lookups are not, and a failed lookup is not kept.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import {
  COORDINATOR_TTL_MS,
  cachingTransactionCoordinators,
  coordinatorPatched,
} from '../../../runtime/kafka/patches/coordinator/index.ts';

const require = createRequire(import.meta.url);
const Cluster = require('kafkajs/src/cluster/index.js');

// Fails when a kafkajs upgrade changes how transaction coordinators are found: then re-check
// whether the patch is still needed and still right.
test('the patch recognises kafkajs 2.2.4 and is in effect', () => {
  assert.equal(coordinatorPatched, true);
  assert.equal(Cluster.prototype.findGroupCoordinatorMetadata.cached, true);
});

/** A lookup that counts its calls and answers `nodeId`. */
function counting() {
  const calls: Array<{ groupId: string; coordinatorType?: number }> = [];
  const lookup = cachingTransactionCoordinators(async (query) => {
    calls.push(query);
    return { coordinator: { nodeId: calls.length } };
  });
  return { calls, lookup };
}

test('a transaction coordinator is looked up once per cluster within the TTL, and again after', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const { calls, lookup } = counting();
  const cluster = {};
  const first = await lookup.call(cluster, { groupId: 'app-0', coordinatorType: 1 });
  assert.deepEqual(await lookup.call(cluster, { groupId: 'app-0', coordinatorType: 1 }), first);
  assert.equal(calls.length, 1);
  await lookup.call(cluster, { groupId: 'app-1', coordinatorType: 1 }); // another transactional id
  await lookup.call({}, { groupId: 'app-0', coordinatorType: 1 }); // another client
  assert.equal(calls.length, 3);
  t.mock.timers.tick(COORDINATOR_TTL_MS);
  await lookup.call(cluster, { groupId: 'app-0', coordinatorType: 1 });
  assert.equal(calls.length, 4);
});

test('group coordinators are looked up every time in a consumer or admin, as in kafkajs', async () => {
  const { calls, lookup } = counting();
  const cluster = {};
  await lookup.call(cluster, { groupId: 'app', coordinatorType: 0 });
  await lookup.call(cluster, { groupId: 'app' });
  assert.equal(calls.length, 2);
});

test("a transactional producer's group coordinator (its TxnOffsetCommit) is kept too", async () => {
  const { calls, lookup } = counting();
  const producer = {};
  await lookup.call(producer, { groupId: 'app-0', coordinatorType: 1 });
  const group = await lookup.call(producer, { groupId: 'app', coordinatorType: 0 });
  assert.deepEqual(await lookup.call(producer, { groupId: 'app', coordinatorType: 0 }), group);
  // the same name as a transactional id and as a group: two lookups
  await lookup.call(producer, { groupId: 'app-0', coordinatorType: 0 });
  assert.equal(calls.length, 3);
});

test('a failed lookup is not kept', async () => {
  let n = 0;
  const lookup = cachingTransactionCoordinators(async () => {
    if (n++ === 0) throw new Error('not available');
    return { coordinator: { nodeId: 1 } };
  });
  const cluster = {};
  await assert.rejects(lookup.call(cluster, { groupId: 'app-0', coordinatorType: 1 }));
  assert.deepEqual(await lookup.call(cluster, { groupId: 'app-0', coordinatorType: 1 }), {
    coordinator: { nodeId: 1 },
  });
});

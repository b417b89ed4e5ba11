// startQueryApi as `streamfold run` mounts it: two instances each serve their own task's keys, answer 503
// (not 404) for the other's until the group's ownership is read, then forward to the owner.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AssignerProtocol, type GroupDescription } from 'kafkajs';
import type { Topology } from '../../../projections/graph/topology.ts';
import { MemoryStore } from '../../../projections/store.ts';
import { startQueryApi } from '../../../runtime/http/mount.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';
import type { RuntimeTask } from '../../../runtime/http/runtime-state-source.ts';
import { encodeUserData } from '../../../runtime/kafka/group/assignor.ts';

const topology = {
  application: 'shop',
  sources: [{ name: 'accounts', topic: 'account-events', kind: 'stream' }],
  projections: [
    { name: 'balances', kind: 'table', from: 'accounts', topic: 'shop-balances', internalTopic: false },
  ],
  subTopologies: [],
  exchanges: [],
} as unknown as Topology;

function tasksFor(partitions: number[], keys: string[]): Map<number, RuntimeTask> {
  const tasks = new Map<number, RuntimeTask>();
  for (const p of partitions) {
    const rows = new MemoryStore();
    for (const k of keys) if (partitionOfKey(k, 2) === p) rows.put(k, { v: { k } });
    tasks.set(p, {
      state: 'running',
      positions: new Map([['account-events', 1]]),
      stores: { store: () => rows as never, countRows: async () => rows.size },
    });
  }
  return tasks;
}

function group(endpoints: [string, number[]][]): GroupDescription {
  return {
    groupId: 'shop',
    protocol: 'StreamfoldTaskAssignor',
    protocolType: 'consumer',
    state: 'Stable',
    members: endpoints.map(([endpoint, partitions], i) => ({
      memberId: `m${i}`,
      clientId: `m${i}`,
      clientHost: '/127.0.0.1',
      memberMetadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics: ['account-events'],
        userData: encodeUserData({ endpoint, tasks: partitions }),
      }),
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: { 'account-events': partitions },
        userData: Buffer.alloc(0),
      }),
    })),
  };
}

describe('startQueryApi', () => {
  it('serves its tasks, and forwards to the other member once the group is read', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `acct-${i}`);
    let described: GroupDescription | undefined;
    const served = {
      topology,
      partitions: 2,
      describeGroup: async () => described,
      rowsStoreOf: () => 'shop-balances-rows',
    };
    const common = { settings: { host: '127.0.0.1', port: 0 }, ownershipPollMs: 60_000 };
    const a = await startQueryApi({ ...common, groups: [{ ...served, tasks: () => tasksFor([0], keys) }] });
    const b = await startQueryApi({ ...common, groups: [{ ...served, tasks: () => tasksFor([1], keys) }] });
    try {
      assert.match(a.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      const inB = keys.find((k) => partitionOfKey(k, 2) === 1)!;
      const inA = keys.find((k) => partitionOfKey(k, 2) === 0)!;
      assert.equal((await fetch(`${a.endpoint}/projections/balances/keys/${inA}`)).status, 200);
      // Ownership not read yet: the other member's keys are unavailable, not missing.
      assert.equal((await fetch(`${a.endpoint}/projections/balances/keys/${inB}`)).status, 503);
      described = group([
        [a.endpoint, [0]],
        [b.endpoint, [1]],
      ]);
      await a.refreshOwnership();
      const r = await fetch(`${a.endpoint}/projections/balances/keys/${inB}`);
      assert.equal(r.status, 200);
      assert.deepEqual(((await r.json()) as { value: unknown }).value, { k: inB });
    } finally {
      await a.close();
      await b.close();
    }
  });
});

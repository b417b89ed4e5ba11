// Partition ownership from a consumer group description: each assigned partition maps to its member's
// advertised endpoint; a rebalancing group is not stable, and members without metadata are tolerated.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AssignerProtocol, type GroupDescription } from 'kafkajs';
import { ownershipFromGroup } from '../../../runtime/http/ownership.ts';
import { encodeUserData } from '../../../runtime/kafka/group/assignor.ts';

function member(id: string, endpoint: string | null, assignment: Record<string, number[]>) {
  return {
    memberId: id,
    clientId: id,
    clientHost: '/127.0.0.1',
    memberMetadata: AssignerProtocol.MemberMetadata.encode({
      version: 1,
      topics: Object.keys(assignment),
      userData: encodeUserData({ endpoint, tasks: [] }),
    }),
    memberAssignment: AssignerProtocol.MemberAssignment.encode({
      version: 1,
      assignment,
      userData: Buffer.alloc(0),
    }),
  };
}

describe('partition ownership from the consumer group', () => {
  it('maps each assigned partition to its member’s advertised endpoint', () => {
    const group: GroupDescription = {
      groupId: 'shop',
      protocol: 'StreamfoldTaskAssignor',
      protocolType: 'consumer',
      state: 'Stable',
      members: [
        member('a', 'http://127.0.0.1:8081', { events: [0, 2], customers: [0, 2] }),
        member('b', 'http://127.0.0.1:8082', { events: [1, 3], customers: [1] }),
        member('c', null, { events: [4] }),
      ],
    };
    const o = ownershipFromGroup(group);
    assert.equal(o.stable, true);
    assert.deepEqual(
      [...o.endpoints].sort(([x], [y]) => x - y),
      [
        [0, 'http://127.0.0.1:8081'],
        [1, 'http://127.0.0.1:8082'],
        [2, 'http://127.0.0.1:8081'],
        [3, 'http://127.0.0.1:8082'],
        [4, null],
      ],
    );
  });

  it('is not stable during a rebalance, and tolerates members without metadata', () => {
    const o = ownershipFromGroup({
      groupId: 'shop',
      protocol: '',
      protocolType: 'consumer',
      state: 'PreparingRebalance',
      members: [
        {
          memberId: 'x',
          clientId: 'x',
          clientHost: 'h',
          memberMetadata: Buffer.alloc(0),
          memberAssignment: Buffer.alloc(0),
        },
      ],
    });
    assert.equal(o.stable, false);
    assert.equal(o.endpoints.size, 0);
  });
});

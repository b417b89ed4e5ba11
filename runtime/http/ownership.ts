// Who owns which partition, from the consumer group: every member advertises its HTTP endpoint in
// its subscription user data (runtime/kafka/group/assignor.ts), and its assignment lists its
// partitions (task p = partition p of every input). The runtime refreshes this after each
// rebalance with consumer.describeGroup() and feeds it to its StateSource's endpointOf().
import { AssignerProtocol, type GroupDescription } from 'kafkajs';
import { decodeUserData } from '../kafka/group/assignor.ts';

export interface GroupOwnership {
  /** False while the group rebalances: the map may be stale and queries should get 503. */
  stable: boolean;
  /** Partition (task) → base URL of its owner's HTTP API (null: the owner serves none). */
  endpoints: Map<number, string | null>;
}

export function ownershipFromGroup(group: GroupDescription): GroupOwnership {
  const endpoints = new Map<number, string | null>();
  for (const member of group.members) {
    const meta = member.memberMetadata?.length
      ? AssignerProtocol.MemberMetadata.decode(member.memberMetadata)
      : null;
    const { endpoint } = decodeUserData(meta?.userData);
    const assignment = member.memberAssignment?.length
      ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment)
      : null;
    for (const partitions of Object.values(assignment?.assignment ?? {}))
      for (const p of partitions) endpoints.set(p, endpoint);
  }
  return { stable: group.state === 'Stable', endpoints };
}

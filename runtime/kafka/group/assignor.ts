// A kafkajs partition assigner that assigns whole tasks (see task-assignment.ts) and carries each
// member's HTTP endpoint and owned tasks in the subscription user data, like Kafka Streams'
// `application.server`. Any instance can then learn who owns which task with describeGroup().
import { AssignerProtocol, type Cluster, type PartitionAssigner } from 'kafkajs';
import { assignTasks, partitionsOfTasks } from './task-assignment.ts';

export const ASSIGNOR_NAME = 'StreamfoldTaskAssignor';
const VERSION = 1;

export interface MemberUserData {
  /** Base URL of the member's HTTP API, or null when it serves none. */
  endpoint: string | null;
  /** Tasks the member currently owns (for stickiness). */
  tasks: number[];
}

export function encodeUserData(data: MemberUserData): Buffer {
  return Buffer.from(JSON.stringify(data));
}

export function decodeUserData(buf: Buffer | null | undefined): MemberUserData {
  if (!buf || buf.length === 0) return { endpoint: null, tasks: [] };
  try {
    const parsed = JSON.parse(buf.toString('utf8')) as Partial<MemberUserData>;
    return {
      endpoint: typeof parsed.endpoint === 'string' ? parsed.endpoint : null,
      tasks: Array.isArray(parsed.tasks) ? parsed.tasks.filter((t) => Number.isInteger(t)) : [],
    };
  } catch {
    return { endpoint: null, tasks: [] };
  }
}

/** `local()` is read at every join, so the member always advertises its current tasks. */
export function taskAssignor(local: () => MemberUserData): PartitionAssigner {
  return ({ cluster }: { cluster: Cluster }) => ({
    name: ASSIGNOR_NAME,
    version: VERSION,
    async assign({ members, topics }) {
      const counts = new Map<string, number>();
      for (const topic of topics) counts.set(topic, cluster.findTopicPartitionMetadata(topic).length);
      const taskCount = Math.max(0, ...counts.values());
      const infos = members.map((m) => {
        const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
        return { memberId: m.memberId, previousTasks: decodeUserData(meta?.userData).tasks };
      });
      const plan = assignTasks(infos, taskCount);
      return [...plan].map(([memberId, tasks]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: VERSION,
          assignment: partitionsOfTasks(tasks, counts),
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: ASSIGNOR_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: VERSION,
          topics,
          userData: encodeUserData(local()),
        }),
      };
    },
  });
}

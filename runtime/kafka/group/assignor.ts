// A kafkajs partition assigner that assigns whole tasks (see task-assignment.ts) and carries each
// member's HTTP endpoint, owned tasks and standby lag in the subscription user data, like Kafka
// Streams' `application.server`. Any instance can then learn who owns which task with
// describeGroup(). The leader also places warm-ups and, with standby replicas, standbys
// (standby-assignment.ts) and sends each member its own in the assignment's user data
// (assignment-user-data.ts), with, for the workers of one `--workers` supervisor, how many of them
// are in this generation (a cold start waits for all: runtime/app/group-membership.ts).
import { AssignerProtocol, type Cluster, type PartitionAssigner } from 'kafkajs';
import { encodeAssignmentExtras } from './assignment-user-data.ts';
import { assignWithStandbys } from './standby-assignment.ts';
import { partitionsOfTasks } from './task-assignment.ts';

export const ASSIGNOR_NAME = 'StreamfoldTaskAssignor';
const VERSION = 1;

export interface MemberUserData {
  /** Base URL of the member's HTTP API, or null when it serves none. */
  endpoint: string | null;
  /** Tasks the member currently owns (for stickiness). */
  tasks: number[];
  /** Changelog records behind the end, per task of which it keeps a standby copy. */
  standbyLag?: Record<string, number>;
  /** Bumped by a member that asks for a probing rebalance, so that its re-join changes its subscription. */
  probe?: number;
  /** The offset sum of each task it runs (a copy elsewhere this close to it may take the task over). */
  taskOffsets?: Record<string, number>;
  /** Tasks it does not run but keeps a database of → its offset sum: who gets a task nobody runs. */
  localState?: Record<string, number>;
  /** Shared by the workers of one `streamfold run --workers N` (absent otherwise). */
  workerSet?: string;
}

export interface StandbySettings {
  standbyReplicas: number;
  acceptableLag: number;
  /** processing.maxWarmupReplicas (absent: no limit). */
  maxWarmups?: number;
}

const asMap = (byTask: Record<string, number>) =>
  new Map(Object.entries(byTask).map(([t, n]) => [Number(t), n]));

export function encodeUserData(data: MemberUserData): Buffer {
  return Buffer.from(JSON.stringify(data));
}

export function decodeUserData(buf: Buffer | null | undefined): Required<MemberUserData> {
  const none = {
    endpoint: null,
    tasks: [],
    standbyLag: {},
    probe: 0,
    taskOffsets: {},
    localState: {},
    workerSet: '',
  };
  if (!buf || buf.length === 0) return none;
  try {
    const parsed = JSON.parse(buf.toString('utf8')) as Partial<MemberUserData>;
    const byTask = (v: Record<string, number> | undefined) => {
      const out: Record<string, number> = {};
      for (const [task, n] of Object.entries(v ?? {}))
        if (/^\d+$/.test(task) && Number.isFinite(n) && n >= 0) out[task] = n;
      return out;
    };
    return {
      endpoint: typeof parsed.endpoint === 'string' ? parsed.endpoint : null,
      tasks: Array.isArray(parsed.tasks) ? parsed.tasks.filter((t) => Number.isInteger(t)) : [],
      standbyLag: byTask(parsed.standbyLag),
      probe: typeof parsed.probe === 'number' ? parsed.probe : 0,
      taskOffsets: byTask(parsed.taskOffsets),
      localState: byTask(parsed.localState),
      workerSet: typeof parsed.workerSet === 'string' ? parsed.workerSet : '',
    };
  } catch {
    return none;
  }
}

/** `local()` is read at every join, so the member always advertises its current tasks and lag. */
export function taskAssignor(
  local: () => MemberUserData,
  standbys: StandbySettings = { standbyReplicas: 0, acceptableLag: 0 },
): PartitionAssigner {
  return ({ cluster }: { cluster: Cluster }) => ({
    name: ASSIGNOR_NAME,
    version: VERSION,
    async assign({ members, topics }) {
      const counts = new Map<string, number>();
      for (const topic of topics) counts.set(topic, cluster.findTopicPartitionMetadata(topic).length);
      const taskCount = Math.max(0, ...counts.values());
      const workerSets = new Map<string, string>();
      const infos = members.map((m) => {
        const meta = decodeUserData(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData);
        if (meta.workerSet) workerSets.set(m.memberId, meta.workerSet);
        return {
          memberId: m.memberId,
          previousTasks: meta.tasks,
          runningOffsets: asMap(meta.taskOffsets),
          localState: asMap(meta.localState),
          standbyLag: asMap(meta.standbyLag),
        };
      });
      const workersInSet = (memberId: string): number | undefined => {
        const set = workerSets.get(memberId);
        return set === undefined ? undefined : [...workerSets.values()].filter((s) => s === set).length;
      };
      // Warm-ups with or without standbys, as Kafka Streams' high-availability assignor does.
      const plan = assignWithStandbys(infos, taskCount, standbys);
      return [...plan].map(([memberId, p]) => {
        const workers = workersInSet(memberId);
        const extras = p.standby.length > 0 || workers !== undefined;
        return {
          memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: VERSION,
            assignment: partitionsOfTasks(p.active, counts),
            userData: extras ? encodeAssignmentExtras(memberId, { ...p, workers }) : Buffer.alloc(0),
          }),
        };
      });
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

// What the leader tells a member beyond its partitions travels in the user data of the member's
// assignment: its standbys and warm-ups, and, for a `--workers` worker, how many workers of its
// supervisor are in this generation. kafkajs decodes that assignment at SyncGroup but drops its
// user data before the GROUP_JOIN event, so this module wraps kafkajs' MemberAssignment decoder
// (the same object kafkajs' consumer group calls) and keeps the last extras seen per member id.
// The user data names its member, so several consumers in one process never mix them up.
import { AssignerProtocol } from 'kafkajs';
import type { MemberPlan } from './standby-assignment.ts';

export type StandbyAssignment = Pick<MemberPlan, 'standby' | 'warmup'>;

export interface AssignmentExtras extends StandbyAssignment {
  /** Workers of this member's supervisor in the generation (undefined: not a worker, or an older leader). */
  workers?: number;
}

const MARK = 'streamfold-standbys';
const latest = new Map<string, AssignmentExtras>();

export function encodeAssignmentExtras(memberId: string, extras: AssignmentExtras): Buffer {
  const { standby, warmup, workers } = extras;
  return Buffer.from(JSON.stringify({ [MARK]: 1, member: memberId, standby, warmup, workers }));
}

export function decodeAssignmentExtras(
  buf: Buffer | null | undefined,
): (AssignmentExtras & { member: string }) | undefined {
  if (!buf || buf.length === 0 || buf[0] !== 0x7b) return undefined;
  try {
    const parsed = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
    if (parsed[MARK] !== 1 || typeof parsed.member !== 'string') return undefined;
    const tasks = (v: unknown) => (Array.isArray(v) ? v.filter((t) => Number.isInteger(t)) : []);
    const workers = Number.isInteger(parsed.workers) ? (parsed.workers as number) : undefined;
    return {
      member: parsed.member,
      standby: tasks(parsed.standby),
      warmup: tasks(parsed.warmup),
      ...(workers === undefined ? {} : { workers }),
    };
  } catch {
    return undefined;
  }
}

/**
 * The extras of the member's assignment decoded last (no standbys when the leader sent none), read
 * once: a later join without extras must not find this generation's.
 */
export function takeAssignmentExtras(memberId: string): AssignmentExtras {
  const found = latest.get(memberId) ?? { standby: [], warmup: [] };
  latest.delete(memberId);
  return found;
}

type Decode = (buf: Buffer) => { userData: Buffer } | null;
const codec = AssignerProtocol.MemberAssignment as unknown as { decode: Decode; __streamfold?: true };
if (!codec.__streamfold) {
  const decode = codec.decode.bind(codec);
  codec.decode = (buf) => {
    const decoded = decode(buf);
    const found = decodeAssignmentExtras(decoded?.userData);
    if (found) {
      const { member, ...extras } = found;
      latest.set(member, extras);
    }
    return decoded;
  };
  codec.__streamfold = true;
}

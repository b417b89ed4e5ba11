// The standbys and warm-ups the leader assigned to a member travel in the user data of the
// member's assignment. kafkajs decodes that assignment at SyncGroup but drops its user data before
// the GROUP_JOIN event, so this module wraps kafkajs' MemberAssignment decoder (the same object
// kafkajs' consumer group calls) and keeps the last standby assignment seen per member id. The
// user data names its member, so several consumers in one process never mix them up.
import { AssignerProtocol } from 'kafkajs';
import type { MemberPlan } from './standby-assignment.ts';

export type StandbyAssignment = Pick<MemberPlan, 'standby' | 'warmup'>;

const MARK = 'streamfold-standbys';
const latest = new Map<string, StandbyAssignment>();

export function encodeStandbyAssignment(memberId: string, plan: StandbyAssignment): Buffer {
  return Buffer.from(
    JSON.stringify({ [MARK]: 1, member: memberId, standby: plan.standby, warmup: plan.warmup }),
  );
}

export function decodeStandbyAssignment(
  buf: Buffer | null | undefined,
): (StandbyAssignment & { member: string }) | undefined {
  if (!buf || buf.length === 0 || buf[0] !== 0x7b) return undefined;
  try {
    const parsed = JSON.parse(buf.toString('utf8')) as Record<string, unknown>;
    if (parsed[MARK] !== 1 || typeof parsed.member !== 'string') return undefined;
    const tasks = (v: unknown) => (Array.isArray(v) ? v.filter((t) => Number.isInteger(t)) : []);
    return { member: parsed.member, standby: tasks(parsed.standby), warmup: tasks(parsed.warmup) };
  } catch {
    return undefined;
  }
}

/**
 * The standbys of the member's assignment decoded last (none when the leader assigned none), read
 * once: a later join without standbys must not find this generation's.
 */
export function takeStandbyAssignment(memberId: string): StandbyAssignment {
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
    const found = decodeStandbyAssignment(decoded?.userData);
    if (found) latest.set(found.member, { standby: found.standby, warmup: found.warmup });
    return decoded;
  };
  codec.__streamfold = true;
}

// Standby and warm-up placement on top of the balanced active assignment (task-assignment.ts), as
// Kafka Streams' high-availability assignor does:
//
// - An active task moves to its balanced target only when the target's copy is caught up (it owned
//   the task, or its standby, or a database it keeps on disk, is at most `acceptableLag` changelog
//   records behind: a closed database by its offset sum against the live owner's). Otherwise the
//   task stays with a warm holder — its live previous owner, else the member whose standby is the
//   least behind — and the target gets a warm-up standby; once that is caught up, the target asks
//   for a new rebalance (a probing rebalance) and the task moves then. At most `maxWarmups` warm-ups
//   at once in the group (Kafka Streams' `max.warmup.replicas`): a task beyond them stays where it
//   is, with no warm-up, until a later probe finds room.
// - Each task gets `standbyReplicas` standbys (0: warm-ups only, as Kafka Streams also warms up
//   without standbys) on members other than its active owner, preferring
//   members below their even share of standbys, then those whose copy is the least behind, then the
//   least loaded. A warm-up counts as one of them.
//
// Pure and deterministic: the leader runs it on the members' subscriptions.
import { assignTasks, type MemberInfo } from './task-assignment.ts';

export interface StandbyMemberInfo extends MemberInfo {
  /** Changelog records its standby copies are behind, per task (absent: no copy at all). */
  standbyLag: ReadonlyMap<number, number>;
}

export interface StandbyPlanOptions {
  standbyReplicas: number;
  /** A standby at most this many records behind counts as caught up (Kafka Streams: 10 000). */
  acceptableLag: number;
  /** Warm-ups assigned at once in the whole group (absent: no limit). */
  maxWarmups?: number;
}

export interface MemberPlan {
  active: number[];
  /** Every standby copy the member keeps, warm-ups included. */
  standby: number[];
  /** Standbys kept so that the task can move here once they are caught up. */
  warmup: number[];
}

export function assignWithStandbys(
  members: StandbyMemberInfo[],
  taskCount: number,
  options: StandbyPlanOptions,
): Map<string, MemberPlan> {
  const balanced = assignTasks(members, taskCount);
  const byId = new Map(members.map((m) => [m.memberId, m]));
  const plans = new Map<string, MemberPlan>(
    [...balanced.keys()].map((id) => [id, { active: [], standby: [], warmup: [] }]),
  );
  const activeOwner = new Map<number, string>();
  // A task's live owner's offset sum: a closed copy elsewhere is that far behind it.
  const liveSum = new Map<number, number>();
  for (const m of members)
    for (const [task, sum] of m.runningOffsets ?? [])
      if (m.previousTasks.includes(task)) liveSum.set(task, sum);
  const lagOf = (memberId: string, task: number): number | undefined => {
    const m = byId.get(memberId)!;
    if (m.previousTasks.includes(task)) return 0;
    const standby = m.standbyLag.get(task);
    if (standby !== undefined) return standby;
    const local = m.localState?.get(task);
    const live = liveSum.get(task);
    return local !== undefined && live !== undefined ? Math.max(0, live - local) : undefined;
  };

  let warmupsLeft = options.maxWarmups ?? Infinity;
  for (const [target, tasks] of balanced) {
    for (const task of tasks) {
      const targetLag = lagOf(target, task);
      const holder =
        targetLag !== undefined && targetLag <= options.acceptableLag ? target : warmHolder(task, target);
      plans.get(holder)!.active.push(task);
      activeOwner.set(task, holder);
      if (holder !== target && warmupsLeft > 0) {
        plans.get(target)!.warmup.push(task);
        warmupsLeft--;
      }
    }
  }

  /** The live previous owner, else the least-behind standby (ties: member order), else the target. */
  function warmHolder(task: number, target: string): string {
    const previous = members.find((m) => m.previousTasks.includes(task));
    if (previous) return previous.memberId;
    let best: { id: string; lag: number } | undefined;
    for (const id of balanced.keys()) {
      const lag = byId.get(id)!.standbyLag.get(task);
      if (lag !== undefined && (best === undefined || lag < best.lag)) best = { id, lag };
    }
    const targetLag = lagOf(target, task);
    return best && (targetLag === undefined || best.lag < targetLag) ? best.id : target;
  }

  for (const plan of plans.values()) plan.standby.push(...plan.warmup);
  const ids = [...plans.keys()];
  // The even share of standbys per member: beyond it a member's existing copy no longer wins.
  const share = Math.ceil((taskCount * options.standbyReplicas) / Math.max(1, ids.length));
  for (let task = 0; task < taskCount; task++) {
    const copies = ids.filter((id) => plans.get(id)!.warmup.includes(task)).length;
    const candidates = ids
      .filter((id) => id !== activeOwner.get(task) && !plans.get(id)!.standby.includes(task))
      .sort((a: string, b: string) => {
        const fullA = plans.get(a)!.standby.length >= share;
        const fullB = plans.get(b)!.standby.length >= share;
        if (fullA !== fullB) return fullA ? 1 : -1;
        const la = byId.get(a)!.standbyLag.get(task) ?? Infinity;
        const lb = byId.get(b)!.standbyLag.get(task) ?? Infinity;
        if (la !== lb) return la < lb ? -1 : 1;
        return plans.get(a)!.standby.length - plans.get(b)!.standby.length;
      });
    for (const id of candidates.slice(0, Math.max(0, options.standbyReplicas - copies)))
      plans.get(id)!.standby.push(task);
  }
  for (const plan of plans.values())
    for (const list of [plan.active, plan.standby, plan.warmup]) list.sort((a, b) => a - b);
  return plans;
}

// Task assignment, as in Kafka Streams: task p owns partition p of every input topic, so joined
// and co-partitioned inputs meet in one task. Tasks are spread evenly over members and stay with
// their previous owner when balance allows, so a rebalance moves (and restores) as little as possible.
// A task nobody runs goes, balance allowing, to the member whose database of it on disk is the
// furthest along (a restart: that member restores only the changelog's tail past its checkpoint).
// A member with more tasks than its share keeps those no other member has a copy of, and gives up
// first those whose copy elsewhere is the closest to its own (a member back after a restart gets
// its own tasks back, the ones it ran until it stopped, not older copies it keeps of others).

export interface MemberInfo {
  memberId: string;
  /** Tasks the member owned before this rebalance (from its subscription user data). */
  previousTasks: number[];
  /** The offset sum of the checkpoints of each task it runs. */
  runningOffsets?: ReadonlyMap<number, number>;
  /** Tasks it does not run but keeps a database of → the offset sum of its checkpoints. */
  localState?: ReadonlyMap<number, number>;
}

/** Returns memberId → task ids. Deterministic for the same input. */
export function assignTasks(members: MemberInfo[], taskCount: number): Map<string, number[]> {
  const sorted = [...members].sort((a, b) =>
    a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0,
  );
  const result = new Map<string, number[]>(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return result;
  const base = Math.floor(taskCount / sorted.length);
  let extra = taskCount % sorted.length;
  const capacity = new Map<string, number>();
  for (const m of sorted) capacity.set(m.memberId, base + (extra-- > 0 ? 1 : 0));

  const owner = new Map<number, string>();
  const full = (m: MemberInfo) => result.get(m.memberId)!.length >= capacity.get(m.memberId)!;
  const claim = (t: number, m: MemberInfo) => {
    owner.set(t, m.memberId);
    result.get(m.memberId)!.push(t);
  };
  /** How far a copy on another member is behind the member's own (Infinity: none elsewhere). */
  const behindElsewhere = (t: number, m: MemberInfo) => {
    let best: number | undefined;
    for (const o of sorted) {
      const sum = o === m ? undefined : o.localState?.get(t);
      if (sum !== undefined && (best === undefined || sum > best)) best = sum;
    }
    if (best === undefined) return Infinity;
    const own = m.runningOffsets?.get(t);
    return own === undefined ? 0 : Math.max(0, own - best);
  };
  // Sticky pass: keep previous tasks up to capacity (first claimant wins a task claimed twice),
  // those with no copy elsewhere first, then those whose copies elsewhere are the furthest behind.
  for (const m of sorted) {
    const previous = [...m.previousTasks]
      .map((t) => ({ t, behind: behindElsewhere(t, m) }))
      .sort((a, b) => (a.behind === b.behind ? a.t - b.t : b.behind > a.behind ? 1 : -1))
      .map(({ t }) => t);
    for (const t of previous) {
      if (t < 0 || t >= taskCount || owner.has(t)) continue;
      if (full(m)) break;
      claim(t, m);
    }
  }
  // Local pass: a task still free goes to the member with room whose copy is the furthest along.
  for (let t = 0; t < taskCount; t++) {
    if (owner.has(t)) continue;
    let best: { m: MemberInfo; offsets: number } | undefined;
    for (const m of sorted) {
      const offsets = m.localState?.get(t);
      if (offsets === undefined || full(m)) continue;
      if (!best || offsets > best.offsets) best = { m, offsets };
    }
    if (best) claim(t, best.m);
  }
  // Fill pass: remaining tasks to members with room, in member order.
  let i = 0;
  for (let t = 0; t < taskCount; t++) {
    if (owner.has(t)) continue;
    for (let tries = 0; tries < sorted.length; tries++, i++) {
      const m = sorted[i % sorted.length]!;
      if (result.get(m.memberId)!.length < capacity.get(m.memberId)!) {
        result.get(m.memberId)!.push(t);
        owner.set(t, m.memberId);
        i++;
        break;
      }
    }
  }
  for (const tasks of result.values()) tasks.sort((a, b) => a - b);
  return result;
}

/** Expands tasks into the topic partitions they own (a topic with fewer partitions simply lacks the higher tasks). */
export function partitionsOfTasks(
  tasks: number[],
  partitionCounts: Map<string, number>,
): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [topic, count] of partitionCounts) {
    const ps = tasks.filter((t) => t < count);
    if (ps.length > 0) out[topic] = ps;
  }
  return out;
}

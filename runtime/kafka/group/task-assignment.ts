// Task assignment, as in Kafka Streams: task p owns partition p of every input topic, so joined
// and co-partitioned inputs meet in one task. Tasks are spread evenly over members and stay with
// their previous owner when balance allows, so a rebalance moves (and restores) as little as possible.
// A task nobody runs goes, balance allowing, to the member whose database of it on disk is the
// furthest along (a restart: that member restores only the changelog's tail past its checkpoint).

export interface MemberInfo {
  memberId: string;
  /** Tasks the member owned before this rebalance (from its subscription user data). */
  previousTasks: number[];
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
  // Sticky pass: keep previous tasks up to capacity (first claimant wins a task claimed twice).
  for (const m of sorted) {
    for (const t of [...m.previousTasks].sort((a, b) => a - b)) {
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

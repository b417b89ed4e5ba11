// `streamfold reset`: make a projection (or the whole application) rebuild from its inputs.
// The plan is pure (resetPlan); applying it needs an empty consumer group, and must not run beside
// a running instance (it refuses while the group has members).
//
// For one projection P:
// - delete P's exchange topics, its stores' changelogs and its records topic (output or feed);
// - clear P's stores in every local task database (other projections' stores stay);
// - rewind the group to the start of every topic P reads. A stream input that other projections
//   also read cannot be rewound for P alone (they would count its events again): then only
//   `--all` is allowed. A shared table input can: re-reading a table is idempotent for the other
//   readers (their tables pass through older row versions and end where they were).
// Readers of P's records topic re-read it from the start once it is recreated (deleting a topic
// deletes the group's offsets on it).
// `--all`: every internal and output topic, the whole local state, the group's offsets.
import { rm } from 'node:fs/promises';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import type { Topology } from '../../projections/graph/topology.ts';
import { changelogTopic } from '../kafka/admin/index.ts';
import { TaskStores } from '../stores/index.ts';
import { UserError } from './errors.ts';

export interface ResetPlan {
  /** null: everything */
  projection: string | null;
  deleteTopics: string[];
  /** Stores to clear in every task database (empty with `all`: the directory goes). */
  clearStores: string[];
  /** Topics whose committed offsets go back to the log start. */
  rewind: string[];
  /** Other projections that will re-read something, and what. */
  notes: string[];
  /** Remove the group's offsets altogether (--all). */
  deleteGroup: boolean;
}

export function resetPlan(topology: Topology, projection: string | null): ResetPlan {
  if (projection === null) {
    const deleteTopics = new Set<string>();
    for (const x of topology.exchanges) deleteTopics.add(x.topic);
    for (const s of topology.subTopologies)
      for (const st of s.stores) deleteTopics.add(changelogTopic(st.name));
    for (const p of topology.projections) if (p.topic) deleteTopics.add(p.topic);
    return {
      projection,
      deleteTopics: [...deleteTopics].sort(),
      clearStores: [],
      rewind: [],
      notes: [],
      deleteGroup: true,
    };
  }
  const info = topology.projections.find((p) => p.name === projection);
  if (!info) {
    const known = topology.projections.map((p) => p.name).join(', ');
    throw new UserError(`no projection named ${projection} (projections: ${known})`);
  }
  const subs = topology.subTopologies.filter((s) => s.projection === projection);
  const own = new Set(topology.exchanges.filter((x) => x.projection === projection).map((x) => x.topic));
  const stores = [...new Set(subs.flatMap((s) => s.stores.map((st) => st.name)))].sort();
  const deleteTopics = [...own, ...stores.map(changelogTopic), ...(info.topic ? [info.topic] : [])].sort();
  const inputs = [...new Set(subs.flatMap((s) => s.inputs.filter((i) => !own.has(i.topic))))];
  const rewind: string[] = [];
  const notes: string[] = [];
  for (const input of new Map(inputs.map((i) => [i.topic, i])).values()) {
    const others = [
      ...new Set(
        topology.subTopologies
          .filter((s) => s.projection !== projection && s.inputs.some((i) => i.topic === input.topic))
          .map((s) => s.projection),
      ),
    ];
    if (others.length > 0) {
      if (kindOfInput(topology, input.name, input.role) === 'stream') {
        throw new UserError(
          `${projection} reads the stream ${input.topic}, which ${others.join(', ')} also read${others.length === 1 ? 's' : ''}; rewinding it would count its events again there. Use reset --all`,
        );
      }
      notes.push(
        `${others.join(', ')} re-read${others.length === 1 ? 's' : ''} the table ${input.topic} (idempotent)`,
      );
    }
    rewind.push(input.topic);
  }
  if (info.topic) {
    const readers = [
      ...new Set(
        topology.subTopologies
          .filter((s) => s.inputs.some((i) => i.topic === info.topic))
          .map((s) => s.projection),
      ),
    ];
    if (readers.length > 0)
      notes.push(
        `${readers.join(', ')} re-read${readers.length === 1 ? 's' : ''} ${info.topic} once it is rebuilt`,
      );
  }
  return { projection, deleteTopics, clearStores: stores, rewind: rewind.sort(), notes, deleteGroup: false };
}

function kindOfInput(topology: Topology, name: string, role: string): 'stream' | 'table' {
  if (role === 'source') return topology.sources.find((s) => s.name === name)?.kind ?? 'stream';
  return topology.projections.find((p) => p.name === name)?.kind ?? 'stream';
}

/** Refuses while the group has members: a running instance would rewrite what we delete. */
export async function assertGroupIdle(admin: Admin, group: string): Promise<void> {
  const { groups } = await admin.describeGroups([group]);
  const g = groups[0];
  if (g && g.members.length > 0) {
    const who = g.members.map((m) => `${m.clientId}@${m.clientHost}`).join(', ');
    throw new UserError(
      `the application ${group} is running (${g.members.length} member${g.members.length > 1 ? 's' : ''}: ${who}); stop every instance first`,
    );
  }
}

export async function applyReset(
  admin: Admin,
  topology: Topology,
  plan: ResetPlan,
  appStateDir: string,
  say: (line: string) => void,
): Promise<void> {
  const group = topology.application;
  await assertGroupIdle(admin, group);
  const existing = new Set(await admin.listTopics());
  const doomed = plan.deleteTopics.filter((t) => existing.has(t));
  if (doomed.length > 0) {
    await admin.deleteTopics({ topics: doomed });
    say(`deleted ${doomed.length} topic${doomed.length > 1 ? 's' : ''}: ${doomed.join(', ')}`);
  }
  if (plan.deleteGroup) {
    const { groups } = await admin.describeGroups([group]);
    if (groups[0] && groups[0].state !== 'Dead') {
      await admin.deleteGroups([group]).catch((err: unknown) => {
        // A group that never committed anything does not exist: nothing to delete.
        if ((err as { groups?: Array<{ errorCode: number }> }).groups?.every((g) => g.errorCode === 69))
          return;
        throw err;
      });
    }
    say(`deleted the consumer group ${group} (every input is read again from the start)`);
    await rm(appStateDir, { recursive: true, force: true });
    say(`deleted the local state ${appStateDir}`);
    return;
  }
  for (const topic of plan.rewind.filter((t) => existing.has(t))) {
    await admin.resetOffsets({ groupId: group, topic, earliest: true });
    say(`rewound ${topic} to its first offset`);
  }
  let tasks: string[] = [];
  try {
    tasks = (await readdir(appStateDir)).filter((d) => /^\d+$/.test(d));
  } catch {
    // no local state
  }
  for (const task of tasks) {
    const p = Number(task);
    const stores = await TaskStores.open({
      location: join(appStateDir, task),
      changelogOf: (s) => ({ topic: changelogTopic(s), partition: p }),
    });
    try {
      for (const s of plan.clearStores) await stores.clearStore(s);
    } finally {
      await stores.close();
    }
  }
  if (tasks.length > 0)
    say(`cleared ${plan.clearStores.length} stores in ${tasks.length} local task databases`);
  for (const note of plan.notes) say(`note: ${note}`);
}

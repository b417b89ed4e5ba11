// `streamfold cleanup <projection> --version n`: deletes a version that queries no longer read —
// its PostgreSQL view table (if any), its internal and output topics and its local state — and
// marks it removed in the deployments topic. Refuses the active version, the version the YAML declares, a version another running
// version reads, and (unless forced) any version whose consumer group still has members: they may
// still run it (an instance runs a retired version until it restarts), and a deleted topic under a
// running version fails its commits.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import type { Definition } from '../../projections/definition/schema.ts';
import { cleanupRefusal, type DeploymentRecord, versionResources } from '../../projections/versions/index.ts';
import { UserError } from '../app/errors.ts';
import { changelogTopic } from '../kafka/admin/index.ts';
import { TaskStores } from '../stores/index.ts';
import { dropVersionView } from '../views/cleanup.ts';
import type { DeploymentsLog } from './deployments-log.ts';

export interface CleanupOptions {
  admin: Admin;
  log: DeploymentsLog;
  application: string;
  /** The state root (the application's tasks live in `<stateDir>/<group>/<task>`). */
  stateDir: string;
  projection: string;
  version: number;
  /** The version the YAML declares for the projection; undefined when it no longer has it. */
  declared: number | undefined;
  /** Skip the check that the version's group has no members. */
  force?: boolean;
  /** The YAML: a version with a PostgreSQL view has its table dropped (runtime/views/cleanup.ts). */
  definition?: Definition;
  say?: (line: string) => void;
}

export async function cleanupVersion(o: CleanupOptions): Promise<DeploymentRecord> {
  const say = o.say ?? (() => undefined);
  await o.log.poll();
  const records = o.log.all();
  const refusal = cleanupRefusal(records, o.projection, o.version, o.declared);
  if (refusal) throw new UserError(refusal);
  const record = records.find((r) => r.projection === o.projection && r.version === o.version)!;
  const { groups } = await o.admin.describeGroups([record.group]);
  const members = groups[0]?.members.length ?? 0;
  if (members > 0 && !o.force) {
    throw new UserError(
      `the group ${record.group} has ${members} member${members > 1 ? 's' : ''}, which may still run ${o.projection} version ${o.version}; restart them without it (or stop them), then clean up${record.group === o.application ? ' (or pass --force once every instance restarted since the switch)' : ''}`,
    );
  }
  if (o.definition) await dropVersionView(o.definition, record, say);
  const resources = versionResources(o.application, records, record.id);
  const existing = new Set(await o.admin.listTopics());
  const doomed = resources.topics.filter((t) => existing.has(t));
  if (doomed.length > 0) {
    await o.admin.deleteTopics({ topics: doomed });
    say(`deleted ${doomed.length} topic${doomed.length > 1 ? 's' : ''}: ${doomed.join(', ')}`);
  }
  const groupDir = join(o.stateDir, record.group);
  const others = records.filter(
    (r) => r.group === record.group && r.id !== record.id && r.state !== 'removed',
  );
  if (others.length === 0) {
    // The group ran this version alone: its whole state directory goes.
    await rm(groupDir, { recursive: true, force: true });
    if (members === 0) await o.admin.deleteGroups([record.group]).catch(() => undefined);
    say(`deleted the local state ${groupDir}`);
  } else if (members === 0) {
    const cleared = await clearStores(groupDir, resources.stores);
    if (cleared > 0) say(`cleared ${resources.stores.length} stores in ${cleared} local task databases`);
  } else {
    say(`the local stores of ${record.id} are cleared by each instance at its next start`);
  }
  const removed: DeploymentRecord = { ...record, state: 'removed' };
  await o.log.write([removed]);
  say(`${o.projection} version ${o.version}: removed`);
  return removed;
}

/** Clears stores in every task database under a group's directory; the number of databases. */
export async function clearStores(groupDir: string, stores: string[]): Promise<number> {
  let tasks: string[] = [];
  try {
    tasks = (await readdir(groupDir)).filter((d) => /^\d+$/.test(d));
  } catch {
    return 0;
  }
  for (const task of tasks) {
    const p = Number(task);
    const db = await TaskStores.open({
      location: join(groupDir, task),
      changelogOf: (s) => ({ topic: changelogTopic(s), partition: p }),
    });
    try {
      for (const s of stores) await db.clearStore(s);
    } finally {
      await db.close();
    }
  }
  return tasks.length;
}

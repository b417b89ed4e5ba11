// Creates internal topics idempotently and checks that existing ones fit: the same partition
// count (state and keys are partitioned by it) and the cleanup policy the runtime relies on.
// Topic creation that waits out a busy broker's leader election is shared with --create-source-topics.
import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';
import { awaitTopicsServed } from './topics-served.ts';

// kafkajs is CommonJS and its enums are not visible to ESM as named exports.
const { ConfigResourceTypes } = kafkajs;

export type InternalTopicKind = 'changelog' | 'output' | 'repartition';

export interface InternalTopicSpec {
  name: string;
  kind: InternalTopicKind;
  partitions: number;
  /** Default -1: the broker's default.replication.factor. */
  replicationFactor?: number;
  /** Extra topic configs; they override the kind's defaults. */
  configs?: Record<string, string>;
}

/** A topic exists but does not fit; the message says which and how to fix it. */
export class TopicMismatchError extends Error {
  override name = 'TopicMismatchError';
}

/** Retention of repartition topics: records are only needed until the downstream task read them. */
export const REPARTITION_RETENTION_MS = String(7 * 24 * 3600 * 1000);

export function defaultTopicConfigs(kind: InternalTopicKind): Record<string, string> {
  switch (kind) {
    case 'changelog':
    case 'output':
      // Latest value per key is all a restore or a reader needs.
      return { 'cleanup.policy': 'compact' };
    case 'repartition':
      return { 'cleanup.policy': 'delete', 'retention.ms': REPARTITION_RETENTION_MS };
  }
}

/** The configs that must match on an existing topic (the rest may be tuned by operators). */
const REQUIRED_CONFIGS = ['cleanup.policy'];

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
}

export async function ensureTopics(admin: Admin, specs: InternalTopicSpec[]): Promise<EnsureTopicsResult> {
  const names = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !names.has(s.name));
  const present = specs.filter((s) => names.has(s.name));
  if (missing.length > 0) {
    // Returns false when another instance created some of them first: that is fine, they are
    // verified below like any existing topic.
    await createTopicsAwaitingLeaders(
      admin,
      missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor ?? -1,
        configEntries: Object.entries(configsOf(s)).map(([name, value]) => ({ name, value })),
      })),
    );
  }
  await verifyTopics(admin, specs);
  return { created: missing.map((s) => s.name), existing: present.map((s) => s.name) };
}

/**
 * createTopics, then every partition is served by its leader. kafkajs's wait for leaders retries
 * LEADER_NOT_AVAILABLE only, and a busy broker may first answer UNKNOWN_TOPIC_OR_PARTITION for a
 * created topic; both are waited out here.
 */
export async function createTopicsAwaitingLeaders(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  try {
    await admin.createTopics({ waitForLeaders: true, topics });
  } catch (err) {
    if ((err as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
  }
  await awaitTopicsServed(
    admin,
    topics.map((t) => t.topic),
  );
}

/** Throws TopicMismatchError listing every topic whose partition count or required config is off. */
export async function verifyTopics(admin: Admin, specs: InternalTopicSpec[]): Promise<void> {
  if (specs.length === 0) return;
  const counts = await partitionCounts(
    admin,
    specs.map((s) => s.name),
  );
  const problems: string[] = [];
  for (const s of specs) {
    const actual = counts.get(s.name)!;
    if (actual !== s.partitions) {
      problems.push(
        `topic ${s.name} has ${actual} partitions but needs ${s.partitions}; delete it (streamfold reset) so it is recreated`,
      );
    }
  }
  const configs = await describeTopicConfigs(
    admin,
    specs.map((s) => s.name),
    REQUIRED_CONFIGS,
  );
  for (const s of specs) {
    const want = configsOf(s);
    for (const key of REQUIRED_CONFIGS) {
      const have = configs.get(s.name)?.get(key);
      if (want[key] !== undefined && have !== want[key]) {
        problems.push(
          `topic ${s.name} has ${key}=${have ?? '(unset)'} but a ${s.kind} topic needs ${key}=${want[key]}`,
        );
      }
    }
  }
  if (problems.length > 0) throw new TopicMismatchError(problems.join('\n'));
}

/** Partition count per topic; a missing topic is an error that names it. */
export async function partitionCounts(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0)
    throw new TopicMismatchError(
      `topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist`,
    );
  const { topics: meta } = await admin.fetchTopicMetadata({ topics: [...new Set(topics)] });
  return new Map(meta.map((t) => [t.name, t.partitions.length]));
}

/**
 * Inputs joined on the same key must have equal partition counts: partition p of each holds the
 * same keys, and task p reads partition p of all of them. Each group is one set of such topics.
 */
export async function checkCoPartitioning(admin: Admin, groups: string[][]): Promise<Map<string, number>> {
  const counts = await partitionCounts(admin, groups.flat());
  const problems: string[] = [];
  for (const group of groups) {
    const distinct = new Set(group.map((t) => counts.get(t)));
    if (distinct.size > 1) {
      problems.push(
        `topics ${group.map((t) => `${t} (${counts.get(t)} partitions)`).join(', ')} are joined on the same key and must have the same number of partitions`,
      );
    }
  }
  if (problems.length > 0) throw new TopicMismatchError(problems.join('\n'));
  return counts;
}

export async function describeTopicConfigs(
  admin: Admin,
  topics: string[],
  configNames: string[],
): Promise<Map<string, Map<string, string>>> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames })),
  });
  return new Map(
    resources.map((r) => [
      r.resourceName,
      new Map(r.configEntries.map((e) => [e.configName, e.configValue])),
    ]),
  );
}

function configsOf(spec: InternalTopicSpec): Record<string, string> {
  return { ...defaultTopicConfigs(spec.kind), ...spec.configs };
}

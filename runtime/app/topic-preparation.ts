// Topic preparation at start, before the group is joined: the source topics must exist and be
// co-partitioned, missing internal topics (exchanges, changelogs, outputs), dead-letter topics and
// the first-writer-wins rejections topic are created, and the new topics' leaders must answer before the consumer joins.
//
// Owns only what happens to topics before processing; must not touch tasks or the consumer group.
import type { Admin } from 'kafkajs';
import type { Definition } from '../../projections/definition/schema.ts';
import { names } from '../../projections/graph/names.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import {
  awaitTopicsServed,
  checkCoPartitioning,
  ensureTopics,
  TopicMismatchError,
} from '../kafka/admin/index.ts';
import type { Logger } from '../log/logger.ts';
import { deadLetterTopics } from '../dlq/index.ts';
import { UserError } from './errors.ts';
import { checkSourceTopics } from './preflight.ts';
import { planTopics, type TopicPlan } from './topic-plan.ts';

export async function prepareTopics(
  admin: Admin,
  topology: Topology,
  definition: Definition,
  logger: Logger,
  /** Told the source topics' partition counts (the checks on source records use them). */
  onSourcePartitions?: (counts: ReadonlyMap<string, number>) => void,
  /** Stores of the tasks beyond the topology's (the command outcomes): their changelogs too. */
  extraStores: string[] = [],
): Promise<TopicPlan> {
  const existing = new Set(await admin.listTopics());
  const sources = [...new Set(topology.sources.map((s) => s.topic))];
  checkSourceTopics(topology.sources, existing);
  const { topics } = await admin.fetchTopicMetadata({ topics: sources });
  const counts = new Map(topics.map((t) => [t.name, t.partitions.length]));
  onSourcePartitions?.(counts);
  const plan = planTopics(topology, counts, extraStores);
  try {
    const result = await ensureTopics(admin, plan.internal);
    if (result.created.length > 0)
      logger.info({ topics: result.created }, `created ${result.created.length} internal topics`);
    await checkCoPartitioning(admin, plan.coPartitioned);
    await ensureDeadLetterTopics(
      admin,
      [...deadLetterTopics(definition), ...rejectionsTopics(topology)],
      logger,
    );
  } catch (err) {
    if (err instanceof TopicMismatchError) throw new UserError(err.message.replaceAll('\n', '; '));
    throw err;
  }
  // The kafkajs consumer meets a not-yet-served input with a rejoin: a burst of rebalances.
  await awaitTopicsServed(admin, plan.inputs, 10_000);
  logger.info({ tasks: plan.taskCount, inputs: plan.inputs.length }, `${plan.taskCount} tasks`);
  return plan;
}

/** The rejections topic, when a projection reports first-writer-wins rejections to it. */
function rejectionsTopics(topology: Topology): string[] {
  const topic = names.rejectionsTopic(topology.application);
  return topology.subTopologies.some((s) => s.sends.includes(topic)) ? [topic] : [];
}

async function ensureDeadLetterTopics(admin: Admin, wanted: string[], logger: Logger): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  // One partition, kept until deleted: dead letters (and first-writer-wins rejections) wait for a
  // person or the losing writer, not for a consumer.
  await admin.createTopics({
    waitForLeaders: false,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: 1,
      replicationFactor: -1,
      configEntries: [{ name: 'retention.ms', value: '-1' }],
    })),
  });
  await awaitTopicsServed(admin, missing);
  logger.info({ topics: missing }, `created ${missing.length} dead-letter/rejections topics`);
}

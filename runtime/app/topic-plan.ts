// Which topics an application needs, with how many partitions, before it joins its group.
// Pure: given the topology and the source topics' partition counts. Must not talk to Kafka
// (topic-preparation.ts applies the plan).
//
// The task count is the largest source partition count (Kafka Streams' rule for repartition
// topics). Every topic the runtime writes has that many partitions, so a key hashes to the same
// partition number, i.e. the same task, in every topic it travels through:
// - exchange topics (repartition, join repartition, FK subscription/response): delete policy;
// - changelogs, one per store, partition p backing task p's store: compact;
// - projection topics (outputs and internal feeds): compact.
import type { Topology } from '../../projections/graph/topology.ts';
import { changelogTopic, checkedTopicName, type InternalTopicSpec } from '../kafka/admin/index.ts';
import { storeNames } from '../tasks/routing.ts';

export interface TopicPlan {
  /** Source topics the topology reads. */
  sources: string[];
  /** Partitions per source topic. */
  sourcePartitions: ReadonlyMap<string, number>;
  taskCount: number;
  /** Topics the runtime creates when missing and verifies when present. */
  internal: InternalTopicSpec[];
  /** Sets of topics one sub-topology reads together: their partition counts must be equal. */
  coPartitioned: string[][];
  /** Every topic the consumer group subscribes to. */
  inputs: string[];
}

export function planTopics(
  topology: Topology,
  sourcePartitions: ReadonlyMap<string, number>,
  /** Stores the tasks hold beyond the topology's (the command outcomes). */
  extraStores: string[] = [],
): TopicPlan {
  const sources = [
    ...new Set(
      topology.subTopologies.flatMap((s) => s.inputs.filter((i) => i.role === 'source').map((i) => i.topic)),
    ),
  ].sort();
  const taskCount = Math.max(1, ...sources.map((t) => sourcePartitions.get(t) ?? 0));
  const internal: InternalTopicSpec[] = [];
  const add = (spec: InternalTopicSpec) => {
    if (!internal.some((s) => s.name === spec.name)) internal.push(spec);
  };
  for (const x of topology.exchanges)
    add({ name: checkedTopicName(x.topic), kind: 'repartition', partitions: taskCount });
  for (const store of [...storeNames(topology), ...extraStores])
    add({ name: changelogTopic(store), kind: 'changelog', partitions: taskCount });
  for (const p of topology.projections) {
    if (p.topic) add({ name: checkedTopicName(p.topic), kind: 'output', partitions: taskCount });
  }
  const coPartitioned = topology.subTopologies
    .map((s) => [...new Set(s.inputs.map((i) => i.topic))])
    .filter((topics) => topics.length > 1);
  const inputs = [...new Set(topology.subTopologies.flatMap((s) => s.inputs.map((i) => i.topic)))].sort();
  return { sources, sourcePartitions, taskCount, internal, coPartitioned, inputs };
}

// The first-writer-wins sources of one consumer group, as their writers ask about them over HTTP
// (routes/writers.ts): each is read from the tasks of the projection that reports its rejections,
// whose stores hold the entities' versions and the rejected appends (projections/first-writer-wins/).
import { appendFate } from '../../projections/first-writer-wins/rejected-appends.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import { partitionOfKey } from './partitioner.ts';
import { NOT_FIRST_WRITER_WINS, RESTORING, type StateSource, type WriterSource } from './state-source.ts';
import type { TaskView } from './task-stores-state-source.ts';

export function writerSources(
  topology: Topology,
  partitions: number,
  state: Pick<StateSource, 'owners' | 'waitFor'>,
  tasks: () => ReadonlyMap<number, TaskView>,
): (source: string) => WriterSource | typeof NOT_FIRST_WRITER_WINS | undefined {
  const bySource = new Map<string, WriterSource>();
  for (const info of topology.firstWriterWins ?? []) {
    const { projection } = info;
    /** The local task of a partition: undefined when not local, RESTORING while it restores. */
    const taskOf = (partition: number) => {
      const task = tasks().get(partition);
      if (!task) return undefined;
      return task.status(projection).status === 'restoring' ? RESTORING : task;
    };
    bySource.set(info.source, {
      source: info.source,
      partitions,
      reKeyed: info.reKeyed,
      owner: (partition) => state.owners(projection)[partition]!,
      position: (partition) => tasks().get(partition)?.status(projection).position,
      waitFor: (partition, offset, timeoutMs) => state.waitFor(projection, partition, offset, timeoutMs),
      version(key) {
        const task = taskOf(partitionOfKey(key, partitions));
        if (task === undefined || task === RESTORING) return task;
        return task.stores.store<number>(info.versionStore).get(key) ?? 0;
      },
      fate(partition, offset) {
        const task = taskOf(partition);
        if (task === undefined || task === RESTORING) return task;
        const store = task.stores.store(info.rejectedAppendsStore);
        return appendFate((k) => store.get(k), partition, offset, task.status(projection).position);
      },
    });
  }
  const declared = new Set(topology.sources.map((s) => s.name));
  return (source) => bySource.get(source) ?? (declared.has(source) ? NOT_FIRST_WRITER_WINS : undefined);
}

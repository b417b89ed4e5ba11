// The query API over the pure engine's stores: one running task that has read `inputs` records of
// `topic`. Counting rows by key count is refused: derived rows that may be hidden are counted by
// reading them.
import type { Executor } from '../../../projections/graph/executor.ts';
import { runtimeStateSource } from '../../../runtime/http/runtime-state-source.ts';

export function engineStateSource(ex: Executor, topic: string, inputs: number) {
  return runtimeStateSource({
    topology: ex.topology,
    partitions: 1,
    tasks: () =>
      new Map([
        [
          0,
          {
            stores: {
              store: (name: string) => ex.stores.store(name),
              countRows: () => Promise.reject(new Error('hidden rows must not be counted by keys')),
            },
            state: 'running' as const,
            positions: new Map([[topic, inputs]]),
          },
        ],
      ]),
    ownership: () => undefined,
  });
}

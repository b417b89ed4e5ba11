// The example definition (projections.yaml), parsed, and a running Task over LevelDB, for the
// runtime's unit tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Definition } from '../../../projections/definition/schema.ts';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import type { PoisonRecord } from '../../../runtime/formats/index.ts';
import { TaskStores } from '../../../runtime/stores/index.ts';
import { type AppliedAtAppend, Task } from '../../../runtime/tasks/task.ts';
import type { RecordSender } from '../../../runtime/tasks/lingering-sender.ts';
import { taskProjections, topicRoutes } from '../../../runtime/tasks/routing.ts';

export function exampleDefinition(): Definition {
  const text = readFileSync(new URL('../../../projections.yaml', import.meta.url), 'utf8');
  return parseConfig(text, 'projections.yaml', {});
}

/** A running task 0 of `definition` in a new LevelDB under `dir`, reading `topic` from offset 0. */
export async function openTestTask(
  dir: string,
  definition: Definition,
  topic: string,
  poison: PoisonRecord[],
  extra: { appliedAtAppend?: AppliedAtAppend; sender?: RecordSender } = {},
): Promise<Task> {
  const topology = compileTopology(definition);
  const stores = await TaskStores.open({
    location: join(dir, `t${Math.random()}`),
    changelogOf: (s) => ({ topic: `${s}-changelog`, partition: 0 }),
  });
  const task = new Task({
    id: 0,
    stores,
    routes: topicRoutes(topology, definition),
    projections: taskProjections(topology, definition),
    onPoison: (p) => poison.push(p),
    ...extra,
  });
  task.startAt(new Map([[topic, 0]]));
  task.state = 'running';
  return task;
}

// A Task running a windowed aggregate (LevelDB in a temp dir, no Kafka): emit final rows reach the
// commit, late records are counted per projection and, with `late: deadLetter`, handed to the
// poison handler as kind `late` with their origin.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../../runtime/config/load.ts';
import type { PoisonRecord, RawRecord } from '../../../runtime/formats/index.ts';
import { openTestTask } from './helpers.ts';

const definition = (late: string) =>
  parseConfig(
    `
application: win
sources:
  clicks: { topic: clicks, key: user, time: at }
projections:
  per_window:
    from: clicks
    window: { type: tumbling, size: 10s }
    emit: final
    ${late}
    aggregate: { n: { count: {} } }
`,
    'win.yaml',
    {},
  );

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamfold-task-windows-'));
});
after(() => rm(dir, { recursive: true, force: true }));

let offset = 0;
const click = (user: string, at: number): RawRecord => ({
  topic: 'clicks',
  partition: 0,
  offset: offset++,
  key: Buffer.from(user),
  value: Buffer.from(JSON.stringify({ user, at })),
  timestamp: at,
});

async function newTask(late: string, poison: PoisonRecord[]) {
  return openTestTask(dir, definition(late), 'clicks', poison);
}

describe('Task with a window', () => {
  it('commits the final row of a closed window, counts a late record and dead-letters it', async () => {
    offset = 0;
    const poison: PoisonRecord[] = [];
    const task = await newTask('late: deadLetter', poison);
    task.process(click('u1', 1_000));
    task.process(click('u1', 2_000));
    task.process(click('u1', 15_000)); // closes [0, 10s)
    task.process(click('u1', 3_000)); // late: its window closed
    const commit = task.prepareCommit();
    const rows = commit.records.find((t) => t.topic === 'win-per_window')!.messages;
    assert.deepEqual(
      rows.map((m) => [JSON.parse(m.key!.toString()), JSON.parse(m.value!.toString())]),
      [[{ key: 'u1', window: { start: 0, end: 10_000 } }, { n: 2 }]],
    );
    assert.deepEqual([...task.counters.late], [['per_window', 1]]);
    assert.deepEqual(
      poison.map((p) => [p.kind, p.stage, p.projection, p.raw.offset]),
      [['late', 'process', 'per_window', 3]],
    );
    await task.close();
  });

  it('only counts late records by default', async () => {
    offset = 0;
    const poison: PoisonRecord[] = [];
    const task = await newTask('', poison);
    task.process(click('u1', 15_000));
    task.process(click('u1', 3_000));
    assert.deepEqual([...task.counters.late], [['per_window', 1]]);
    assert.deepEqual(poison, []);
    await task.close();
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressReporter, type RestoreProgress } from '../../../runtime/kafka/restore/index.ts';

const part = (restored: number, total: number, done = false): RestoreProgress => ({
  store: 's',
  topic: 't',
  partition: 0,
  restored,
  total,
  done,
});
const summary = { stores: [], records: 200_000, ms: 1000 };

describe('restore progress', () => {
  it('redraws one bar line on a TTY, throttled, and clears it at the end', () => {
    let t = 0;
    const out: string[] = [];
    const logs: Array<[string, Record<string, unknown>]> = [];
    const r = progressReporter({
      label: 'task 3',
      terminal: { isTTY: true, columns: 200, write: (s) => out.push(s) },
      log: (m, f) => logs.push([m, f]),
      now: () => t,
    });
    t = 500;
    r.onProgress([part(50_000, 200_000), part(0, 0, true)]);
    t = 550; // within the redraw interval: skipped
    r.onProgress([part(60_000, 200_000), part(0, 0, true)]);
    t = 1000;
    r.onProgress([part(200_000, 200_000, true), part(0, 0, true)]);
    r.finish(summary);
    assert.equal(out.length, 3);
    assert.match(out[0]!, /^\r\x1b\[Krestoring task 3 █{6}░{18} 25% 50k\/200k records, 100k\/s, 2 stores$/);
    assert.match(out[1]!, /100% 200k\/200k records, 200k\/s/);
    assert.equal(out[2], '\r\x1b[K');
    assert.deepEqual(logs, [
      ['restored task 3', { records: 200_000, ms: 1000, recordsPerSec: 200_000, rebuilt: [] }],
    ]);
  });

  it('logs every interval without a TTY', () => {
    let t = 0;
    const logs: string[] = [];
    const r = progressReporter({
      label: 'task 0',
      log: (m, f) => logs.push(`${m} ${f.restored}`),
      logIntervalMs: 5000,
      now: () => t,
    });
    for (t = 1000; t <= 12_000; t += 1000) r.onProgress([part(t, 20_000)]);
    assert.deepEqual(logs, ['restoring task 0 5000', 'restoring task 0 10000']);
  });
});

// Misrouted records are logged per record at debug and as one warning per topic and interval;
// other poison records keep their per-record log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { PoisonRecord } from '../../../runtime/formats/index.ts';
import { withMisrouteWarnings } from '../../../runtime/sources/index.ts';

test('a misrouted topic warns at once, then at most once per interval, with the count since', () => {
  const lines: Array<{ level: number; msg: string; misrouted?: number; topic?: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  let clock = 0;
  let perRecord = 0;
  let counted = 0;
  const handler = withMisrouteWarnings(
    logger,
    () => perRecord++,
    () => counted++,
    10_000,
    () => clock,
  );
  const poison = (kind: string, topic = 't'): PoisonRecord => ({
    raw: { topic, partition: 1, offset: 0, key: null, value: null, timestamp: 0 },
    stage: 'decode',
    kind,
    message: `${kind}: key "zz" belongs to partition 0`,
    task: 1,
  });
  for (let i = 0; i < 50; i++) {
    handler(poison('misrouted'));
    clock += 500; // 25 s in all
  }
  handler(poison('misrouted', 'other'));
  handler(poison('decode'));
  const warnings = lines.filter((l) => l.level === 40);
  assert.deepEqual(
    warnings.map((w) => [w.topic, w.misrouted]),
    [
      ['t', 1],
      ['t', 20],
      ['t', 20],
      ['other', 1],
    ],
  );
  assert.match(warnings[0]!.msg, /not partitioned by its entity key/);
  assert.equal(lines.filter((l) => l.level === 20).length, 51, 'each misrouted record at debug');
  assert.equal(counted, 51);
  assert.equal(perRecord, 1, 'other kinds keep their own log');
});

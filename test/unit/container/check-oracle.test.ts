// The container check's oracle (scripts/container/expected-balances.ts) against the pure engine: the
// `balances` rows it expects after `streamfold generate --rate 0 --seed S --count N` must be the rows
// projections.yaml computes over the same events, or the check would pass or fail for the wrong reason.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { Executor } from '../../../projections/graph/executor.ts';
import { encodeKey } from '../../../projections/keys.ts';
import { finalTable } from '../../../projections/testing/index.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { generateEvents } from '../../../runtime/generator/index.ts';
import { expectedBalances } from '../../../scripts/container/expected-balances.ts';

void test('the expected balances rows equal the engine over the generated events', () => {
  const seed = 'container-check';
  const definition = parseConfig(readFileSync('projections.yaml', 'utf8'), 'projections.yaml', {});
  const executor = new Executor(compileTopology(definition), { json: true });
  // as `generate --rate 0` spaces them: 1 ms apart (timestamps do not change the balances)
  for (const e of generateEvents(seed, 3000, { meanGapMs: 1 }))
    executor.process({ topic: e.topic, key: e.key, value: e.value, timestamp: e.timestamp });
  const engine = finalTable(executor.outputsOf('balances'));
  const expected = expectedBalances(seed, 3000);
  const live = [...engine].filter(([, row]) => row !== null);
  assert.ok(expected.size > 50, `${expected.size} live accounts`);
  assert.equal(live.length, expected.size);
  for (const [id, row] of expected) assert.deepEqual(engine.get(encodeKey(id)), row, id);
});

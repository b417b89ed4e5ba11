// Command fixtures: every fixture in test/fixtures/commands passes, a wrong expectation fails with
// a readable diff, and `streamfold test` runs command fixtures beside projection fixtures.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  commandFixtureFromObject,
  formatCommandResult,
  loadCommandFixture,
  runCommandFixture,
} from '../../../projections/commands/index.ts';
import { FixtureError } from '../../../projections/testing/index.ts';
import { expandFixtureArgs, runFixtureFiles } from '../../../runtime/cli/test.ts';
import { fixtureFiles } from '../../conformance/fixture-suite.ts';

const DIR = fileURLToPath(new URL('../../fixtures/commands/', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../examples/write-side.yaml', import.meta.url));

describe('command fixtures', () => {
  for (const file of fixtureFiles(DIR)) {
    it(file.slice(DIR.length), async () => {
      const result = runCommandFixture(await loadCommandFixture(file));
      assert.ok(result.passed, formatCommandResult(result));
    });
  }

  it('a wrong expectation fails, naming the step and the difference', async () => {
    const fixture = await commandFixtureFromObject(
      {
        name: 'wrong',
        definition: EXAMPLES,
        given: [
          { topic: 'inventory-events', value: { eventType: 'StockReceived', sku: 'bolt', quantity: 1 } },
        ],
        when: [
          { command: 'takeStock', input: { sku: 'bolt', quantity: 2 }, then: { events: [{ quantity: 2 }] } },
          {
            command: 'takeStock',
            input: { sku: 'bolt', quantity: 1 },
            then: { rejected: { rule: 'enoughStock' } },
          },
        ],
        expected: { stock: { table: { bolt: { onHand: 1 } } } },
      },
      undefined,
    );
    const result = runCommandFixture(fixture);
    assert.equal(result.passed, false);
    assert.equal(
      formatCommandResult(result),
      [
        'FAIL wrong',
        '  step 1 (takeStock):',
        '    expected accepted, got rejected by rule enoughStock: not enough stock',
        '  step 2 (takeStock):',
        '    expected rejected, got accepted with 1 event(s), version 2',
        '  stock: final table differs (expected 1 keys, got 1):',
        '    bolt: expected {"onHand":1}',
        '               got {"onHand":0}',
      ].join('\n'),
    );
  });

  it('a fixture without then, or for an unknown command, is an error', async () => {
    await assert.rejects(
      commandFixtureFromObject({
        name: 'x',
        definition: EXAMPLES,
        when: { command: 'takeStock', input: {} },
      }),
      /every command needs a then/,
    );
    const unknown = await commandFixtureFromObject({
      name: 'x',
      definition: EXAMPLES,
      when: { command: 'stealStock', input: {} },
      then: { rejected: { rule: 'r' } },
    });
    assert.throws(() => runCommandFixture(unknown), FixtureError);
  });

  it('a fixture that gives two commands one id is an error (the runtime would not decide both)', async () => {
    const step = (id?: string) => ({
      command: 'takeStock',
      input: {},
      ...(id ? { id } : {}),
      then: { rejected: { rule: 'r' } },
    });
    await assert.rejects(
      commandFixtureFromObject({ name: 'x', definition: EXAMPLES, when: [step('a'), step(), step('a')] }),
      /id "a" is also the id of command 1/,
    );
    await assert.rejects(
      commandFixtureFromObject({ name: 'x', definition: EXAMPLES, when: [step(), step('command-1')] }),
      /id "command-1" is also the id of command 1/,
    );
  });

  it('streamfold test finds and runs command fixtures in a folder', async () => {
    const { files } = expandFixtureArgs([DIR]);
    assert.deepEqual(files, fixtureFiles(DIR));
    const lines: string[] = [];
    const failed = await runFixtureFiles(files, false, (l) => lines.push(l));
    assert.equal(failed, 0, lines.join('\n'));
    assert.equal(lines.at(-1), `${files.length} passed, 0 failed`);
  });
});

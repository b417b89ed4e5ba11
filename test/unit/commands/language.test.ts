// The commands language: a valid `commands:` section parses; each mistake is one located error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDefinition } from '../../../projections/definition/index.ts';
import { assertError, errorsOf } from '../definition/helpers.ts';

// 11 lines; commands start on line 12.
const HEADER = `application: bank
sources:
  accounts: { topic: account-events, key: accountId, eventType: eventType, eventId: eventId, time: at }
  other: { topic: other-events, key: accountId, eventType: eventType }
projections:
  balances: { from: accounts, aggregate: { balance: { sum: { Deposited: amount, Withdrawn: -amount } } } }
  by_owner: { from: accounts, groupBy: owner, aggregate: { n: { count: "*" } } }
  others: { from: other, aggregate: { n: { count: "*" } } }
  renamed: { from: balances, select: { money: balance } }
  events: { from: accounts }
commands:
`;
const C = (body: string): string => HEADER + body;

const WITHDRAW = `  withdraw:
    entity: accounts
    input: { accountId: string, amount: { type: number, min: 0.01 } }
    state:
      account: { projection: balances }
      today: { aggregate: { withdrawn: { sum: { of: amount, on: [Withdrawn] } } }, per: day(at), at: day(now) }
    rules:
      funds: { require: state.account.balance >= input.amount, message: insufficient funds }
    emit:
      - type: Withdrawn
        fields: { amount: input.amount }
`;

describe('commands language', () => {
  it('a valid command parses, with defaults applied', () => {
    const r = parseDefinition(C(WITHDRAW), 'p.yaml');
    assert.deepEqual(r.errors, undefined);
    const withdraw = r.definition?.commands?.withdraw;
    assert.equal(withdraw?.entity, 'accounts');
    assert.deepEqual(withdraw?.input.amount, { type: 'number', min: 0.01, optional: false });
    assert.deepEqual(withdraw?.emit[0]?.fields, { amount: 'input.amount' });
  });

  it('a projection reached through a select keeps the entity key and may be state', () => {
    const body = WITHDRAW.replace('{ projection: balances }', '{ projection: renamed }').replace(
      'state.account.balance',
      'state.account.money',
    );
    assert.deepEqual(errorsOf(C(body)), []);
  });

  it('an unknown entity source, with a suggestion', () => {
    assertError(
      C(WITHDRAW.replace('entity: accounts', 'entity: acounts')),
      13,
      13,
      'unknown source "acounts"',
      'did you mean "accounts"',
    );
  });

  it('the input must carry the entity key', () => {
    assertError(
      C(WITHDRAW.replace('accountId: string, ', '')),
      14,
      5,
      'the input must have the entity key field "accountId"',
    );
  });

  it('the entity source must name its key and event type fields', () => {
    const yaml = C(WITHDRAW.replace('entity: accounts', 'entity: other')).replace(
      'other: { topic: other-events, key: accountId, eventType: eventType }',
      'other: { topic: other-events, key: "accountId + \'x\'", eventType: eventType }',
    );
    assertError(yaml, 13, 13, 'commands write key into each event', 'not the expression');
  });

  it('state grouped by something else than the entity key', () => {
    assertError(
      C(WITHDRAW.replace('projection: balances', 'projection: by_owner')),
      16,
      30,
      'state must be keyed like the entity',
      'grouped by "owner"',
    );
  });

  it('state from another source (maybe other partitions)', () => {
    assertError(
      C(WITHDRAW.replace('projection: balances', 'projection: others')),
      16,
      30,
      "reads source other, not the entity's source accounts",
    );
  });

  it('state that is a stream has no row to read', () => {
    assertError(
      C(WITHDRAW.replace('projection: balances', 'projection: events')),
      16,
      30,
      'events is a stream',
    );
  });

  it('an unknown projection', () => {
    assertError(
      C(WITHDRAW.replace('projection: balances', 'projection: balance')),
      16,
      30,
      'unknown projection "balance"',
      'did you mean "balances"',
    );
  });

  it('a tumbling window instead of per/at', () => {
    const windowed = WITHDRAW.replace('per: day(at), at: day(now)', 'window: { type: tumbling, size: 1d }');
    assert.deepEqual(parseDefinition(C(windowed), 'p.yaml').errors, undefined);
    const both = WITHDRAW.replace('at: day(now)', 'at: day(now), window: { type: tumbling, size: 1d }');
    assert.ok(
      errorsOf(C(both)).some((e) => e.startsWith('p.yaml:17:') && e.includes('use one of them')),
      errorsOf(C(both)).join('\n'),
    );
    const hopping = WITHDRAW.replace(
      'per: day(at), at: day(now)',
      'window: { type: hopping, size: 1d, advance: 1h }',
    );
    assert.ok(
      errorsOf(C(hopping)).some((e) => e.startsWith('p.yaml:17:') && e.includes('only tumbling windows')),
      errorsOf(C(hopping)).join('\n'),
    );
    const bad = WITHDRAW.replace('per: day(at), at: day(now)', 'window: { type: tumbling }');
    assert.ok(errorsOf(C(bad)).some((e) => e.startsWith('p.yaml:17:') && e.includes('needs size')));
  });

  it('per without at', () => {
    assertError(C(WITHDRAW.replace(', at: day(now)', '')), 17, 14, 'per and at go together');
  });

  it('an unknown aggregate function in inline state', () => {
    assertError(
      C(WITHDRAW.replace('{ sum: { of: amount', '{ summ: { of: amount')),
      17,
      42,
      'unknown aggregate function "summ"',
      'did you mean "sum"',
    );
  });

  it('at reads the command, not the events: no state there', () => {
    assertError(C(WITHDRAW.replace('at: day(now)', 'at: day(state.x)')), 17, 106, 'unknown field "state"');
  });

  it('a rule reading a misspelt input field', () => {
    assertError(
      C(WITHDRAW.replace('>= input.amount', '>= input.amont')),
      19,
      50,
      'unknown field "amont" of input',
      'did you mean "amount"',
    );
  });

  it('a rule reading an unknown field of a state row', () => {
    assertError(
      C(WITHDRAW.replace('state.account.balance', 'state.account.balanse')),
      19,
      25,
      'unknown field "balanse" of state.account',
      'did you mean "balance"',
    );
  });

  it('a rule reading unknown state', () => {
    assertError(
      C(WITHDRAW.replace('state.account.balance', 'state.acount.balance')),
      19,
      25,
      'unknown field "acount" of state',
    );
  });

  it('a rule that is not a condition', () => {
    assertError(
      C(WITHDRAW.replace('state.account.balance >= input.amount', `"'yes'"`)),
      19,
      26,
      'a rule needs true or false',
    );
  });

  it('a rule without a message', () => {
    assertError(C(WITHDRAW.replace(', message: insufficient funds', '')), 19, 14, '"message" is required');
  });

  it('an emitted field the runtime writes', () => {
    assertError(
      C(WITHDRAW.replace('{ amount: input.amount }', '{ eventId: "\'x\'" }')),
      22,
      19,
      '"eventId" is written by the runtime',
    );
  });

  it('an emitted field with a syntax error', () => {
    assertError(
      C(WITHDRAW.replace('{ amount: input.amount }', '{ amount: "input.amount +" }')),
      22,
      42,
      'invalid expression',
    );
  });

  it('an unknown input type, and unknown command keys with a suggestion', () => {
    const body = WITHDRAW.replace('accountId: string', 'accountId: strin').replace('    rules:', '    rule:');
    assertError(C(body), 14, 25, 'got "strin"');
    assertError(C(body), 18, 5, 'unknown key "rule"', 'did you mean "rules"');
  });

  it('a command must emit something', () => {
    const body = WITHDRAW.slice(0, WITHDRAW.indexOf('    emit:')) + '    emit: []\n';
    assertError(C(body), 20, 11, 'must list at least 1 item');
  });

  it('expectedVersion takes any, no_stream, exists or a version', () => {
    assertError(
      C(WITHDRAW.replace('    rules:', '    expectedVersion: none\n    rules:')),
      18,
      22,
      'expected',
    );
    assert.deepEqual(
      errorsOf(C(WITHDRAW.replace('    rules:', '    expectedVersion: exists\n    rules:'))),
      [],
    );
  });

  it('first-writer-wins needs an entity version field', () => {
    const yaml = C(WITHDRAW).replace(
      'eventType: eventType }\nprojections',
      'eventType: eventType, conflicts: first-writer-wins }\nprojections',
    );
    assertError(yaml, 4, 71, 'declare entityVersion');
    const ok = C(WITHDRAW).replace(
      'eventType: eventType }\nprojections',
      'eventType: eventType, entityVersion: seq, conflicts: first-writer-wins }\nprojections',
    );
    assert.deepEqual(errorsOf(ok), []);
  });
});

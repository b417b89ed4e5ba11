// Located errors for upcasters and event-id deduplication on sources.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertError, errorsOf } from './helpers.ts';

const def = (source: string): string => `application: shop
sources:
  accounts:
    topic: account-events
    eventType: type
    version: v
${source}
  rows: { topic: rows, kind: table }
projections:
  p: { from: accounts, aggregate: { n: { count: "*" } } }
`;

void describe('upcaster and dedup checks', () => {
  void it('a valid chain with a split passes', () => {
    const yaml = def(`    eventId: id
    dedupHorizonMs: 1000
    upcast:
      Deposited:
        - { from: 1, rename: { amt: amount }, default: { currency: EUR } }
        - { from: 2, set: { cents: "int(amount * 100.0)" }, remove: [legacy] }
      Transferred:
        - from: 1
          split:
            - { type: Deposited, version: 1, rename: { to: account } }
            - { type: Withdrawn, rename: { from: account } }`);
    assert.deepEqual(errorsOf(yaml), []);
  });

  void it('a gap in a chain', () => {
    assertError(
      def(`    upcast:
      Deposited:
        - { from: 1, rename: { amt: amount } }
        - { from: 3, remove: [legacy] }`),
      10,
      19,
      'sources.accounts.upcast.Deposited.1.from',
      'the chain of Deposited has a gap: no step from version 2',
    );
  });

  void it('steps out of order and twice from the same version', () => {
    const yaml = def(`    upcast:
      A:
        - { from: 2 }
        - { from: 1 }
      B:
        - { from: 1 }
        - { from: 1 }`);
    assertError(yaml, 10, 19, 'list the steps of A in version order');
    assertError(yaml, 13, 19, 'B has two steps from version 1');
  });

  void it('upcast needs an eventType; a type change needs it to be a field', () => {
    assertError(
      `application: a
sources:
  s:
    topic: t
    upcast: { X: [{ from: 1 }] }
projections:
  p: { from: s, aggregate: { n: { count: "*" } } }
`,
      5,
      5,
      'upcasters are declared per event type; declare eventType',
    );
    assertError(
      `application: a
sources:
  s:
    topic: t
    eventType: "kind + 'x'"
    upcast: { X: [{ from: 1, split: [{ type: Y }] }] }
projections:
  p: { from: s, aggregate: { n: { count: "*" } } }
`,
      6,
      46,
      'is an expression, not a field',
    );
  });

  void it('splits that loop between types', () => {
    assertError(
      def(`    upcast:
      A:
        - { from: 1, split: [{ type: B, version: 1 }] }
      B:
        - { from: 1, split: [{ type: A, version: 1 }] }`),
      8,
      7,
      'upcasting would never end: A v1 → B v1 → A v1',
    );
  });

  void it('a split part version outside the target chain, and a same-type part that goes back', () => {
    const yaml = def(`    upcast:
      A:
        - { from: 1 }
        - { from: 2, split: [{ version: 2 }, { type: B, version: 5 }] }
      B:
        - { from: 1 }`);
    assertError(yaml, 10, 41, 'a split part of A must move forward: version 2 is not after 2');
    assertError(yaml, 10, 66, 'B has upcasters for versions 1 to 2; version 5 is outside them');
  });

  void it('rename conflicts and invalid set expressions', () => {
    const yaml = def(`    upcast:
      A:
        - { from: 1, rename: { a: c, b: c }, set: { x: "1 +" } }`);
    assertError(yaml, 9, 41, 'b and a are both renamed to c');
    assertError(yaml, 9, 60, 'invalid expression');
  });

  void it('dedup options on tables and a horizon without eventId', () => {
    const errors = errorsOf(`application: a
sources:
  s: { topic: t, dedupHorizonMs: 10 }
  r: { topic: r, kind: table, eventId: id }
projections:
  p: { from: s, aggregate: { n: { count: "*" } } }
`);
    assert.ok(
      errors.some((e) => e.startsWith('p.yaml:3:18: ') && e.includes('declare eventId')),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => e.startsWith('p.yaml:4:31: ') && e.includes('eventId applies to stream sources')),
      errors.join('\n'),
    );
  });
});

void describe('registry format checks', () => {
  const base = (extra: string, output = '') => `application: a
${extra}sources:
  s: { topic: t, format: avro }
  j: { topic: j, format: json-schema, readerSchema: { type: record } }
projections:
  p:
    from: s
    aggregate: { n: { count: "*" } }
    output: { format: avro${output} }
  q: { from: p, output: { subject: q-value } }
`;

  void it('registry formats need schemaRegistry.url; options that fit only some formats', () => {
    const errors = errorsOf(base(''));
    const has = (prefix: string, text: string) =>
      assert.ok(
        errors.some((e) => e.startsWith(prefix) && e.includes(text)),
        `${prefix} ${text}\n${errors.join('\n')}`,
      );
    has(
      'p.yaml:3:26: sources.s.format: ',
      'format avro reads schemas from a schema registry; set schemaRegistry.url',
    );
    has(
      'p.yaml:4:39: sources.j.readerSchema: ',
      'readerSchema is an Avro reader schema; source format is json-schema',
    );
    has('p.yaml:9:23: projections.p.output.format: ', 'other projections read "p", and they read JSON');
    has('p.yaml:10:27: projections.q.output.subject: ', 'the output format is json');
  });

  void it('a registry URL satisfies the format checks', () => {
    const errors = errorsOf(base('schemaRegistry: { url: "http://127.0.0.1:8081" }\n'));
    assert.ok(!errors.some((e) => e.includes('schemaRegistry.url')), errors.join('\n'));
  });
});

void describe('retired event types', () => {
  void it('a projection that selects a type the upcasters split away never matches', () => {
    const yaml = `application: shop
sources:
  accounts:
    topic: account-events
    eventType: type
    upcast:
      MoneyTransferred:
        - { from: 1, split: [{ type: MoneyWithdrawn }, { type: MoneyDeposited }] }
projections:
  p:
    from: accounts
    aggregate:
      n: { count: { on: [MoneyDeposited, MoneyTransferred] } }
      s: { sum: { MoneyTransferred: amount } }
    deleteOn: [MoneyTransferred]
`;
    assertError(
      yaml,
      13,
      42,
      'projections.p.aggregate.n.count.on.1',
      'no MoneyTransferred event reaches projections: the upcasters of source "accounts" split every MoneyTransferred into MoneyWithdrawn, MoneyDeposited',
    );
    assertError(yaml, 14, 19, 'projections.p.aggregate.s.sum.MoneyTransferred');
    assertError(yaml, 15, 16, 'projections.p.deleteOn.0');
    assert.equal(errorsOf(yaml).length, 3);
  });
});

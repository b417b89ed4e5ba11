// decide(): the pure seam the runtime calls. Input errors, version conflicts, rule rejections and
// accepted events, with the time and event ids injected; and the entity-version checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkEventVersion,
  compileCommands,
  type DecideRequest,
  expectedVersionHolds,
  inputJsonSchema,
  openApiDocument,
  parseExpectedVersion,
} from '../../../projections/commands/index.ts';
import { parseDefinition } from '../../../projections/definition/index.ts';

const YAML = `application: venue
sources:
  inventory: { topic: inventory-events, key: sku, eventType: type, eventId: id, time: at, entityVersion: v }
projections:
  stock: { from: inventory, aggregate: { onHand: { sum: { Received: qty, Taken: -qty } } } }
commands:
  take:
    entity: inventory
    input:
      sku: string
      qty: { type: int, min: 1, max: 100 }
      note: { type: string, optional: true, max: 5 }
      urgency: { type: string, optional: true, enum: [low, high] }
    state:
      stock: { projection: stock }
    rules:
      known: { require: state.stock != null, message: unknown item }
      enough: { require: state.stock.onHand - input.qty >= 0, message: not enough stock }
      weird: { require: "int(input.note) > 0 || input.note == null", message: note must be a number }
    emit:
      - type: Taken
        fields: { qty: input.qty, left: state.stock.onHand - input.qty }
      - type: RanOut
        if: state.stock.onHand == input.qty
`;

const parsed = parseDefinition(YAML, 'p.yaml');
assert.ok(parsed.definition, JSON.stringify(parsed.errors));
const definition = parsed.definition;
const take = compileCommands(definition).get('take')!;

const request = (over: Partial<DecideRequest> = {}): DecideRequest => ({
  input: { sku: 'bolt', qty: 3 },
  state: { stock: { onHand: 10 } },
  version: 4,
  now: 1_000,
  eventId: (i) => `cmd-1/${i}`,
  ...over,
});

describe('decide', () => {
  it('accepts: events with key, type, id, time and version filled in, and the new version', () => {
    const d = take.decide(request());
    assert.deepEqual(d, {
      outcome: 'accepted',
      newVersion: 5,
      events: [
        {
          topic: 'inventory-events',
          key: 'bolt',
          type: 'Taken',
          version: 5,
          timestamp: 1_000,
          value: { type: 'Taken', sku: 'bolt', qty: 3, left: 7, id: 'cmd-1/0', at: 1_000, v: 5 },
        },
      ],
    });
  });

  it('is deterministic: the same request decides the same', () => {
    assert.deepEqual(take.decide(request()), take.decide(request()));
  });

  it('emits conditional events, numbering ids and versions in order', () => {
    const d = take.decide(request({ input: { sku: 'bolt', qty: 10 } }));
    assert.equal(d.outcome, 'accepted');
    if (d.outcome !== 'accepted') return;
    assert.deepEqual(
      d.events.map((e) => [e.type, e.version, e.value.id]),
      [
        ['Taken', 5, 'cmd-1/0'],
        ['RanOut', 6, 'cmd-1/1'],
      ],
    );
    assert.equal(d.newVersion, 6);
  });

  it('rejects with the first failing rule, its name and message', () => {
    assert.deepEqual(take.decide(request({ input: { sku: 'bolt', qty: 11 } })), {
      outcome: 'rejected',
      rule: 'enough',
      message: 'not enough stock',
    });
  });

  it('missing state (null) fails a rule that reads it instead of throwing', () => {
    assert.deepEqual(take.decide(request({ state: {} })), {
      outcome: 'rejected',
      rule: 'known',
      message: 'unknown item',
    });
  });

  it('a rule whose evaluation fails rejects, with the error beside the message', () => {
    const d = take.decide(request({ input: { sku: 'bolt', qty: 1, note: 'abc' } }));
    assert.equal(d.outcome, 'rejected');
    assert.ok(d.outcome === 'rejected' && d.rule === 'weird' && d.error, JSON.stringify(d));
  });

  it('invalid input: one error per field, nothing decided', () => {
    const d = take.decide(request({ input: { qty: 0, note: 'too long', urgency: 'now', extra: 1 } }));
    assert.deepEqual(d, {
      outcome: 'invalid',
      errors: [
        { field: 'sku', message: 'is required' },
        { field: 'qty', message: 'must be at least 1' },
        { field: 'note', message: 'must be at most 5 characters' },
        { field: 'urgency', message: 'must be one of "low", "high"' },
        { field: 'extra', message: 'is not an input of this command' },
      ],
    });
    assert.deepEqual(take.decide(request({ input: [1] })), {
      outcome: 'invalid',
      errors: [{ field: '', message: 'expected a JSON object, got a list' }],
    });
    assert.deepEqual(take.decide(request({ input: { sku: 1, qty: 2.5 } })).outcome, 'invalid');
  });

  it('a version conflict reports the expected and the current version, before any rule', () => {
    assert.deepEqual(take.decide(request({ expectedVersion: 3, input: { sku: 'bolt', qty: 99 } })), {
      outcome: 'conflict',
      expected: 3,
      current: 4,
    });
    assert.equal(take.decide(request({ expectedVersion: 4 })).outcome, 'accepted');
  });

  it('reads state by the entity key', () => {
    assert.deepEqual(take.stateReads({ sku: 'bolt', qty: 1 }, 0), [
      { name: 'stock', projection: 'stock', key: 'bolt' },
    ]);
  });
});

describe('entity versions', () => {
  it('expected versions: any, no_stream, exists, exact', () => {
    const table: [Parameters<typeof expectedVersionHolds>[0], number, boolean][] = [
      ['any', 0, true],
      ['any', 7, true],
      ['no_stream', 0, true],
      ['no_stream', 1, false],
      ['exists', 0, false],
      ['exists', 1, true],
      [3, 3, true],
      [3, 4, false],
      [0, 0, true],
    ];
    for (const [expected, current, holds] of table) {
      assert.equal(expectedVersionHolds(expected, current), holds, `${expected} at ${current}`);
    }
  });

  it('parses expectedVersion from a request', () => {
    assert.equal(parseExpectedVersion('no_stream'), 'no_stream');
    assert.equal(parseExpectedVersion('12'), 12);
    assert.equal(parseExpectedVersion(0), 0);
    assert.equal(parseExpectedVersion(-1), undefined);
    assert.equal(parseExpectedVersion('1.5'), undefined);
    assert.equal(parseExpectedVersion('stream_exists'), undefined);
  });

  it('first-writer-wins: only current + 1 is accepted, with a reason otherwise', () => {
    assert.deepEqual(checkEventVersion(2, 3, 'seq'), { accepted: true, version: 3 });
    const stale = checkEventVersion(2, 2, 'seq');
    assert.ok(!stale.accepted && stale.reason.includes('already taken'), JSON.stringify(stale));
    const gap = checkEventVersion(2, 5, 'seq');
    assert.ok(!gap.accepted && gap.reason.includes('must carry 3'), JSON.stringify(gap));
    const missing = checkEventVersion(0, undefined, 'seq');
    assert.ok(!missing.accepted && missing.reason.includes('got nothing'), JSON.stringify(missing));
    assert.equal(checkEventVersion(0, '1', 'seq').accepted, false);
    assert.equal(checkEventVersion(0, 1, 'seq').accepted, true);
  });
});

describe('input schema', () => {
  it('is a JSON Schema of the request body', () => {
    assert.deepEqual(inputJsonSchema(definition.commands!.take!), {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: {
        sku: { type: 'string' },
        qty: { type: 'integer', minimum: 1, maximum: 100 },
        note: { anyOf: [{ type: 'string', maxLength: 5 }, { type: 'null' }] },
        urgency: { anyOf: [{ type: 'string', enum: ['low', 'high'] }, { type: 'null' }] },
      },
      required: ['sku', 'qty'],
      additionalProperties: false,
    });
  });

  it('gives an OpenAPI path per command', () => {
    const doc = openApiDocument(definition) as {
      openapi: string;
      paths: Record<string, { post: { requestBody: unknown } }>;
    };
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.paths), ['/commands/take']);
    const body = doc.paths['/commands/take']!.post.requestBody as {
      content: { 'application/json': { schema: { required: string[] } } };
    };
    assert.deepEqual(body.content['application/json'].schema.required, ['sku', 'qty']);
  });
});

// The partition check on source records: murmur2 as Kafka's default partitioner computes it (the
// Java client's vectors, kafkajs' own DefaultPartitioner), the hashing shortcut for records keyed
// by their entity key, and the checks on missing keys and event types.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Partitioners } from 'kafkajs';
import { parseConfig } from '../../../runtime/config/load.ts';
import { RecordRejected, sourceDecoder } from '../../../runtime/formats/source-decoder.ts';
import { misplacement, misplacementMessage } from '../../../runtime/sources/index.ts';

const metadata = (partitions: number) =>
  Array.from({ length: partitions }, (_, p) => ({
    partitionId: p,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

/** Where kafkajs' DefaultPartitioner (the Java client's, murmur2) puts a message keyed `key`. */
const kafkajsPartition = (key: string, partitions: number): number =>
  Partitioners.DefaultPartitioner()({
    topic: 't',
    partitionMetadata: metadata(partitions),
    message: { key: Buffer.from(key), value: null },
  });

void describe('placement of a source record', () => {
  it("expects the partition kafkajs' DefaultPartitioner picks, and accepts only that one", () => {
    const keys = ['a1', 'zz', '21', 'foobar', 'é', '{"day":3,"id":"c1"}', ''];
    for (let i = 0; i < 200; i++) keys.push(`account-${i}`);
    for (const partitions of [2, 3, 6, 12]) {
      for (const key of keys) {
        const right = kafkajsPartition(key, partitions);
        for (let p = 0; p < partitions; p++) {
          const m = misplacement(key, null, p, partitions);
          if (p === right) assert.equal(m, undefined, `${key} on its own partition ${p}/${partitions}`);
          else assert.deepEqual(m, { partition: p, expected: right }, `${key} on ${p}/${partitions}`);
        }
      }
    }
  });

  it('matches the Java client on its murmur2 vectors (toPositive(murmur2) % n)', () => {
    // Kafka UtilsTest.testMurmur2: '21' → -973932308, 'foobar' → -790332482
    assert.equal(misplacement('21', null, 0, 1000)?.expected, (-973932308 & 0x7fffffff) % 1000);
    assert.equal(misplacement('foobar', null, 0, 1000)?.expected, (-790332482 & 0x7fffffff) % 1000);
  });

  it('trusts a message key equal to the entity key (no hashing) and checks any other', () => {
    const wrong = (kafkajsPartition('zz', 6) + 1) % 6;
    assert.equal(misplacement('zz', 'zz', wrong, 6), undefined, 'keyed by the entity key: placed by it');
    assert.deepEqual(misplacement('zz', 'a6', wrong, 6), {
      partition: wrong,
      expected: kafkajsPartition('zz', 6),
    });
    assert.equal(misplacement('zz', null, wrong, 1), undefined, 'one partition: nothing to check');
    assert.equal(misplacement('zz', null, wrong, 0), undefined, 'count unknown: not checked');
  });

  it('names both partitions and the remedies in the reason', () => {
    const text = misplacementMessage('accounts', 'zz', { partition: 3, expected: 0 });
    assert.match(text, /key "zz" belongs to partition 0/);
    assert.match(text, /read from partition 3/);
    assert.match(text, /sources\.accounts\.partitioning: repartition/);
  });
});

void describe('entity checks in the source decoder', () => {
  const def = parseConfig(
    JSON.stringify({
      application: 'shop',
      sources: {
        accounts: { topic: 'accounts', key: 'accountId', eventType: 'eventType' },
        rows: { topic: 'rows', kind: 'table' },
        byKey: { topic: 'by-key', key: 'accountId', partitioning: 'messageKey' },
        byJsonKey: { topic: 'by-json-key', key: 'accountId', partitioning: 'messageKey', keyFormat: 'json' },
        upcast: {
          topic: 'upcast',
          key: 'accountId',
          eventType: 'eventType',
          version: 'v',
          upcast: { Opened: [{ from: 1, rename: { account: 'accountId' } }] },
        },
      },
      projections: { n: { from: 'accounts', aggregate: { n: { count: '*' } } } },
    }),
    'unit.yaml',
    {},
  );
  const raw = (topic: string, partition: number, key: string | null, value: unknown) => ({
    topic,
    partition,
    offset: 1,
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(JSON.stringify(value)),
    timestamp: 1,
  });
  const kindOf = (fn: () => unknown): string | undefined => {
    try {
      fn();
      return undefined;
    } catch (err) {
      assert.ok(err instanceof RecordRejected, String(err));
      return err.kind;
    }
  };
  const decoder = (source: string) => {
    const d = sourceDecoder(def, source);
    d.entity.partitions = 6;
    return d;
  };
  const home = kafkajsPartition('zz', 6);
  const away = (home + 1) % 6;
  const deposit = { eventType: 'MoneyDeposited', accountId: 'zz', amount: 1 };

  it('accepts an event on its key partition, keyed or not', () => {
    const d = decoder('accounts');
    assert.equal(
      kindOf(() => d.decode(raw('accounts', home, null, deposit))),
      undefined,
    );
    assert.equal(
      kindOf(() => d.decode(raw('accounts', home, 'other', deposit))),
      undefined,
    );
    assert.equal(
      kindOf(() => d.decode(raw('accounts', away, 'zz', deposit))),
      undefined,
      'trusted',
    );
  });

  it('rejects a null-keyed or differently keyed event elsewhere as misrouted', () => {
    const d = decoder('accounts');
    assert.equal(
      kindOf(() => d.decode(raw('accounts', away, null, deposit))),
      'misrouted',
    );
    assert.equal(
      kindOf(() => d.decode(raw('accounts', away, 'a6', deposit))),
      'misrouted',
    );
  });

  it('rejects events without their key or type, and table rows on the wrong partition', () => {
    const d = decoder('accounts');
    assert.equal(
      kindOf(() => d.decode(raw('accounts', home, 'zz', { eventType: 'X' }))),
      'missing-key',
    );
    assert.equal(
      kindOf(() => d.decode(raw('accounts', home, 'zz', { accountId: 'zz' }))),
      'missing-type',
    );
    const rows = decoder('rows');
    assert.equal(
      kindOf(() => rows.decode(raw('rows', home, 'zz', { a: 1 }))),
      undefined,
    );
    const otherKey = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].find((k) => kafkajsPartition(k, 6) !== home)!;
    assert.equal(
      kindOf(() => rows.decode(raw('rows', home, otherKey, { a: 1 }))),
      undefined,
      'trusted',
    );
  });

  it('reads the key after upcasting, as the engine does', () => {
    const d = decoder('upcast');
    const v1 = { eventType: 'Opened', account: 'zz' };
    assert.equal(
      kindOf(() => d.decode(raw('upcast', home, null, v1))),
      undefined,
    );
    assert.equal(
      kindOf(() => d.decode(raw('upcast', away, null, v1))),
      'misrouted',
    );
  });

  it('is off only when measuring', () => {
    const d = decoder('accounts');
    d.entity.enabled = false;
    assert.equal(
      kindOf(() => d.decode(raw('accounts', away, null, deposit))),
      undefined,
    );
  });

  it("under partitioning: messageKey, needs a message key naming the event's entity", () => {
    const d = decoder('byKey');
    assert.equal(
      kindOf(() => d.decode(raw('by-key', home, 'zz', deposit))),
      undefined,
    );
    assert.equal(
      kindOf(() => d.decode(raw('by-key', home, null, deposit))),
      'missing-key',
    );
    assert.equal(
      kindOf(() => d.decode(raw('by-key', home, 'a6', deposit))),
      'key-mismatch',
    );
    const json = decoder('byJsonKey');
    // JSON keys are re-keyed through the repartition topic: any partition will do.
    assert.equal(
      kindOf(() => json.decode(raw('by-json-key', away, '"zz"', deposit))),
      undefined,
    );
    assert.equal(
      kindOf(() => json.decode(raw('by-json-key', home, '"a6"', deposit))),
      'key-mismatch',
    );
    assert.equal(
      kindOf(() => json.decode(raw('by-json-key', home, null, deposit))),
      'missing-key',
    );
  });
});

// Dead letters against a real broker: built records land with the original bytes and the error
// headers; `dlq list` reads them back; `dlq replay` re-produces the originals to their source topics.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkDefinition } from '../../../projections/definition/index.ts';
import { ExpressionError } from '../../../projections/expressions/index.ts';
import { UpcastError } from '../../../projections/upcasting/index.ts';
import {
  DeadLetterBuffer,
  DLQ_HEADERS,
  deadLetterFromPoison,
  deadLetterRecord,
  deadLetterTopicOf,
  readDeadLetters,
  replayDeadLetters,
  selectDeadLetters,
} from '../../../runtime/dlq/index.ts';
import {
  brokers,
  createTopic,
  kafka,
  produce,
  readToEnd,
  transactionalProducer,
  uniqueTopic,
} from '../helpers.ts';

const CLI = fileURLToPath(new URL('../../../runtime/cli/main.ts', import.meta.url));

void describe('dead letters on a broker', () => {
  void it('list and replay', async () => {
    const app = uniqueTopic('dlqapp').replaceAll('-', '_');
    const accounts = uniqueTopic('dlq-accounts');
    const orders = uniqueTopic('dlq-orders');
    const ordersDlq = uniqueTopic('dlq-orders-dlq');
    const raw = {
      application: app,
      sources: {
        accounts: { topic: accounts, key: 'accountId', eventId: 'id' },
        orders: { topic: orders, deadLetterTopic: ordersDlq },
      },
      projections: { n: { from: 'accounts', aggregate: { n: { count: '*' } } } },
    };
    const r = checkDefinition(raw);
    assert.ok(r.definition);
    const def = r.definition;
    const appDlq = deadLetterTopicOf(def, 'accounts');
    assert.equal(appDlq, `${app}-dlq`);
    assert.equal(deadLetterTopicOf(def, 'orders'), ordersDlq);
    for (const t of [accounts, orders, appDlq, ordersDlq]) await createTopic(t);

    // recent times: the broker's time retention deletes records with old timestamps
    const base = Date.now() - 60_000;
    const t0 = Date.now() - 10_000;
    const origin = (
      topic: string,
      offset: number,
      value: string | null,
      headers?: Record<string, string>,
    ) => ({
      topic,
      partition: 0,
      offset,
      key: Buffer.from(`k${offset}`),
      value: value === null ? null : Buffer.from(value),
      timestamp: base + offset,
      headers,
    });

    const letters = [
      deadLetterFromPoison(
        {
          raw: origin(accounts, 3, '{not json', { trace: 'x1' }),
          kind: 'value-not-json',
          message: 'the value is not JSON',
        },
        { now: t0 },
      ),
      deadLetterRecord(
        origin(accounts, 7, '{"id":"e7","amount":"ten"}'),
        new ExpressionError('no such overload', 'amount * 2'),
        {
          projection: 'n',
          now: t0 + 1000,
        },
      ),
      deadLetterRecord(origin(orders, 9, '{"v":9}'), new UpcastError('X version 9 is newer'), {
        projection: 'n',
        now: t0 + 2000,
      }),
    ];
    assert.equal(letters[0]!.headers[DLQ_HEADERS.kind], 'decode');
    assert.equal(letters[1]!.headers[DLQ_HEADERS.kind], 'expression');
    assert.equal(letters[2]!.headers[DLQ_HEADERS.kind], 'upcast');
    await produce(appDlq, letters.slice(0, 2));
    await produce(ordersDlq, letters.slice(2));

    // the raw records as they sit on the topic
    const onTopic = await readToEnd(appDlq);
    assert.equal(onTopic.length, 2);
    const h = onTopic[1]!.headers!;
    assert.equal(h[DLQ_HEADERS.sourceTopic]!.toString(), accounts);
    assert.equal(h[DLQ_HEADERS.sourcePartition]!.toString(), '0');
    assert.equal(h[DLQ_HEADERS.sourceOffset]!.toString(), '7');
    assert.equal(h[DLQ_HEADERS.projection]!.toString(), 'n');
    assert.equal(h[DLQ_HEADERS.time]!.toString(), new Date(t0 + 1000).toISOString());
    assert.match(h[DLQ_HEADERS.message]!.toString(), /no such overload/);
    assert.equal(onTopic[1]!.value, '{"id":"e7","amount":"ten"}');
    assert.equal(onTopic[0]!.headers!.trace!.toString(), 'x1', 'original headers kept');

    const client = kafka('streamfold-test-dlq');
    const all = await readDeadLetters(client, def);
    assert.deepEqual(
      all.map((d) => [d.kind, d.source.topic, d.source.offset, d.projection ?? null]),
      [
        ['decode', accounts, 3, null],
        ['expression', accounts, 7, 'n'],
        ['upcast', orders, 9, 'n'],
      ],
    );

    // the CLI prints them
    const dir = mkdtempSync(path.join(tmpdir(), 'streamfold-dlq-'));
    try {
      const config = path.join(dir, 'p.yaml');
      writeFileSync(config, JSON.stringify(raw));
      const list = spawnSync(
        process.execPath,
        ['--import', 'tsx', CLI, 'dlq', 'list', '-c', config, '--limit', '2'],
        {
          encoding: 'utf8',
          env: { ...process.env, KAFKA_BROKERS: brokers().join(',') },
        },
      );
      assert.equal(list.status, 0, list.stderr);
      const lines = list.stdout.trim().split('\n');
      assert.equal(lines.length, 3, `${list.stdout}\n${list.stderr}`);
      assert.match(
        lines[0]!,
        new RegExp(
          `^${new Date(t0 + 1000).toISOString()}  expression   ${accounts}/0@7  n  key="k7"  no such overload`,
        ),
      );
      assert.match(lines[1]!, /upcast .* key="k9"  X version 9 is newer/);
      assert.match(lines[2]!, /^3 dead letters in .* \(1 older not shown\)$/);
      const bad = spawnSync(
        process.execPath,
        ['--import', 'tsx', CLI, 'dlq', 'replay', '-c', config, '--kind', 'nope'],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(bad.status, 2);
      assert.match(
        bad.stderr,
        /--kind: expected one of decode, schema, missing-key, missing-type, misrouted, key-mismatch, expression, upcast, late, process/,
      );
      // the CLI replays the upcast failure (timestamp: now)
      const before = Date.now();
      const replay = spawnSync(
        process.execPath,
        ['--import', 'tsx', CLI, 'dlq', 'replay', '-c', config, '--kind', 'upcast'],
        { encoding: 'utf8', env: { ...process.env, KAFKA_BROKERS: brokers().join(',') } },
      );
      assert.equal(replay.status, 0, replay.stderr);
      assert.equal(replay.stdout, `replayed 1 dead letter: 1 to ${orders}\n`);
      const fromCli = await readToEnd(orders);
      assert.equal(fromCli.length, 1);
      assert.equal(fromCli[0]!.value, '{"v":9}');
      assert.ok(fromCli[0]!.timestamp >= before, 'replayed at the time of the replay');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // replay after a fix: what failed since t0 + 0.5 s, with the original timestamps
    const chosen = selectDeadLetters(all, { since: t0 + 500 });
    assert.equal(chosen.length, 2);
    const counts = await replayDeadLetters(client, chosen, { originalTimestamps: true });
    assert.deepEqual(
      [...counts],
      [
        [accounts, 1],
        [orders, 1],
      ],
    );
    const replayedAccounts = await readToEnd(accounts);
    assert.equal(replayedAccounts.length, 1);
    assert.equal(replayedAccounts[0]!.key, 'k7');
    assert.equal(replayedAccounts[0]!.value, '{"id":"e7","amount":"ten"}');
    assert.equal(replayedAccounts[0]!.timestamp, base + 7, 'the original timestamp');
    assert.ok(
      !Object.keys(replayedAccounts[0]!.headers ?? {}).some((k) => k.startsWith('streamfold.error.')),
      'replayed records carry no error headers',
    );
    const replayedOrders = await readToEnd(orders);
    assert.equal(replayedOrders.length, 2, 'replayed twice: once by the CLI, once here');
    assert.equal(replayedOrders[1]!.value, '{"v":9}');
    assert.equal(replayedOrders[1]!.timestamp, base + 9);
  });

  void it('a buffer flushes its dead letters inside a transaction, and an aborted one leaves none', async () => {
    const source = uniqueTopic('dlq-tx-source');
    const r = checkDefinition({
      application: 'txapp',
      deadLetterTopic: uniqueTopic('dlq-tx'),
      sources: { s: { topic: source } },
      projections: { n: { from: 's', aggregate: { n: { count: '*' } } } },
    });
    assert.ok(r.definition);
    const topic = r.definition.deadLetterTopic!;
    await createTopic(topic);
    const buffer = new DeadLetterBuffer(r.definition);
    const raw = (offset: number) => ({
      topic: source,
      partition: 0,
      offset,
      key: Buffer.from('k'),
      value: Buffer.from('{'),
      timestamp: 5,
    });
    const producer = await transactionalProducer(kafka('streamfold-test-dlq-tx'), 'dlq-tx-id');
    try {
      buffer.add(raw(1), new ExpressionError('bad', 'x'), 'n');
      const aborted = await producer.transaction();
      await buffer.flush(aborted);
      await aborted.abort();
      buffer.discard();
      buffer.add(raw(2), new ExpressionError('bad', 'x'), 'n');
      const committed = await producer.transaction();
      assert.equal(await buffer.flush(committed), 1);
      await committed.commit();
    } finally {
      await producer.disconnect();
    }
    const read = await readToEnd(topic);
    assert.deepEqual(
      read.map((m) => m.headers![DLQ_HEADERS.sourceOffset]!.toString()),
      ['2'],
    );
    assert.equal(buffer.counts.get('expression'), 2);
  });
});

// `streamfold watch` against the feed route over a real topic (in process): it prints each change
// of the key it follows, once, and a bad request is a one-line reason with exit code 2.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { watch } from '../../../runtime/cli/watch.ts';
import { Feeds } from '../../../runtime/http/feeds/feeds.ts';
import { changeRoutes } from '../../../runtime/http/routes/changes.ts';
import { createTopic, kafka, produce, uniqueTopic } from '../helpers.ts';
import { until } from './instances.ts';

const topic = uniqueTopic('feed-watch');
let app: FastifyInstance;
let base: URL;

before(async () => {
  await createTopic(topic, { partitions: 2, configs: { 'cleanup.policy': 'compact' } });
  app = Fastify();
  changeRoutes(
    app,
    new Feeds({
      kafka: kafka('feeds-watch'),
      topicOf: (p) => (p === 'table' ? topic : undefined),
      partitionsOf: async () => 2,
    }),
  );
  base = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
});

after(() => app.close());

test('watch prints the changes of one key, from the start position', { timeout: 60_000 }, async () => {
  const lines: string[] = [];
  const stop = new AbortController();
  const done = watch(
    base,
    'table',
    { config: 'none', key: 'k1', from: '0:0,1:0' },
    { write: (t) => lines.push(t) },
    stop.signal,
  );
  await produce(topic, [
    { key: 'k1', value: '{"n":1}' },
    { key: 'k2', value: '{"n":2}' },
    { key: 'k1', value: null },
  ]);
  await until('two lines', () => (lines.length >= 2 ? true : undefined), 20_000);
  await new Promise((r) => setTimeout(r, 500));
  stop.abort();
  assert.equal(await done, 0);
  assert.equal(lines.length, 2, lines.join(''));
  assert.match(lines[0]!, /Z k1 \{"n":1\}\n$/);
  assert.match(lines[1]!, /Z k1 deleted\n$/);
});

test('a bad request ends watch with its reason and exit code 2', async () => {
  assert.equal(await watch(base, 'nope', { config: 'none' }, { write: () => 0 }), 2);
  assert.equal(await watch(base, 'table', { config: 'none', key: 'a', prefix: 'b' }, { write: () => 0 }), 2);
});

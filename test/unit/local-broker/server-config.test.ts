// The local broker's rendered server.properties: every placeholder filled (a Windows data dir with forward
// slashes), the single-node settings the tests and the runtime rely on, cluster ids never starting with '-'.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newClusterId, renderServerProperties } from '../../../runtime/kafka/local-broker/server-config.ts';

void describe('local broker server.properties', () => {
  const rendered = renderServerProperties({
    host: '127.0.0.1',
    port: 39092,
    controllerPort: 39093,
    dataDir: 'C:\\x\\data',
  });
  const props = new Map(
    rendered
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

  void test('fills every placeholder', () => {
    assert.doesNotMatch([...props.values()].join('\n'), /\$\{/);
    assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093');
    assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:39093');
    assert.equal(props.get('log.dirs'), 'C:/x/data', 'backslashes would be escapes in a .properties file');
  });

  void test('single-node settings the tests and the runtime rely on', () => {
    assert.equal(props.get('auto.create.topics.enable'), 'false');
    assert.equal(props.get('group.initial.rebalance.delay.ms'), '0');
    // fixtures carry historic timestamps: time retention would delete them unread
    assert.equal(props.get('log.retention.ms'), '-1');
    for (const key of [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
    ]) {
      assert.equal(props.get(key), '1', key);
    }
  });

  void test('cluster ids are 22 url-safe characters that never look like an option', () => {
    let calls = 0;
    // First draw starts with '-' (0xfb << 2 in base64url): it must be rejected. The second is fixed
    // too: a random one starts with '-' once in 64 draws.
    const id = newClusterId((n) => (calls++ === 0 ? Buffer.alloc(n, 0xfb) : Buffer.alloc(n, 0x5a)));
    assert.equal(calls, 2);
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});

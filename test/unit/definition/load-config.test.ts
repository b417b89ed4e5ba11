// The runtime loader: env interpolation after YAML parsing keeps locations; errors are ConfigErrors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { interpolate, interpolateScalar } from '../../../runtime/config/interpolate.ts';
import { ConfigError, loadConfig, parseConfig } from '../../../runtime/config/load.ts';

const YAML = `application: shop
kafka:
  brokers: "\${KAFKA_BROKERS:-}"
http:
  port: \${PORT:-8080}
sources:
  s: { topic: "\${PREFIX}-events" }
projections:
  p: { from: s, where: "x > 1" }
`;

describe('env interpolation', () => {
  it('replaces ${VAR} and ${VAR:-default}, and unescapes $${', () => {
    assert.equal(interpolate('${A}-${B:-b}', { A: 'a' }), 'a-b');
    assert.equal(interpolate('${B:-b}', { B: '' }), 'b', ':- also covers the empty value');
    assert.equal(interpolate('${B}', { B: '' }), '');
    assert.equal(interpolate('$${A}', { A: 'a' }), '${A}');
    assert.throws(() => interpolate('${NOPE}', {}), /environment variable NOPE is not set/);
  });

  it('an unquoted lone reference takes the YAML type of its text; quoted stays a string', () => {
    assert.equal(interpolateScalar('${P:-8080}', true, {}), 8080);
    assert.equal(interpolateScalar('${P:-8080}', false, {}), '8080');
    assert.equal(interpolateScalar('${F:-true}', true, {}), true);
    assert.equal(interpolateScalar('x${P:-1}', true, {}), 'x1');
  });
});

describe('loadConfig / parseConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamfold-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('interpolates values and applies defaults', () => {
    const def = parseConfig(YAML, 'p.yaml', { PREFIX: 'shop' });
    assert.equal(def.kafka?.brokers, '');
    assert.equal(def.http?.port, 8080);
    assert.equal(def.sources.s?.topic, 'shop-events');
    assert.equal(def.sources.s?.kind, 'stream');
  });

  it('reports an unset variable at its scalar', () => {
    assert.throws(
      () => parseConfig(YAML, 'p.yaml', {}),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.lines.length === 1 &&
        e.lines[0] ===
          'p.yaml:7:15: sources.s.topic: environment variable PREFIX is not set (write ${PREFIX:-default} to give a default)',
    );
  });

  it('keeps locations of validation errors after interpolation', () => {
    assert.throws(
      () => parseConfig(YAML, 'p.yaml', { PREFIX: 'x', PORT: 'eighty' }),
      (e: unknown) =>
        e instanceof ConfigError && e.lines[0] === 'p.yaml:5:9: http.port: expected a number, got "eighty"',
    );
  });

  it('fills numbers and booleans from quoted references where the schema expects them', () => {
    const quoted = `application: shop
http: { port: "\${PORT:-8080}" }
sources:
  s: { topic: events, key: id, eventType: type }
projections:
  p:
    from: s
    history: { retention: 1d, maxVersions: "\${VERSIONS:-5}" }
    aggregate: { total: { latest: { of: amount, ignoreNulls: "\${IGNORE_NULLS:-true}" } } }
`;
    const def = parseConfig(quoted, 'q.yaml', { PORT: '9090', IGNORE_NULLS: 'false' });
    assert.equal(def.http?.port, 9090);
    assert.equal(def.projections.p?.history?.maxVersions, 5);
    assert.deepEqual(def.projections.p?.aggregate?.total, { latest: { of: 'amount', ignoreNulls: false } });
    assert.equal(parseConfig(quoted, 'q.yaml', {}).http?.port, 8080);
    assert.throws(
      () => parseConfig(quoted, 'q.yaml', { PORT: 'eighty' }),
      (e: unknown) =>
        e instanceof ConfigError && e.lines[0] === 'q.yaml:2:15: http.port: expected a number, got "eighty"',
    );
    // A quoted literal is what the user wrote: it is not coerced.
    assert.throws(
      () => parseConfig(quoted.replace('"\${PORT:-8080}"', '"8080"'), 'q.yaml', {}),
      /expected a number/,
    );
  });

  it('accepts plain numbers and booleans where an expression is expected', () => {
    const constants = `application: shop
sources:
  s: { topic: events, key: id, eventType: type }
projections:
  p:
    from: s
    where: true
    aggregate:
      items: { sum: { OrderItemAdded: 1, OrderItemRemoved: -1 } }
      weight: { sum: 2.5 }
`;
    const def = parseConfig(constants, 'c.yaml', {});
    assert.equal(def.projections.p?.where, 'true');
    assert.deepEqual(def.projections.p?.aggregate?.items, {
      sum: { OrderItemAdded: '1', OrderItemRemoved: '-1' },
    });
    assert.deepEqual(def.projections.p?.aggregate?.weight, { sum: '2.5' });
  });

  it('reads a file; a missing file is one line', () => {
    const file = join(dir, 'projections.yaml');
    writeFileSync(file, YAML);
    assert.equal(loadConfig(file, { PREFIX: 'a' }).application, 'shop');
    assert.throws(
      () => loadConfig(join(dir, 'missing.yaml')),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.lines.length === 1 &&
        /missing\.yaml: cannot read the definition: no such file$/.test(e.lines[0]!),
    );
  });
});

// docker-compose.yml, checked without a Docker engine: against the Compose Specification's JSON
// schema (the one docker compose validates with), and for what the quickstart relies on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { APICURIO_VERSION, KAFKA_VERSION } from '../../../runtime/kafka/local-broker/versions.ts';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const schema = JSON.parse(
  readFileSync(new URL('./compose-spec/compose-spec.json', import.meta.url), 'utf8'),
) as object;
// The schema is written for every validator, not for Ajv's strict type checks; unknown keywords stay errors.
const validate = new Ajv2020({ allErrors: true, strictTypes: false, strictTuples: false }).compile(schema);
const text = readFileSync('docker-compose.yml', 'utf8');
const compose = parse(text) as Compose;
const service = (name: string): Service => {
  const s = compose.services[name];
  assert.ok(s, `service ${name}`);
  return s;
};

void describe('docker-compose.yml', () => {
  void test('is valid against the Compose Specification schema', () => {
    const ok = validate(compose);
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  });

  void test('the schema check rejects broken files', () => {
    const broken = structuredClone(compose);
    (broken.services.kafka?.healthcheck as Record<string, unknown>).intervall = '10s';
    (broken.services.streamfold as Record<string, unknown>).ports = '8080:8080';
    (broken.services.generator?.depends_on as Record<string, { condition: string }>).kafka = {
      condition: 'healthy',
    };
    assert.equal(validate(broken), false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    for (const p of [
      '/services/kafka/healthcheck',
      '/services/streamfold/ports',
      '/services/generator/depends_on/kafka/condition',
    ])
      assert.ok(paths.includes(p), `${p} reported in ${paths.join(', ')}`);
  });

  void test('has the five services, each with a healthcheck', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [
      'generator',
      'kafka',
      'postgres',
      'registry',
      'streamfold',
    ]);
    for (const [name, s] of Object.entries(compose.services)) {
      const check = s.healthcheck?.test;
      assert.ok(Array.isArray(check) && check.length > 1, `${name} has a healthcheck`);
      assert.ok(['CMD', 'CMD-SHELL'].includes(check[0] as string), `${name}: exec or shell form`);
    }
  });

  void test('Kafka is the official image in KRaft mode, the version the local broker uses', () => {
    const kafka = service('kafka');
    assert.equal(kafka.image, `apache/kafka:${KAFKA_VERSION}`);
    const env = kafka.environment ?? {};
    assert.equal(env.KAFKA_PROCESS_ROLES, 'broker,controller');
    assert.ok(env.CLUSTER_ID, 'a fixed cluster id, so a restart finds its formatted log dirs');
    assert.match(env.KAFKA_CONTROLLER_QUORUM_VOTERS ?? '', /^1@kafka:\d+$/);
    assert.ok(!('KAFKA_ZOOKEEPER_CONNECT' in env));
    assert.match(env.KAFKA_ADVERTISED_LISTENERS ?? '', /\/\/kafka:9092/);
    assert.ok(
      kafka.volumes?.some((v) => v.endsWith(`:${env.KAFKA_LOG_DIRS}`)),
      'log dirs on a volume',
    );
    assert.deepEqual(kafka.healthcheck?.test.slice(0, 2), [
      'CMD',
      '/opt/kafka/bin/kafka-broker-api-versions.sh',
    ]);
  });

  void test('the registry is Apicurio Registry 3.1.x', () => {
    const image = service('registry').image ?? '';
    assert.match(image, /^apicurio\/apicurio-registry:3\.1\.\d+$/);
    // The local registry (Maven jars, Java 17) may be older; the same major version speaks the same API.
    assert.equal(image.split(':')[1]?.split('.')[0], APICURIO_VERSION.split('.')[0]);
    assert.match(service('registry').healthcheck?.test.join(' ') ?? '', /\/apis\/registry\/v3\/system\/info/);
  });

  void test('streamfold runs the image with projections.yaml mounted, state on a volume, after Kafka is healthy', () => {
    const s = service('streamfold');
    assert.equal(s.build, '.');
    assert.deepEqual(s.command?.slice(0, 3), ['run', '-c', '/app/projections.yaml']);
    assert.ok(
      s.volumes?.includes('./projections.yaml:/app/projections.yaml:ro'),
      'projections.yaml mounted read-only',
    );
    const env = s.environment ?? {};
    assert.equal(env.KAFKA_BROKERS, 'kafka:9092');
    assert.match(env.SCHEMA_REGISTRY_URL ?? '', /^http:\/\/registry:8080\/apis\/ccompat\/v7$/);
    const stateVolume = s.volumes?.find((v) => v.endsWith(`:${env.STREAMFOLD_STATE_DIR}`));
    assert.ok(stateVolume, 'the state dir is a volume');
    assert.ok(compose.volumes && (stateVolume.split(':')[0] as string) in compose.volumes, 'a named volume');
    assert.deepEqual(s.depends_on?.kafka, { condition: 'service_healthy' });
    assert.deepEqual(s.depends_on?.registry, { condition: 'service_healthy' });
    assert.match(s.healthcheck?.test.join(' ') ?? '', /\/healthz/);
  });

  void test('the generator uses the same image and writes to the same Kafka', () => {
    const g = service('generator');
    assert.equal(g.image, service('streamfold').image);
    assert.equal(g.command?.[0], 'generate');
    assert.equal(g.environment?.KAFKA_BROKERS, service('streamfold').environment?.KAFKA_BROKERS);
    assert.ok(
      g.volumes?.includes('./projections.yaml:/app/projections.yaml:ro'),
      'reads the same source topics',
    );
    assert.deepEqual(g.depends_on?.kafka, { condition: 'service_healthy' });
  });

  void test('no value holds a `$` that compose would interpolate', () => {
    // Compose replaces $VAR and ${VAR} in every string; a literal dollar must be written $$.
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    };
    walk(compose);
    for (const s of strings) assert.ok(!/(^|[^$])\$(?!\$)/.test(s), `unescaped $ in: ${s}`);
  });

  void test('published ports listen on the host loopback only', () => {
    for (const [name, s] of Object.entries(compose.services))
      for (const p of s.ports ?? []) assert.match(p, /^127\.0\.0\.1:\d+:\d+$/, `${name}: ${p}`);
  });
});

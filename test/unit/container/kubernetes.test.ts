// deploy/kubernetes, checked without a cluster: every object against the Kubernetes OpenAPI schemas
// (kubernetes-models' generated validators), and what the instances rely on: stable DNS names for
// forwarding, probes on the real health paths, state on the claimed volume, a grace period longer
// than `run`'s own stop deadline, memory requests above the measured RSS, and a definition that
// loads from the ConfigMap and Secret alone.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../../runtime/config/load.ts';
import { STOP_TIMEOUT_MS } from '../../../runtime/cli/run.ts';

const DIR = 'deploy/kubernetes';
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

type Obj = Record<string, any>;
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const objects: Obj[] = files.flatMap((f) =>
  parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => d.toJS() as Obj),
);
const one = (kind: string, name?: string): Obj => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `one ${kind} ${name ?? ''}`);
  return found[0]!;
};
const validate = (o: Obj): void => {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  assert.ok(Model, `a schema for ${o.apiVersion} ${o.kind}`);
  new Model(o as never).validate();
};

describe('Kubernetes manifests', () => {
  it('validate against the Kubernetes OpenAPI schemas, and the validator does reject', () => {
    for (const o of objects) validate(o);
    const broken = structuredClone(one('StatefulSet'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    assert.throws(() => validate(broken), /containerPort must be integer/);
  });

  it('are all listed in the kustomization', () => {
    const kustomization = parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0]!.toJS();
    assert.deepEqual([...kustomization.resources].sort(), [...files].sort());
  });

  const set = one('StatefulSet');
  const pod = set.spec.template.spec;
  const container = pod.containers[0];
  const env = new Map<string, string>(
    container.env.filter((e: Obj) => e.value).map((e: Obj) => [e.name, e.value]),
  );

  it('give each pod a stable name on a headless Service, advertised for forwarding', () => {
    const headless = one('Service', set.spec.serviceName);
    assert.equal(headless.spec.clusterIP, 'None');
    assert.equal(headless.spec.publishNotReadyAddresses, true, 'a restoring instance answers 503 itself');
    assert.equal(
      env.get('STREAMFOLD_HTTP_ADVERTISED_HOST'),
      `$(POD_NAME).${set.spec.serviceName}.$(POD_NAMESPACE).svc.cluster.local`,
    );
    const labels = set.spec.template.metadata.labels;
    for (const o of [headless, one('Service', 'streamfold')])
      for (const [k, v] of Object.entries(o.spec.selector)) assert.equal(labels[k], v);
    for (const [k, v] of Object.entries(one('PodDisruptionBudget').spec.selector.matchLabels))
      assert.equal(labels[k], v);
    assert.deepEqual(set.spec.selector.matchLabels, labels);
  });

  it('probe /readyz and /healthz on the served port, and keep state on the claimed volume', () => {
    const port = container.ports.find((p: Obj) => p.name === container.readinessProbe.httpGet.port);
    assert.equal(String(port.containerPort), env.get('STREAMFOLD_HTTP_PORT'));
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    const claim = set.spec.volumeClaimTemplates[0].metadata.name;
    const mount = container.volumeMounts.find((m: Obj) => m.name === claim);
    assert.equal(mount.mountPath, env.get('STREAMFOLD_STATE_DIR'));
    assert.equal(pod.securityContext.runAsUser, 1000, "the image's node user");
    assert.equal(pod.securityContext.fsGroup, 1000, 'the volume is writable by it');
  });

  it('leave a clean close room: the grace period outlasts run’s own stop deadline', () => {
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > STOP_TIMEOUT_MS);
    assert.equal(one('PodDisruptionBudget').spec.maxUnavailable, 1);
  });

  it('request more memory than the measured peak RSS of benchmark (a)', () => {
    const bench = JSON.parse(readFileSync('bench/results/latest.json', 'utf8')) as {
      results: Array<{ scenario: string; contender: string; peakRssMiB?: number }>;
    };
    const rss = bench.results
      .filter((r) => r.scenario.startsWith('a-') && r.contender === 'streamfold' && r.peakRssMiB)
      .map((r) => r.peakRssMiB!);
    assert.ok(rss.length > 0);
    const requestMiB = Number(/^(\d+)Mi$/.exec(container.resources.requests.memory)![1]);
    assert.ok(requestMiB >= Math.max(...rss), `${requestMiB} MiB ≥ peak ${Math.max(...rss)} MiB`);
  });

  it('load the definition from the ConfigMap and the Secret alone', () => {
    const config = one('ConfigMap');
    const secret = one('Secret');
    const mount = container.volumeMounts.find((m: Obj) => m.name === 'config');
    assert.deepEqual(container.args, ['run', '-c', `${mount.mountPath}/projections.yaml`]);
    const fromEnv = { ...config.data, ...secret.stringData, ...Object.fromEntries(env) };
    const def = parseConfig(config.data['projections.yaml'], 'configmap.yaml', fromEnv);
    assert.equal(def.application, config.data.STREAMFOLD_APPLICATION);
    assert.equal(def.kafka?.brokers, config.data.KAFKA_BROKERS);
    assert.equal(def.http?.port, 8080);
    assert.deepEqual(
      container.envFrom.map((e: Obj) => (e.configMapRef ?? e.secretRef).name),
      [config.metadata.name, secret.metadata.name],
    );
  });
});

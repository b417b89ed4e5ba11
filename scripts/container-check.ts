// `npm run test:container`: builds the Dockerfile with a real Docker engine and checks the image
// against a test broker (docs/operations.md, "Container check"). Starts what it needs: Debian's
// docker.io and a private dockerd when no daemon answers, a stand-in base when node:24-slim cannot
// be pulled, and its own Kafka broker. Prints the build time, the image size and a PASS/FAIL line
// per check; exits 1 when a check fails. Containers, the broker and a daemon it started are always
// stopped; a daemon that was already running is left running.
//
//   npm run test:container [-- --port N] [-- --events N]     --port: the test broker's port
import { mkdirSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheRoot, ensureLocalBroker, type LocalBroker } from '../runtime/kafka/local-broker/index.ts';
import { ensureLocalPostgres } from '../runtime/views/local-postgres.ts';
import { ensureBaseImage } from './container/base-image.ts';
import { buildImage } from './container/build.ts';
import { composeCheck } from './container/compose.ts';
import { type Engine, ensureEngine, stopEngine } from './container/engine.ts';
import { type CheckResult, runtimeChecks, seconds } from './container/runtime-checks.ts';
import { freePort } from './free-port.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    events: { type: 'string', default: '3000' },
    seed: { type: 'string', default: 'container-check' },
  },
});
const IMAGE = 'streamfold:container-check';
const STOP_GRACE_SECONDS = 20;
const say = (line: string) => process.stdout.write(`[container] ${line}\n`);
// Resolved: runc refuses a container root whose path goes through a symlink.
mkdirSync(join(cacheRoot(), 'container-check'), { recursive: true });
const workDir = realpathSync(join(cacheRoot(), 'container-check'));
const runDir = join(workDir, 'runs', String(process.pid));

const cleanups: Array<() => unknown> = [];
async function cleanup(): Promise<void> {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      say(`cleanup failed: ${(err as Error).message}`);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    say(`${signal}: cleaning up`);
    void cleanup().then(() => process.exit(130));
  });

const results: CheckResult[] = [];
const report = (r: CheckResult) => {
  results.push(r);
  process.stdout.write(`${r.ok ? 'PASS' : 'FAIL'} ${r.name} (${seconds(r.ms)}): ${r.detail}\n`);
};

async function startBroker(): Promise<LocalBroker> {
  const broker = await ensureLocalBroker({
    port: values.port ? Number(values.port) : await freePort(),
    controllerPort: await freePort(),
    stateDir: join(runDir, 'broker'),
    fresh: true,
  });
  if (!broker.started) throw new Error(`a broker was already listening on ${broker.brokers.join(',')}`);
  return broker;
}

async function main(): Promise<boolean> {
  const t0 = Date.now();
  cleanups.push(() => rmSync(runDir, { recursive: true, force: true }));
  // The broker starts (JVM, ~10 s) while the engine, base and build run.
  const brokerReady = startBroker();
  cleanups.push(async () => {
    const broker = await brokerReady.catch(() => undefined);
    if (!broker) return;
    await broker.stop();
    say(`stopped the Kafka broker (pid ${broker.pid})`);
  });

  const engine: Engine = await ensureEngine(join(workDir, 'docker'), say);
  cleanups.push(async () => {
    if (!engine.daemon) return;
    await stopEngine(engine);
    say('stopped the Docker daemon it started');
  });
  say(`engine: ${engine.description}`);
  const base = await ensureBaseImage(engine, workDir, say);
  say(`base image: ${base.tag} (${base.origin})`);

  const build = await buildImage(engine, {
    tag: IMAGE,
    baseImage: base.tag,
    logFile: join(runDir, 'build.log'),
  });
  report(build.check);
  if (!build.check.ok) return false;
  report({ name: 'image size reported', ok: true, detail: build.size, ms: 0 });

  const broker = await brokerReady;
  say(`test broker: ${broker.brokers.join(',')} (pid ${broker.pid})`);
  // The example writes its balances view to PostgreSQL: a throwaway cluster on the host.
  const postgres = await ensureLocalPostgres({
    port: await freePort(),
    dataDir: join(runDir, 'postgres', 'data'),
  });
  cleanups.push(async () => {
    if (postgres.started) await postgres.stop();
    say('stopped the PostgreSQL cluster');
  });
  say(`PostgreSQL for the example's view: ${postgres.url}`);
  const ok = await runtimeChecks(
    {
      engine,
      image: IMAGE,
      brokers: broker.brokers.join(','),
      postgresUrl: postgres.url,
      httpPort: await freePort(),
      prefix: `streamfold-check-${process.pid}`,
      events: Number(values.events),
      seed: values.seed,
      stopGraceSeconds: STOP_GRACE_SECONDS,
    },
    report,
  );
  const compose = composeCheck(engine, `streamfold-check-${process.pid}`);
  process.stdout.write(`${compose.status} docker compose: ${compose.detail}\n`);

  const failed = results.filter((r) => !r.ok).length + (compose.status === 'FAIL' ? 1 : 0);
  const passed = results.filter((r) => r.ok).length + (compose.status === 'PASS' ? 1 : 0);
  say(`${passed} passed, ${failed} failed in ${seconds(Date.now() - t0)}`);
  return ok && failed === 0;
}

let ok = false;
try {
  ok = await main();
} catch (err) {
  process.stdout.write(`FAIL container check: ${(err as Error).message}\n`);
} finally {
  await cleanup();
}
process.exit(ok ? 0 : 1);

#!/usr/bin/env node
// `npm test`: unit tests first (no broker), then ONE local Kafka broker (and schema registry, and PostgreSQL
// cluster for the views) shared by the
// integration and conformance tests, stopped again whatever happens. The output ends with node:test's summary
// lines, summed over both runs.
//
//   node scripts/test.mjs                 unit + integration + conformance
//   node scripts/test.mjs --integration   integration + conformance only
//   node scripts/test.mjs --unit          unit only
//
// Environment: KAFKA_BROKERS (use that broker, start none), SCHEMA_REGISTRY_URL (same for the registry),
// STREAMFOLD_TEST_REGISTRY=0 (no registry, registry tests left out), STREAMFOLD_TEST_KAFKA_PORT (fixed port
// instead of a free one), STREAMFOLD_TEST_POSTGRES_URL (use that PostgreSQL, start none).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT_PATCH = new URL('../runtime/kafka/patches/timeout/index.ts', import.meta.url).href;
const EXIT_AFTER_TESTS = new URL('../test/exit-after-tests.ts', import.meta.url).href;
const args = new Set(process.argv.slice(2));
const runUnit = !args.has('--integration');
const runIntegration = !args.has('--unit');
const say = (line) => process.stdout.write(`[streamfold test] ${line}\n`);

/** Files under `dir` (relative to the root) ending in .test.ts, sorted; node 20's --test does not expand globs. */
function testFiles(dir) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => relative(root, join(e.parentPath ?? e.path, e.name)))
    .sort();
}

/** How long the test runner may print nothing before the run is taken for hung (a file reports when it ends: its tests take up to 15 min at their timeouts). */
const SILENCE_MS = 30 * 60_000;

const SUMMARY_KEYS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms'];
const totals = Object.fromEntries(SUMMARY_KEYS.map((k) => [k, 0]));

/** Runs node's test runner on `files`, echoing its output and adding its summary lines to `totals`. */
function runTests(files, extraArgs, env) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      // The timeout patch in every test process: tests connect kafkajs clients of their own.
      [
        '--import',
        'tsx',
        '--import',
        TIMEOUT_PATCH,
        // A file whose tests are done exits within seconds even if a client left a handle open.
        '--import',
        EXIT_AFTER_TESTS,
        '--test',
        '--test-reporter=spec',
        // Not --test-force-exit: with it, node's runner (24.x seen here) drops part of the files'
        // verdicts while a file exits (nodejs/node#64833): 616 of 654 unit tests were reported, at
        // exit code 0. A file left hanging by an open handle exits 5 s after its tests instead
        // (test/exit-after-tests.ts), and the watchdog below stops anything else that hangs.
        ...extraArgs,
        ...files,
      ],
      { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let pending = '';
    // A file whose tests are done but whose process does not exit (a client left a handle open)
    // would hang the run: after SILENCE_MS without any output, the run is stopped and fails.
    let hung = false;
    let watchdog;
    const watch = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        hung = true;
        say(
          `no test output for ${SILENCE_MS / 60_000} minutes: a test file hangs (an open handle?); stopping`,
        );
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }, SILENCE_MS);
    };
    watch();
    child.stdout.on('data', (chunk) => {
      watch();
      process.stdout.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^ℹ (\w+) ([\d.]+)$/.exec(line.trim());
        if (m && m[1] in totals) totals[m[1]] += Number(m[2]);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      resolve(code === 0 && !signal && !hung);
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const cleanups = [];
async function cleanup() {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()();
    } catch (err) {
      say(`cleanup failed: ${err.message}`);
    }
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    say(`${sig}: stopping the test services`);
    await cleanup();
    process.exit(130);
  });
}

/** Starts the broker (and registry) unless given from outside; returns env for the test process. */
async function startServices(withRegistry) {
  const env = {};
  const lb = await tsImport('../runtime/kafka/local-broker/index.ts', import.meta.url);
  const runDir = join(lb.cacheRoot(), 'test-runs', String(process.pid));
  mkdirSync(runDir, { recursive: true });
  let failed = false;
  cleanups.push(async () => {
    if (!failed) rmSync(runDir, { recursive: true, force: true });
    else say(`logs kept in ${relative(root, runDir)}`);
  });

  const starts = [];
  if (process.env.KAFKA_BROKERS) {
    say(`using the broker given in KAFKA_BROKERS=${process.env.KAFKA_BROKERS}`);
  } else {
    const port = Number(process.env.STREAMFOLD_TEST_KAFKA_PORT) || (await freePort());
    const controllerPort = await freePort();
    starts.push(
      (async () => {
        const t0 = Date.now();
        const broker = await lb.ensureLocalBroker({
          port,
          controllerPort,
          stateDir: join(runDir, 'broker'),
          fresh: true,
        });
        if (!broker.started)
          throw new Error(`a broker was already listening on ${broker.brokers}; not ours to use`);
        cleanups.push(async () => {
          await broker.stop();
          say(`stopped the Kafka broker (pid ${broker.pid})`);
        });
        const what = `Kafka ${lb.KAFKA_VERSION} broker on ${broker.brokers.join(',')} (pid ${broker.pid})`;
        say(`started ${what} in ${Date.now() - t0} ms; log ${relative(root, broker.logFile)}`);
        env.KAFKA_BROKERS = broker.brokers.join(',');
        env.STREAMFOLD_TEST_BROKER = `started by scripts/test.mjs: ${what}`;
      })(),
    );
  }
  if (withRegistry && process.env.SCHEMA_REGISTRY_URL) {
    say(`using the schema registry given in SCHEMA_REGISTRY_URL=${process.env.SCHEMA_REGISTRY_URL}`);
  } else if (withRegistry) {
    const port = await freePort();
    starts.push(
      (async () => {
        const t0 = Date.now();
        const registry = await lb.ensureLocalRegistry({ port, stateDir: join(runDir, 'registry') });
        cleanups.push(async () => {
          await registry.stop();
          say(`stopped the schema registry (pid ${registry.pid})`);
        });
        say(
          `started Apicurio Registry ${lb.APICURIO_VERSION} on ${registry.url} (pid ${registry.pid}) in ${Date.now() - t0} ms`,
        );
        env.SCHEMA_REGISTRY_URL = registry.url;
      })(),
    );
  }
  // PostgreSQL for the views (docs/views.md): a throwaway cluster per run, like the broker.
  if (process.env.STREAMFOLD_TEST_POSTGRES_URL) {
    say(
      `using the PostgreSQL given in STREAMFOLD_TEST_POSTGRES_URL=${process.env.STREAMFOLD_TEST_POSTGRES_URL}`,
    );
    env.STREAMFOLD_POSTGRES_URL = process.env.STREAMFOLD_TEST_POSTGRES_URL;
  } else {
    const port = await freePort();
    starts.push(
      (async () => {
        const t0 = Date.now();
        const lp = await tsImport('../runtime/views/local-postgres.ts', import.meta.url);
        const cluster = await lp.ensureLocalPostgres({ port, dataDir: join(runDir, 'postgres', 'data') });
        cleanups.push(async () => {
          await cluster.stop();
          say(`stopped PostgreSQL on port ${port}`);
        });
        say(`started PostgreSQL on 127.0.0.1:${port} in ${Date.now() - t0} ms`);
        env.STREAMFOLD_TEST_POSTGRES_URL = cluster.url;
        // The example's views (projections.yaml) write there too when a test runs it.
        env.STREAMFOLD_POSTGRES_URL = cluster.url;
      })(),
    );
  }
  const results = await Promise.allSettled(starts);
  for (const r of results) {
    if (r.status === 'rejected') {
      failed = true;
      say(`could not start a test service: ${r.reason?.message ?? r.reason}`);
      if (r.reason?.logTail)
        process.stdout.write(`--- last lines of ${r.reason.logFile} ---\n${r.reason.logTail}\n`);
    }
  }
  return { env, ok: !failed, markFailed: () => (failed = true) };
}

async function main() {
  let ok = true;
  if (runUnit) {
    const files = testFiles('test/unit');
    if (files.length === 0) say('no unit tests');
    else {
      say(`unit tests: ${files.length} files, no broker`);
      ok = (await runTests(files, [], {})) && ok;
    }
  }
  if (runIntegration) {
    const withRegistry = process.env.STREAMFOLD_TEST_REGISTRY !== '0';
    const files = [...testFiles('test/integration'), ...testFiles('test/conformance')].filter(
      (f) => withRegistry || !f.includes('registry'),
    );
    if (!withRegistry) say('STREAMFOLD_TEST_REGISTRY=0: registry tests left out');
    if (files.length === 0) say('no integration tests');
    else {
      const services = await startServices(withRegistry);
      if (!services.ok) ok = false;
      else {
        say(`integration tests: ${files.length} files, one at a time, against the broker above`);
        const passed = await runTests(files, ['--test-concurrency=1'], services.env);
        if (!passed) services.markFailed();
        ok = passed && ok;
      }
    }
  }
  await cleanup();
  if (!ok) say('FAILED');
  // Last: the summed node:test summary, in node's own format.
  for (const k of SUMMARY_KEYS) {
    const v = k === 'duration_ms' ? totals[k].toFixed(3) : totals[k];
    process.stdout.write(`ℹ ${k} ${v}\n`);
  }
  return ok;
}

let ok = false;
try {
  ok = await main();
} catch (err) {
  say(err?.stack ?? String(err));
  await cleanup();
}
process.exit(ok ? 0 : 1);

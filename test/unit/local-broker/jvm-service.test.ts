// The start-up flow shared by the local broker and registry, driven with small Node servers in
// place of JVMs: launch and wait, reuse a running instance, refuse a foreign port, report a crash.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { DetachedProcess } from '../../../runtime/kafka/local-broker/jvm-process.ts';
import { isAlive } from '../../../runtime/kafka/local-broker/jvm-process.ts';
import {
  ensureJvmService,
  type JvmServiceSpec,
  LocalServiceError,
} from '../../../runtime/kafka/local-broker/jvm-service.ts';

const dir = mkdtempSync(join(tmpdir(), 'streamfold-jvm-service-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A free port below the kernel's ephemeral range (32768+ on Linux): a port 0 picked for us could be
 * handed to another test's listener between our check and the child's listen, and a foreign
 * listener would then look like our service starting (seen in CI with many test files at once).
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}

/** A detached Node process standing in for a JVM; `script` gets the port as process.argv[1]. */
function launchNode(script: string, port: number, marker: string, pidFile: string, logFile: string) {
  return (): Promise<DetachedProcess> => {
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, ['-e', script, String(port), marker], {
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.unref();
    writeFileSync(pidFile, `${child.pid}\n`);
    return Promise.resolve({ pid: child.pid ?? -1, exited });
  };
}

const SERVER = `require('node:net').createServer((s) => s.end('hello')).listen(Number(process.argv[1]), '127.0.0.1')`;
const CRASH = `console.log('bad config: no such option'); process.exit(3)`;

function spec(name: string, port: number, script: string, serves = () => Promise.resolve(true)) {
  const pidFile = join(dir, `${name}.pid`);
  const logFile = join(dir, `${name}.log`);
  const marker = `--marker=${name}`;
  let launches = 0;
  const s: JvmServiceSpec = {
    what: 'test service',
    address: `127.0.0.1:${port}`,
    port,
    pidFile,
    marker,
    logFile,
    timeoutMs: 5_000,
    stopGraceMs: 1_000,
    serves,
    launch: () => {
      launches++;
      return launchNode(script, port, marker, pidFile, logFile)();
    },
  };
  return { spec: s, launches: () => launches };
}

void describe('ensureJvmService', () => {
  void test('launches once, waits until it serves; a second call reuses it; stop ends it', async () => {
    const port = await freePort();
    const { spec: s, launches } = spec('ok', port, SERVER);
    const first = await ensureJvmService(s);
    assert.equal(first.started, true);
    assert.ok(first.pid !== undefined && isAlive(first.pid));

    const second = await ensureJvmService(s);
    assert.equal(second.started, false, 'the pid file names a running instance');
    assert.equal(second.pid, first.pid);
    assert.equal(launches(), 1, 'never a second launch');
    await second.stop();
    assert.ok(isAlive(first.pid), 'stop of an instance this call did not start is a no-op');

    await first.stop();
    assert.equal(isAlive(first.pid), false);
  });

  void test('a port that serves the protocol is used as it is, one that does not is refused', async () => {
    const server: Server = createServer((sock) => sock.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const { spec: good, launches } = spec('foreign-ok', port, SERVER);
      const used = await ensureJvmService(good);
      assert.deepEqual([used.started, used.pid, launches()], [false, undefined, 0]);

      const { spec: bad } = spec('foreign-bad', port, SERVER, () => Promise.resolve(false));
      await assert.rejects(ensureJvmService(bad), (err: unknown) => {
        assert.ok(err instanceof LocalServiceError);
        assert.match(
          err.message,
          new RegExp(`port ${port} is in use by something that is not a test service`),
        );
        return true;
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  void test('a service that exits while starting is reported with its log tail', async () => {
    const port = await freePort();
    const { spec: s } = spec('crash', port, CRASH);
    await assert.rejects(ensureJvmService(s), (err: unknown) => {
      assert.ok(err instanceof LocalServiceError);
      assert.match(err.message, /test service exited while starting/);
      assert.match(err.logTail, /bad config: no such option/);
      return true;
    });
  });
});

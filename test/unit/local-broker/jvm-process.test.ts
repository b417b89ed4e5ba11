// Control of the local broker's JVM process: a pid file counts only while its process lives and is the one
// named (not a recycled pid), terminate goes from SIGTERM to SIGKILL after the grace period, and tailFile
// returns a log's last lines.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, runningPid, tailFile, terminate } from '../../../runtime/kafka/local-broker/jvm-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'streamfold-jvm-process-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('local broker process control', () => {
  void test('a pid file counts only while its process lives and carries the marker', () => {
    const pidFile = join(dir, 'self.pid');
    writeFileSync(pidFile, `${process.pid}\n`);
    assert.equal(runningPid(pidFile, process.execPath), process.pid);
    assert.equal(runningPid(pidFile, 'kafka.Kafka /some/other/server.properties'), undefined, 'recycled pid');
    writeFileSync(pidFile, '2147483646\n');
    assert.equal(runningPid(pidFile, ''), undefined, 'dead pid');
    assert.equal(runningPid(join(dir, 'missing.pid'), ''), undefined);
  });

  void test('terminate: SIGTERM first, SIGKILL once the grace period is over', async () => {
    const polite = spawn('sleep', ['30']);
    const stubborn = spawn('sh', ['-c', 'trap "" TERM; while :; do sleep 0.1; done']);
    await sleep(200); // let sh install its trap
    const t0 = Date.now();
    await terminate(polite.pid ?? -1, 5_000);
    assert.ok(Date.now() - t0 < 2_000, 'a process that honours SIGTERM is not waited on');
    assert.equal(isAlive(polite.pid ?? -1), false);

    const t1 = Date.now();
    await terminate(stubborn.pid ?? -1, 500);
    assert.ok(Date.now() - t1 >= 500, 'the grace period is given');
    assert.equal(isAlive(stubborn.pid ?? -1), false, 'then it is killed');
  });

  void test('tailFile returns the last lines', () => {
    const log = join(dir, 'broker.log');
    writeFileSync(log, `${Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n')}\n`);
    assert.equal(tailFile(log, 3), 'line 97\nline 98\nline 99');
    assert.equal(tailFile(join(dir, 'none.log')), '');
  });
});

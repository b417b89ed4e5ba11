// Concurrent writers with crashes (issue "Done when", CI-sized; COMMANDS_SOAK=1 for the long run):
// two `streamfold run` processes, many HTTP clients sending conflicting commands to either instance
// (forwarded to the owner), one instance SIGKILLed and restarted twice. Then, read_committed from
// offset 0: no prefix of any entity topic breaks an invariant (no overdraft or daily limit
// exceeded, stock never negative, no seat reserved while reserved); every accepted command has
// exactly one set of events and every rejected one none; retries with the same id never append
// twice and return the first outcome; the projections equal a replay of the log.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { parseConfig } from '../../../runtime/config/load.ts';
import { brokers, createTopics, readToEnd, testDir, uniqueTopic } from '../helpers.ts';
import { cli, type CliRun } from '../runtime/cli-process.ts';
import { oracle, outputTables, plain, type SeedEvent } from '../runtime/harness.ts';
import { bankViolations, bankYaml } from './bank.ts';

const dir = testDir('commands-concurrent');
const soak = process.env.COMMANDS_SOAK === '1';
const DURATION_MS = soak ? 60_000 : 20_000;
const CLIENTS = soak ? 50 : 24;
const ACCOUNTS = 20;
const SEATS = 100;
const SKUS = 10;

function definitionYaml(app: string) {
  const bank = bankYaml(`${app}-accounts`);
  const ids = { eventType: 'eventType', eventId: 'eventId', time: 'timestamp' };
  return {
    application: app,
    processing: bank.processing,
    sources: {
      ...bank.sources,
      inventory: { topic: `${app}-inventory`, key: 'sku', ...ids },
      seats: {
        topic: `${app}-seats`,
        key: 'seatId',
        ...ids,
        entityVersion: 'seq',
        conflicts: 'first-writer-wins',
      },
    },
    projections: {
      ...bank.projections,
      stock: {
        from: 'inventory',
        aggregate: { onHand: { sum: { StockReceived: 'quantity', StockTaken: '-quantity' } } },
      },
      seat_holders: {
        from: 'seats',
        aggregate: {
          holder: { latest: { of: 'person', on: ['SeatReserved'] } },
          reserved: { latest: { SeatReserved: 'true', SeatReleased: 'false' } },
        },
      },
    },
    commands: {
      ...bank.commands,
      receiveStock: {
        entity: 'inventory',
        input: { sku: 'string', quantity: { type: 'int', min: 1 } },
        emit: [{ type: 'StockReceived', fields: { quantity: 'input.quantity' } }],
      },
      takeStock: {
        entity: 'inventory',
        input: { sku: 'string', quantity: { type: 'int', min: 1 } },
        state: { stock: { projection: 'stock' } },
        rules: {
          enoughStock: {
            require: 'state.stock != null && state.stock.onHand >= input.quantity',
            message: 'not enough stock',
          },
        },
        emit: [{ type: 'StockTaken', fields: { quantity: 'input.quantity' } }],
      },
      reserveSeat: {
        entity: 'seats',
        input: { seatId: 'string', person: 'string' },
        state: { seat: { projection: 'seat_holders' } },
        rules: {
          seatFree: { require: 'state.seat == null || state.seat.reserved != true', message: 'taken' },
        },
        emit: [{ type: 'SeatReserved', fields: { person: 'input.person' } }],
      },
      releaseSeat: {
        entity: 'seats',
        input: { seatId: 'string', person: 'string' },
        state: { seat: { projection: 'seat_holders' } },
        rules: {
          heldByYou: {
            require: 'state.seat != null && state.seat.reserved == true && state.seat.holder == input.person',
            message: 'not yours',
          },
        },
        emit: [{ type: 'SeatReleased', fields: { person: 'input.person' } }],
      },
    },
  };
}

interface Instance {
  run: CliRun;
  url: string;
}

const instances: CliRun[] = [];
after(() => {
  for (const r of instances) if (r.child.exitCode === null) r.child.kill('SIGKILL');
});

async function startInstance(config: string, stateDir: string): Promise<Instance> {
  const run = cli(['run', '-c', config, '--brokers', brokers().join(','), '--state-dir', stateDir]);
  instances.push(run);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const m = /dashboard\s+(http:\/\/\S+)\/dashboard\//.exec(run.stdout());
    if (m) return { run, url: m[1]! };
    if (Date.now() > deadline || run.child.exitCode !== null)
      throw new Error(`instance did not start: ${run.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** Answers that were not final (retried with the same id), for the summary line. */
const retried = { unavailable: 0, pending: 0, failed: 0 };

/** Sends until a final answer (200/201/400/409), retrying 503s, 202s and dead instances with the same id. */
async function send(urls: () => string[], command: string, body: unknown, id: string): Promise<Answer> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const all = urls();
    const url = all[Math.floor(Math.random() * all.length)]!;
    try {
      const res = await fetch(`${url}/commands/${command}?timeoutMs=5000`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': id },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status !== 503 && res.status !== 202) return { status: res.status, body: json };
      retried[res.status === 503 ? 'unavailable' : 'pending']++;
    } catch {
      // the instance died or is restarting: another try, maybe on the other instance
      retried.failed++;
    }
    if (Date.now() > deadline) throw new Error(`no final answer for ${command} ${id}`);
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
  }
}

test(
  'concurrent writers, two instances, SIGKILL and restart: invariants, exactly once, idempotent retries',
  { timeout: soak ? 900_000 : 300_000 },
  async () => {
    const app = uniqueTopic('cmd-conc').replaceAll('-', '_');
    const yaml = definitionYaml(app);
    const definition = parseConfig(stringify(yaml), 'concurrent.yaml', {});
    const config = join(dir, 'concurrent.yaml');
    writeFileSync(config, stringify(yaml));
    const topics = [`${app}-accounts`, `${app}-inventory`, `${app}-seats`];
    await createTopics(topics, { partitions: 4 });

    const a = await startInstance(config, join(dir, 'a'));
    let b = await startInstance(config, join(dir, 'b'));
    let live = [a.url, b.url];
    const urls = () => live;

    const sent: Array<{ command: string; id: string; body: unknown; answer: Answer }> = [];
    let n = 0;
    const call = async (command: string, body: unknown, id = `${command}-${n++}`) => {
      const answer = await send(urls, command, body, id);
      sent.push({ command, id, body, answer });
      return answer;
    };
    // Set-up: accounts with money, stock.
    for (let i = 0; i < ACCOUNTS; i++) {
      assert.equal((await call('openAccount', { accountId: `acc${i}`, owner: `o${i}` })).status, 201);
      assert.equal((await call('deposit', { accountId: `acc${i}`, amount: 300 })).status, 201);
    }
    for (let i = 0; i < SKUS; i++) await call('receiveStock', { sku: `sku${i}`, quantity: 5 });
    await httpContract(a.url, b.url);

    const stopAt = Date.now() + DURATION_MS;
    const rnd = (k: number) => Math.floor(Math.random() * k);
    const client = async (c: number) => {
      while (Date.now() < stopAt) {
        const r = Math.random();
        if (r < 0.4) await call('withdraw', { accountId: `acc${rnd(ACCOUNTS)}`, amount: 50 + rnd(300) });
        else if (r < 0.45) await call('deposit', { accountId: `acc${rnd(ACCOUNTS)}`, amount: 100 });
        else if (r < 0.7) await call('reserveSeat', { seatId: `seat${rnd(SEATS)}`, person: `p${c}` });
        else if (r < 0.75) await call('releaseSeat', { seatId: `seat${rnd(SEATS)}`, person: `p${c}` });
        else if (r < 0.95) await call('takeStock', { sku: `sku${rnd(SKUS)}`, quantity: 1 + rnd(5) });
        else if (sent.length > 0) {
          // A retry of an answered command: the same outcome, nothing appended.
          const old = sent[rnd(sent.length)]!;
          const again = await send(urls, old.command, old.body, old.id);
          assert.equal(
            again.status === 201 ? 200 : again.status,
            old.answer.status === 201 ? 200 : old.answer.status,
            old.id,
          );
          assert.equal(again.body.outcome, old.answer.body.outcome, old.id);
        }
      }
    };
    const killer = async () => {
      for (const at of [DURATION_MS / 3, (2 * DURATION_MS) / 3]) {
        await new Promise((r) => setTimeout(r, Math.max(0, stopAt - DURATION_MS + at - Date.now())));
        live = [a.url];
        b.run.child.kill('SIGKILL');
        await b.run.exited;
        b = await startInstance(config, join(dir, 'b'));
        live = [a.url, b.url];
      }
    };
    await Promise.all([...Array.from({ length: CLIENTS }, (_, c) => client(c)), killer()]);

    // Let both instances commit and stop.
    for (const i of [a, b]) i.run.child.kill('SIGTERM');
    for (const i of [a, b]) assert.equal((await i.run.exited).code, 0, i.run.stderr().slice(-2000));

    const accepted = sent.filter((s) => s.answer.status === 201 || s.answer.status === 200);
    const refused = sent.filter((s) => s.answer.status === 409);
    assert.equal(accepted.length + refused.length, sent.length, 'every command got a final answer');
    assert.ok(refused.length > 5, `conflicting commands were refused (${refused.length})`);

    const logs = new Map<string, Awaited<ReturnType<typeof readToEnd>>>();
    for (const t of topics) logs.set(t, await readToEnd(t));
    // Invariants hold in every prefix.
    assert.deepEqual(bankViolations(logs.get(`${app}-accounts`)!), []);
    const onHand = new Map<string, number>();
    for (const r of logs.get(`${app}-inventory`)!) {
      const e = JSON.parse(r.value!) as { eventType: string; sku: string; quantity: number };
      const q = (onHand.get(e.sku) ?? 0) + (e.eventType === 'StockTaken' ? -e.quantity : e.quantity);
      assert.ok(q >= 0, `${e.sku} below zero at offset ${r.offset}`);
      onHand.set(e.sku, q);
    }
    const holder = new Map<string, string | null>();
    for (const r of logs.get(`${app}-seats`)!) {
      const e = JSON.parse(r.value!) as { eventType: string; seatId: string; person: string };
      if (e.eventType === 'SeatReserved') {
        assert.equal(holder.get(e.seatId) ?? null, null, `${e.seatId} reserved twice at offset ${r.offset}`);
        holder.set(e.seatId, e.person);
      } else {
        assert.equal(holder.get(e.seatId), e.person, `${e.seatId} released by another at ${r.offset}`);
        holder.set(e.seatId, null);
      }
    }
    // Exactly once: accepted commands have their one event, refused ones none, nothing else is there.
    const events = new Map<string, number>();
    for (const records of logs.values())
      for (const r of records) {
        const id = (JSON.parse(r.value!) as { eventId: string }).eventId;
        events.set(id, (events.get(id) ?? 0) + 1);
      }
    const ids = new Set([...sent.map((s) => s.id), 'dep-acc3', 'cli-dep']); // httpContract's deposits
    for (const s of accepted) assert.equal(events.get(`${s.id}-1`), 1, `accepted ${s.id}`);
    for (const s of refused) assert.equal(events.get(`${s.id}-1`), undefined, `refused ${s.id}`);
    for (const id of events.keys())
      assert.ok(ids.has(id.slice(0, id.lastIndexOf('-'))), `event ${id} of no command`);

    // The projections equal a replay of the log.
    const replay: SeedEvent[] = [];
    for (const [topic, records] of logs)
      for (const r of records)
        replay.push({ topic, key: r.key!, value: JSON.parse(r.value!), timestamp: r.timestamp });
    const expected = plain((await oracle(definition, replay)).tables);
    const tables = plain(await outputTables(definition));
    for (const p of ['balances', 'stock', 'seat_holders']) assert.deepEqual(tables[p], expected[p], p);
    console.log(
      `# ${sent.length} commands in ${DURATION_MS / 1000} s by ${CLIENTS} clients: ${accepted.length} accepted, ${refused.length} refused; retried: ${retried.unavailable} × 503, ${retried.pending} × 202, ${retried.failed} × no answer`,
    );
  },
);

/** The HTTP answers besides accepted: field errors, unknown commands, rules, conflicts, polling, OpenAPI. */
async function httpContract(one: string, other: string): Promise<void> {
  const post = (url: string, path: string, body: unknown, id?: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(id ? { 'idempotency-key': id } : {}) },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
  const invalid = await post(one, '/commands/withdraw', { accountId: 'acc0', amount: -1, extra: 1 });
  assert.equal(invalid.status, 400);
  assert.deepEqual(invalid.body.errors.map((e: { field: string }) => e.field).sort(), ['amount', 'extra']);
  assert.equal((await post(one, '/commands/nope', {})).status, 404);
  const rule = await post(other, '/commands/withdraw', { accountId: 'acc1', amount: 5000 }, 'too-much');
  assert.equal(rule.status, 409);
  assert.deepEqual([rule.body.outcome, rule.body.rule], ['rejected', 'noOverdraft']);
  const conflict = await post(one, '/commands/deposit?expectedVersion=0', { accountId: 'acc2', amount: 1 });
  assert.deepEqual([conflict.status, conflict.body.outcome, conflict.body.current], [409, 'conflict', 2]);
  const ok = await post(one, '/commands/deposit', { accountId: 'acc3', amount: 1 }, 'dep-acc3');
  assert.equal(ok.status, 201);
  assert.equal(ok.body.version, 3);
  assert.equal(typeof ok.body.events[0].offset, 'number');
  // Read your write: the balance at the event's offset, from either instance.
  const row = await fetch(
    `${other}/projections/balances/keys/acc3?minOffset=${ok.body.events[0].partition}:${ok.body.events[0].offset}`,
  ).then((r) => r.json() as Promise<{ value: { balance: number } }>);
  assert.equal(row.value.balance, 301);
  for (const url of [one, other]) {
    const polled = await fetch(`${url}/commands/deposit/dep-acc3?key=acc3`);
    assert.equal(polled.status, 200);
    assert.equal(((await polled.json()) as { version: number }).version, 3);
  }
  // The same Idempotency-Key for another request: 422, from the owner and through a forward.
  for (const [url, path, body] of [
    [one, '/commands/withdraw', { accountId: 'acc3', amount: 1 }],
    [other, '/commands/deposit', { accountId: 'acc3', amount: 2 }],
  ] as const) {
    const reused = await post(url, path, body, 'dep-acc3');
    assert.deepEqual(
      [reused.status, reused.body.error],
      [422, 'idempotency_key_reused'],
      JSON.stringify(reused),
    );
  }
  // The command line: accepted (exit 0), then the same id again (replayed, nothing appended).
  for (const replayed of [false, true]) {
    const run = cli([
      'command',
      'deposit',
      '--url',
      one,
      '--id',
      'cli-dep',
      '--data',
      '{"accountId":"acc4","amount":2}',
    ]);
    assert.equal((await run.exited).code, 0, run.stderr());
    assert.equal((JSON.parse(run.stdout()) as { replayed: boolean }).replayed, replayed);
  }
  const api = (await fetch(`${one}/openapi.json`).then((r) => r.json())) as { paths: Record<string, any> };
  assert.ok(api.paths['/commands/withdraw']?.post?.requestBody, 'OpenAPI lists each command with its body');
}

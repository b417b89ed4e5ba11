// `npm run crash-test`: the full-size exactly-once crash test (issue 5). 200k seed events, the real
// CLI under exactly_once killed with SIGKILL at 10 seeded random moments and restarted each time,
// then the same with two instances, one of them killed repeatedly. The output topics
// (read_committed) and the stores must equal the pure-engine oracle exactly; the single-instance run
// also keeps balances and orders_enriched in PostgreSQL views (STREAMFOLD_TEST_POSTGRES_URL, else the
// local cluster), whose SELECT must equal the oracle too.
//
//   KAFKA_BROKERS=host:port npm run crash-test [-- --events N --kills K --seed S]
//   npm run soak        (the same, 1M events and 30 kills)
import { mkdtemp, rm } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crashRun, differingStores } from '../test/integration/exactly-once/crash-run.ts';
import { freshDatabase } from '../test/integration/views/postgres.ts';
import { ensureLocalPostgres } from '../runtime/views/local-postgres.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    kills: { type: 'string', default: '10' },
    seed: { type: 'string', default: '20261123' },
    'two-instance-events': { type: 'string' },
  },
});
if (!process.env.KAFKA_BROKERS) {
  process.stderr.write('KAFKA_BROKERS is not set (npm run kafka:start prints the address)\n');
  process.exit(2);
}
const events = Number(values.events);
const kills = Number(values.kills);
const seed = Number(values.seed);
const say = (line: string) => process.stdout.write(`[crash-test] ${line}\n`);
const dir = await mkdtemp(join(tmpdir(), 'streamfold-crash-test-'));
let failed = false;
const postgres = process.env.STREAMFOLD_TEST_POSTGRES_URL ?? (await ensureLocalPostgres()).url;
try {
  for (const instances of [1, 2] as const) {
    const n = instances === 1 ? events : Number(values['two-instance-events'] ?? Math.floor(events / 2));
    say(`${instances} instance(s): ${n} events, ${kills} kills, seed ${seed}`);
    const r = await crashRun({
      workDir: join(dir, String(instances)),
      events: n,
      kills,
      seed: seed + instances,
      instances,
      upMs: [2_000, 10_000],
      settleTimeoutMs: 900_000,
      log: say,
      ...(instances === 1 ? { postgresUrl: await freshDatabase(postgres) } : {}),
    });
    const views = r.views ? isDeepStrictEqual(r.views.actual, r.views.expected) : true;
    const tables = isDeepStrictEqual(r.tables.actual, r.tables.expected);
    const stores = isDeepStrictEqual(r.stores.actual, r.stores.expected);
    say(
      `${instances} instance(s): ${r.events} events, ${r.kills} kills in ${Math.round(r.ms / 1000)} s: ` +
        `tables ${tables ? 'EQUAL' : 'DIFFER'}, stores ${stores ? 'EQUAL' : 'DIFFER'}` +
        (instances === 1 ? `, stores wiped after a crash: ${r.wiped.length}` : '') +
        (r.views ? `, PostgreSQL views ${views ? 'EQUAL' : 'DIFFER'}` : ''),
    );
    if (!stores)
      say(`  stores that differ: ${differingStores(r.stores.actual, r.stores.expected).join(', ')}`);
    if (instances === 1)
      for (const [i, c] of r.checkpoints.entries())
        say(`  after kill ${i + 1}: checkpoints sum ${c.offsets}, ${c.rows} rows kept`);
    if (!tables || !stores || !views || r.wiped.length > 0) failed = true;
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
say(failed ? 'FAILED' : 'passed');
process.exit(failed ? 1 : 0);

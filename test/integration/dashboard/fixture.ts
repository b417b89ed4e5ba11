// What the dashboard test serves: the real HTTP server over a MemoryStateSource with restore
// progress and input end offsets added, plus /metrics mounted as the runtime mounts it.
import { encodeKey } from '../../../projections/keys.ts';
import {
  createHttpServer,
  type HttpServer,
  MemoryStateSource,
  type ProjectionStatus,
} from '../../../runtime/http/index.ts';
import { Metrics, mountMetrics } from '../../../runtime/metrics/index.ts';
import type { ViewStatus } from '../../../runtime/views/index.ts';

export const PARTITIONS = 4;
export const TOKEN = 'dashboard-test-token';
/** A key and value made to break out of an unescaped page. */
export const HOSTILE_KEY = 'x"><img src=x onerror="window.__pwned=1">';
export const HOSTILE_VALUE = { note: '<script>window.__pwned=1</script>', owner: '<b>bold</b> & "quoted"' };

export class DashboardSource extends MemoryStateSource {
  /** Restore progress per restoring partition. */
  readonly restore = new Map<number, { restored: number; total: number }>();
  /** End offset of the input per partition (lag = end − position). */
  readonly ends = new Map<number, number>();

  override async projections(): Promise<ProjectionStatus[]> {
    return (await super.projections()).map((p) => ({
      ...p,
      partitions: p.partitions.map((q) => {
        const end = this.ends.get(q.partition);
        const restore = this.restore.get(q.partition);
        return {
          ...q,
          ...(end !== undefined ? { endOffset: end, lag: Math.max(0, end - q.position) } : {}),
          ...(q.status === 'restoring' && restore ? { restore } : {}),
        };
      }),
    }));
  }
}

export const balanceKeys = Array.from({ length: 30 }, (_, i) => `acct-${String(i).padStart(3, '0')}`);

/** The first version of balance i, at 2026-01-01T11:00:00Z. */
export const openingBalance = (i: number) => ({ balance: i, deposits: 1, owner: `owner ${i}` });

export function seededSource(): DashboardSource {
  const source = new DashboardSource({
    projections: {
      balances: { history: true },
      revenue_by_customer: {},
      account_events: { kind: 'stream' },
    },
    partitions: PARTITIONS,
  });
  // An hour earlier, every balance had its opening value: the history panel reads it back.
  balanceKeys.forEach((key, i) =>
    source.put('balances', key, openingBalance(i), { offset: i, updatedAt: Date.UTC(2026, 0, 1, 11) }),
  );
  balanceKeys.forEach((key, i) =>
    source.put(
      'balances',
      key,
      { balance: i * 10.5, deposits: i, owner: `owner ${i}` },
      { offset: 100 + i, updatedAt: Date.UTC(2026, 0, 1, 12, 0, i) },
    ),
  );
  source.put('balances', 'zed-1', { balance: 1, deposits: 1, owner: 'zed' });
  source.put('balances', HOSTILE_KEY, HOSTILE_VALUE, { offset: 7, updatedAt: Date.UTC(2026, 0, 2) });
  source.put('revenue_by_customer', 'c1', { revenue: 250, orders: 3 });
  source.put('revenue_by_customer', 'c2', { revenue: 80, orders: 1 });
  for (let p = 0; p < PARTITIONS; p++) source.setPosition(p, 1000 + p);
  source.ends.set(1, 2500); // partition 1 is 1499 records behind
  return source;
}

/** The value the store holds for a key (what the page must show). */
export function storedValue(source: MemoryStateSource, projection: string, key: string): unknown {
  const row = source.get(projection, encodeKey(key));
  if (row === undefined || row === 'restoring') throw new Error(`no row for ${key}`);
  return row.value;
}

export function seededMetrics(): Metrics {
  const metrics = new Metrics({ defaultMetrics: false, application: 'shop' });
  metrics.recordsIn('balances', 1200);
  metrics.recordsOut('balances', 900);
  metrics.deadLetter('value-not-json', { topic: 'account-events', stage: 'decode' }, 3);
  metrics.deadLetter('expression', { topic: 'account-events', stage: 'process' }, 2);
  metrics.deadLetter('misrouted', { topic: 'order-events', stage: 'decode' }, 4);
  for (const [command, outcome, times] of [
    ['withdraw', 'accepted', 3],
    ['withdraw', 'rejected', 2],
    ['withdraw', 'conflict', 1],
    ['withdraw', 'reused', 1],
    ['deposit', 'accepted', 5],
  ] as const)
    for (let i = 0; i < times; i++)
      metrics.command(command, outcome, outcome === 'reused' ? undefined : 0.02);
  return metrics;
}

/**
 * Two versions of balances with a PostgreSQL view, as the views runtime reports them: v1 still
 * written (50 records behind), v2 read by the SQL view, its partitions following, backfilling and waiting for the database.
 */
export function seededViews(): ViewStatus[] {
  const writer = (partition: number, position: number, end: number) => ({
    partition,
    state: 'following' as const,
    position,
    end,
  });
  return [
    {
      projection: 'balances',
      version: 1,
      table: 'public.balances_v1',
      stable: 'public.balances',
      current: false,
      lag: 50,
      partitions: [writer(0, 450, 500)],
      batches: { 0: 12 },
    },
    {
      projection: 'balances',
      version: 2,
      table: 'public.balances_v2',
      stable: 'public.balances',
      current: true,
      lag: 2_570,
      partitions: [
        writer(0, 800, 800),
        { ...writer(1, 250, 1_000), state: 'backfilling', backfill: { from: 0, to: 1_000 } },
        {
          ...writer(2, 600, 2_420),
          state: 'waiting-for-database',
          error: 'connect ECONNREFUSED 127.0.0.1:5432',
        },
      ],
      batches: { 0: 30, 1: 4, 2: 9 },
    },
  ];
}

export async function startServer(
  source: MemoryStateSource,
  metrics: Metrics,
  views?: () => ViewStatus[],
): Promise<[HttpServer, string]> {
  const server = createHttpServer({ stateSource: source, token: TOKEN, views });
  mountMetrics(server.app, metrics);
  return [server, await server.listen()];
}

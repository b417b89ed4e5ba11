// Keeps one partition of a projection's output topic in its PostgreSQL table, exactly once.
//
// Reads the compacted output topic read_committed from the position stored in the database (no
// consumer group), collapses each fetch to the last value per key, and applies it in ONE
// transaction: DELETEs for tombstones, a multi-row INSERT … ON CONFLICT for the rest, and the
// conditional move of the partition's position (`next_offset = expected AND table_oid = oid`).
// A crash anywhere rolls the transaction back whole; a second writer of the same partition (a
// zombie, another instance) finds the position moved and re-reads it instead of applying twice.
// A position stored for another oid (the table was dropped and recreated) is void: the partition
// is backfilled from the topic's first offset. The database being down only stops this loop.
import type pg from 'pg';
import type { ChangelogSource, FetchedPartition } from '../kafka/restore/changelog-source.ts';
import type { Logger } from '../log/logger.ts';
import type { TablePlan } from '../../projections/views/table-plan.ts';
import { isOutage } from './database.ts';
import { deleteSql, keysPerStatement, POSITIONS_TABLE, qualified, upsertSql } from './sql.ts';
import { ViewTableMismatch } from './table.ts';

/** The table a set of partition writers fill: created once, again after someone drops it. */
export interface ViewTableHandle {
  readonly plan: TablePlan;
  /** The physical table (`<table>_v<version>`). */
  readonly table: string;
  /** Ensures the table; resolves to its oid. */
  ready(): Promise<number>;
  /** Forget the table (it was dropped): the next ready() creates it again. */
  invalidate(): void;
}

export type WriterState = 'starting' | 'backfilling' | 'following' | 'waiting-for-database' | 'failed';

export interface PartitionWriterStatus {
  partition: number;
  state: WriterState;
  /** The next offset to apply, as committed in the database (-1 before it is known). */
  position: number;
  /** The topic's end (last stable offset) when last asked. */
  end: number;
  /** Backfill: offsets to cover from the start of the rebuild. */
  backfill?: { from: number; to: number };
  error?: string;
}

export interface PartitionWriterOptions {
  view: ViewTableHandle;
  topic: string;
  partition: number;
  pool: pg.Pool;
  source: ChangelogSource;
  logger: Logger;
  /** A table that no longer matches its definition: the run stops. */
  onFatal: (err: Error) => void;
  /** Called after each committed batch with the rows applied. */
  onApplied?: (rows: number) => void;
}

class PositionMoved extends Error {}
class TableReplaced extends Error {}

const IDLE_MS = 200;
const END_REFRESH_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;
const TABLE_CHECK_MS = 1_000;

export class PartitionWriter {
  readonly status: PartitionWriterStatus;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private endCheckedAt = 0;
  private tableCheckedAt = 0;
  private lastLoggedError = '';
  private wake: (() => void) | null = null;

  constructor(private readonly options: PartitionWriterOptions) {
    this.status = { partition: options.partition, state: 'starting', position: -1, end: 0 };
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (!this.stopped) {
      try {
        const oid = await this.options.view.ready();
        let position = await this.loadPosition(oid);
        backoff = 250;
        while (!this.stopped) {
          // The cached end lags behind what was just read; only a fresh one can say "beyond".
          if (position > (await this.refreshEnd(false)) && position > (await this.refreshEnd(true)))
            position = await this.resetPosition(oid, 'beyond the end of the topic (recreated?)');
          const [fetched] = await this.options.source.fetch([
            { topic: this.options.topic, partition: this.options.partition, offset: position },
          ]);
          // Stopped during the fetch (the task moved): the new owner applies what it returned.
          if (this.stopped) break;
          if (!fetched || fetched.nextOffset <= position) {
            this.settle(position);
            // Idle, so no failing INSERT would notice a dropped table: look at it now and then.
            if (Date.now() - this.tableCheckedAt >= TABLE_CHECK_MS && (await this.tableOid()) !== oid)
              throw new TableReplaced();
            await this.sleep(IDLE_MS);
            continue;
          }
          position = await this.apply(fetched, position, oid);
          this.settle(position);
          backoff = 250;
        }
      } catch (err) {
        if (this.stopped) break;
        const code = (err as { code?: string }).code;
        if (err instanceof ViewTableMismatch) {
          this.status.state = 'failed';
          this.status.error = err.message;
          this.options.onFatal(err);
          return;
        }
        if (err instanceof PositionMoved) continue;
        if (code === '42P01' || err instanceof TableReplaced) {
          // The table was dropped under us: create it again and backfill (its oid is new).
          this.options.view.invalidate();
          continue;
        }
        this.status.error = (err as Error).message;
        if (isOutage(err)) this.status.state = 'waiting-for-database';
        this.logOnce(err);
        // Kafka is still there: keep the end fresh, so the lag shows how far behind the view falls.
        await this.range().catch(() => undefined);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** The stored position, or a fresh one at the topic's start (new table, or another table's position). */
  private async loadPosition(oid: number): Promise<number> {
    const { plan, table } = this.options.view;
    const result = await this.options.pool.query<{ next_offset: string; table_oid: string; topic: string }>(
      `SELECT next_offset, table_oid, topic FROM ${qualified(plan.schema, POSITIONS_TABLE)} WHERE view_table = $1 AND partition = $2`,
      [table, this.options.partition],
    );
    const row = result.rows[0];
    const { earliest } = await this.range();
    if (!row || Number(row.table_oid) !== oid)
      return this.resetPosition(oid, row ? 'the table is new' : null);
    if (row.topic !== this.options.topic)
      return this.resetPosition(oid, `the stored position is of topic ${row.topic}`);
    const position = Number(row.next_offset);
    if (position < earliest) return this.resetPosition(oid, 'below the start of the topic');
    this.status.position = position;
    return position;
  }

  private async resetPosition(oid: number, why: string | null): Promise<number> {
    const { plan, table } = this.options.view;
    const { earliest, end } = await this.range();
    await this.options.pool.query(
      `INSERT INTO ${qualified(plan.schema, POSITIONS_TABLE)} (view_table, partition, topic, next_offset, table_oid)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (view_table, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset,
         table_oid = EXCLUDED.table_oid, topic = EXCLUDED.topic, updated_at = now()`,
      [table, this.options.partition, this.options.topic, earliest, oid],
    );
    if (why)
      this.options.logger.info(
        `view ${plan.schema}.${table} partition ${this.options.partition}: ${why}; backfilling from offset ${earliest}`,
      );
    this.status.position = earliest;
    if (end > earliest) {
      this.status.state = 'backfilling';
      this.status.backfill = { from: earliest, to: end };
    }
    return earliest;
  }

  /** One fetch, collapsed to the last value per key, in one transaction with the new position. */
  private async apply(fetched: FetchedPartition, position: number, oid: number): Promise<number> {
    const { plan, table } = this.options.view;
    const last = new Map<string, unknown>();
    for (const record of fetched.records) {
      if (record.key === null) continue;
      last.delete(record.key); // keep the order of the last write
      last.set(record.key, record.value === null ? null : parseRow(record.value));
    }
    const deletes: string[] = [];
    const upserts: Array<{ key: string; row: unknown }> = [];
    for (const [key, row] of last) {
      if (row === null) deletes.push(key);
      else upserts.push({ key, row });
    }
    const per = keysPerStatement(plan, plan.batchSize);
    const client = await this.options.pool.connect();
    let failed = false;
    try {
      await client.query('BEGIN');
      for (let i = 0; i < deletes.length; i += per) {
        const s = deleteSql(plan, table, deletes.slice(i, i + per));
        await client.query(s.text, s.values);
      }
      for (let i = 0; i < upserts.length; i += per) {
        const s = upsertSql(plan, table, upserts.slice(i, i + per));
        await client.query(s.text, s.values);
      }
      const moved = await client.query(
        `UPDATE ${qualified(plan.schema, POSITIONS_TABLE)} SET next_offset = $1, updated_at = now()
         WHERE view_table = $2 AND partition = $3 AND next_offset = $4 AND table_oid = $5`,
        [fetched.nextOffset, table, this.options.partition, position, oid],
      );
      if (moved.rowCount !== 1) throw new PositionMoved();
      await client.query('COMMIT');
    } catch (err) {
      failed = isOutage(err);
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release(failed); // a broken connection is closed, not returned to the pool
    }
    this.options.onApplied?.(deletes.length + upserts.length);
    return fetched.nextOffset;
  }

  /** The table's oid now (null: it is gone). */
  private async tableOid(): Promise<number | null> {
    const { plan, table } = this.options.view;
    this.tableCheckedAt = Date.now();
    const r = await this.options.pool.query<{ oid: string | null }>('SELECT to_regclass($1)::oid AS oid', [
      qualified(plan.schema, table),
    ]);
    return r.rows[0]?.oid == null ? null : Number(r.rows[0].oid);
  }

  private settle(position: number): void {
    this.status.position = position;
    this.status.error = undefined;
    this.lastLoggedError = '';
    if (this.status.state !== 'backfilling' || position >= (this.status.backfill?.to ?? 0)) {
      this.status.state = 'following';
      this.status.backfill = undefined;
    }
  }

  private async range(): Promise<{ earliest: number; end: number }> {
    const tp = { topic: this.options.topic, partition: this.options.partition };
    const ranges = await this.options.source.offsets([tp]);
    const r = ranges.values().next().value ?? { earliest: 0, end: 0 };
    this.status.end = r.end;
    this.endCheckedAt = Date.now();
    return r;
  }

  private async refreshEnd(force: boolean): Promise<number> {
    if (force || Date.now() - this.endCheckedAt >= END_REFRESH_MS) await this.range();
    return this.status.end;
  }

  private logOnce(err: unknown): void {
    const message = (err as Error).message;
    if (message === this.lastLoggedError) return;
    this.lastLoggedError = message;
    const { plan, table } = this.options.view;
    this.options.logger.warn(
      `view ${plan.schema}.${table} partition ${this.options.partition}: ${message}; retrying (the projection keeps running)`,
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function parseRow(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8')) as unknown;
  } catch {
    return { value: value.toString('utf8') };
  }
}

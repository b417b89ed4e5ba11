// Scenario (h), streamfold: `streamfold run` with the projection of (a) declaring `views.postgres`; its
// output topic is the topic of updates the harness fills, and its input stays empty, so the process only
// keeps that output in PostgreSQL (docs/views.md: one writer per partition, exactly once). Ready when every
// partition's position is stored in the database (the writers follow the topic).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { cliArgs, compileOnce } from '../contenders/streamfold.ts';
import { benchNode } from '../node.ts';
import { spawnMeasured } from '../process.ts';
import type { LaunchedSink, Sink, SinkRequest } from './sink.ts';

const root = new URL('../../../', import.meta.url).pathname;

export function viewDefinition(req: SinkRequest, inputTopic: string): Record<string, unknown> {
  return {
    application: req.name.replace(/[^A-Za-z0-9_]/g, '_'),
    kafka: { brokers: req.brokers.join(',') },
    state: { dir: join(req.runDir, 'state') },
    sources: { orders: { topic: inputTopic } },
    projections: {
      totals: {
        from: 'orders',
        groupBy: 'customerId',
        aggregate: { total: { sum: 'amount' } },
        output: { topic: req.topic },
        views: { postgres: { url: req.postgresUrl, table: tableName(req), columns: { total: 'bigint' } } },
      },
    },
  };
}

const tableName = (req: SinkRequest) => req.name.replace(/[^a-z0-9_]/g, '_');

/** `inputTopic`: an empty topic the idle projection reads. */
export function streamfoldView(inputTopic: string): Sink {
  return {
    id: 'streamfold',
    name: 'streamfold',
    encoding: 'streamfold',
    async prepare() {
      try {
        await compileOnce();
        return undefined;
      } catch (err) {
        return `streamfold could not be compiled (${(err as Error).message.split('\n')[0]})`;
      }
    },
    launch(req: SinkRequest): LaunchedSink {
      const config = join(req.runDir, 'projections.yaml');
      writeFileSync(config, stringify(viewDefinition(req, inputTopic)));
      const proc = spawnMeasured(benchNode(), [...cliArgs, 'run', '-c', config, '--http-port', '0'], {
        cwd: root,
        logFile: join(req.runDir, 'streamfold.log'),
      });
      const table = tableName(req);
      return {
        proc,
        table,
        ready: async () => {
          const client = new pg.Client({ connectionString: req.postgresUrl });
          await client.connect();
          try {
            const r = await client.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM streamfold_view_positions WHERE view_table = $1`,
              [`${table}_v1`],
            );
            return (r.rows[0]?.n ?? 0) >= req.partitions;
          } catch {
            return false; // the positions table is not there yet
          } finally {
            await client.end();
          }
        },
      };
    },
    settings: () => ({
      process: 'one Node.js process, `streamfold run` (compiled, as in the other scenarios)',
      writers: 'one per partition (6), a pool of 4 connections (the default)',
      batching:
        'each fetch (up to 1 MiB per partition) collapsed to the last value per key, one multi-row INSERT … ON CONFLICT per 1000 keys (batchSize default), in one transaction with the partition position',
      guarantee: 'exactly once (position in the same transaction)',
      input: 'the updates as streamfold writes them: value `{"total":N}`',
    }),
  };
}

// Scenario (h): what the harness needs from a pipeline that keeps an output topic in a PostgreSQL table.
import type { Measured } from '../process.ts';
import type { UpdateEncoding } from '../datasets.ts';

export interface SinkRequest {
  /** The topic of updates (key customerId, value the running total), created and filled by the harness. */
  topic: string;
  /** A name unique to this run (application id, connector name, table). */
  name: string;
  brokers: string[];
  /** postgres://… of the bench's own cluster. */
  postgresUrl: string;
  runDir: string;
  partitions: number;
}

export interface LaunchedSink {
  proc: Measured;
  /** The table (or SQL view) whose rows the harness watches. */
  table: string;
  /** Resolves when the pipeline follows the topic (it may then receive the updates). */
  ready: () => Promise<boolean>;
}

export interface Sink {
  /** Short, for names of topics and tables. */
  id: string;
  name: string;
  /** How this pipeline reads the updates (each gets the same rows in its own topic). */
  encoding: UpdateEncoding;
  /** Undefined when it can run; otherwise why not. */
  prepare(): Promise<string | undefined>;
  launch(req: SinkRequest): LaunchedSink;
  /** Every setting that decides fairness, printed with the results. */
  settings(): Record<string, string>;
}

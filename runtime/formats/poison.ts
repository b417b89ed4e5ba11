// Poison records: records the runtime cannot decode or process. Until dead-letter topics arrive
// (exactly-once/formats issue), they are logged, counted and skipped; processing never stops for one.
// A PoisonHandler is the hook a dead-letter writer will implement: it gets the raw bytes and why.
import type { Logger } from '../log/logger.ts';
import type { RawRecord } from './raw-record.ts';

export type PoisonStage = 'decode' | 'process';

export interface PoisonRecord {
  raw: RawRecord;
  stage: PoisonStage;
  /** e.g. value-not-json, key-not-json, expression */
  kind: string;
  message: string;
  /** The task (partition number) that met it. */
  task: number;
  /** The projection whose processing failed (process stage). */
  projection?: string;
}

/** Called synchronously while the task processes its batch; must not throw. */
export type PoisonHandler = (record: PoisonRecord) => void;

export class PoisonCounter {
  readonly byKind = new Map<string, number>();
  total = 0;

  count(record: PoisonRecord): void {
    this.total++;
    this.byKind.set(record.kind, (this.byKind.get(record.kind) ?? 0) + 1);
  }
}

/** Logs each poison record (without its payload) and counts it by kind. */
export function logAndSkip(logger: Logger, counter: PoisonCounter): PoisonHandler {
  return (record) => {
    counter.count(record);
    const { raw } = record;
    logger.warn(
      {
        topic: raw.topic,
        partition: raw.partition,
        offset: raw.offset,
        stage: record.stage,
        kind: record.kind,
        skipped: counter.total,
      },
      `skipped a record: ${record.message}`,
    );
  };
}

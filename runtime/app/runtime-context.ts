// What the pieces of an Application share: its lifecycle state, the one processing lock, the Kafka
// clients once started, the logger and the way to fail. The Application (application.ts) creates it
// and alone changes `state`; the other pieces read it.
//
// Must not hold behaviour: it is a record of shared references, not a place for logic.
import type { Admin, Consumer } from 'kafkajs';
import type { Logger } from '../log/logger.ts';
import type { CommitTransport, RecordSender } from '../tasks/index.ts';
import type { Mutex } from './mutex.ts';
import type { TopicPlan } from './topic-plan.ts';

export type AppState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** The Kafka side, set during start (null before). */
export interface RuntimeClients {
  admin: Admin | null;
  consumer: Consumer | null;
  transport: CommitTransport | null;
  /** At-least-once: sends exchange records as tasks produce them (null under exactly-once). */
  sender: RecordSender | null;
  topicPlan: TopicPlan | null;
}

export interface RuntimeContext {
  readonly logger: Logger;
  /**
   * One at a time: batch processing, preparing a commit and rebalance handling (runtime/app/mutex.ts).
   */
  readonly lock: Mutex;
  state: AppState;
  readonly clients: RuntimeClients;
  /** Stops the application with this error (a bug, a storage failure, a failed restore). */
  fail(err: unknown): void;
}

export const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

// What a task keeps about its commands, in one changelogged store of the task (restored with its
// other stores, committed in the same transaction as the command's events):
//   o/<command>/<id>  → the command's outcome (idempotency: a retry gets it back);
//   h/<seq>, n        → the horizon: the oldest outcome is dropped (projections/horizon/);
//   r/<event ref>     → an event the task applied when it appended it, until the group's offset
//                       passes it (the task skips it once when read back, runtime/tasks/task.ts
//                       AppliedAtAppend).
// Must not decide commands (executor.ts) nor talk to Kafka.
import type { ExpectedVersion } from '../../projections/commands/index.ts';
import { BoundedEntries } from '../../projections/horizon/bounded-entries.ts';
import type { KeyValueStore } from '../../projections/store.ts';
import type { RawRecord } from '../formats/index.ts';

/** Header of every event a command appends: `<command>/<id>/<index>`. */
export const COMMAND_EVENT_HEADER = 'streamfold-command-event';

/** Outcomes kept per task (partition): a retry older than this many later commands decides again. */
export const DEFAULT_OUTCOME_HORIZON = 100_000;

export const outcomeStoreName = (application: string): string => `${application}-command-outcomes`;

export interface AppendedEvent {
  type: string;
  eventId: string | undefined;
  version: number;
  topic: string;
  partition: number;
  /** Known once the commit is acknowledged (absent from an outcome read back after a restart). */
  offset?: number;
}

export type StoredOutcome =
  | { outcome: 'accepted'; events: AppendedEvent[]; version: number; at: number }
  | { outcome: 'rejected'; rule: string; message: string; error?: string; at: number }
  | { outcome: 'conflict'; expected: ExpectedVersion; current: number; at: number };

const outcomeKey = (command: string, id: string) => `o/${command}/${id}`;

/**
 * An outcome whose events are its own objects (the only part anyone changes later: a reply's events
 * get their offsets); other outcomes are never changed, so they are kept as they are. structuredClone
 * of the whole outcome was 2% of an instance's CPU at 64 clients.
 */
export function withOwnEvents(outcome: StoredOutcome): StoredOutcome {
  return outcome.outcome === 'accepted'
    ? { ...outcome, events: outcome.events.map((e) => ({ ...e })) }
    : outcome;
}

export class OutcomeStore {
  private readonly outcomes: BoundedEntries<StoredOutcome>;

  constructor(
    private readonly store: KeyValueStore<unknown>,
    horizon: number,
  ) {
    this.outcomes = new BoundedEntries(store, horizon);
  }

  get(command: string, id: string): StoredOutcome | undefined {
    return this.outcomes.get(outcomeKey(command, id));
  }

  /** Records an outcome and forgets the one that fell out of the horizon. */
  put(command: string, id: string, outcome: StoredOutcome): void {
    this.outcomes.put(outcomeKey(command, id), outcome);
  }

  /** Marks an event as applied at append: its read-back is skipped once. */
  markApplied(ref: string): void {
    this.store.put(`r/${ref}`, 1);
  }

  /** The mark of `raw` when it is an event this task applied when it appended it. */
  markOf(raw: RawRecord): string | undefined {
    const ref = raw.headers?.[COMMAND_EVENT_HEADER];
    return ref !== undefined && this.store.get(`r/${ref}`) !== undefined ? ref : undefined;
  }

  /** Deletes marks: their events are behind the offsets the same commit stores. */
  forget(refs: Iterable<string>): void {
    for (const ref of refs) this.store.delete(`r/${ref}`);
  }
}

// Entity versions: an entity's version is the number of its accepted events (0 = no events yet).
// Two pure checks live here: a command's expected version (optimistic concurrency, with
// EventStoreDB's choices) and first-writer-wins for events appended by other writers.
import type { ExpectedVersion } from './schema.ts';

/** Whether a command expecting `expected` may append to an entity at version `current`. */
export function expectedVersionHolds(expected: ExpectedVersion, current: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return current === 0;
  if (expected === 'exists') return current > 0;
  return current === expected;
}

/** Parses a request's expectedVersion (a number, a numeric string, or a choice); undefined when invalid. */
export function parseExpectedVersion(raw: unknown): ExpectedVersion | undefined {
  if (raw === 'any' || raw === 'no_stream' || raw === 'exists') return raw;
  const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

export type VersionCheck =
  | { readonly accepted: true; readonly version: number }
  | { readonly accepted: false; readonly reason: string };

/**
 * First-writer-wins: an event appended to an entity at version `current` must carry version
 * `current + 1`. The first event to take a version wins; a later one with the same version (a
 * writer that decided on stale state) or one that skips versions is rejected and not applied.
 */
export function checkEventVersion(current: number, eventVersion: unknown, field: string): VersionCheck {
  if (typeof eventVersion !== 'number' || !Number.isSafeInteger(eventVersion) || eventVersion < 1) {
    const got = eventVersion === undefined ? 'nothing' : JSON.stringify(eventVersion);
    return { accepted: false, reason: `${field} must be a positive integer, got ${got}` };
  }
  if (eventVersion === current + 1) return { accepted: true, version: eventVersion };
  if (eventVersion <= current) {
    return {
      accepted: false,
      reason: `${field} ${eventVersion} was already taken: the entity is at version ${current} (another writer won)`,
    };
  }
  return {
    accepted: false,
    reason: `${field} ${eventVersion} skips versions: the entity is at version ${current}, so the next event must carry ${current + 1}`,
  };
}

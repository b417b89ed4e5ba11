// Helpers for the definition error tests: the formatted errors of a YAML text, an assertion of one error
// at an exact line:col, and a valid start of a definition (application, sources) to append projections to.
import assert from 'node:assert/strict';
import { formatLocatedError, parseDefinition } from '../../../projections/definition/index.ts';

/** Error lines for a definition text named `p.yaml`. */
export function errorsOf(yaml: string): string[] {
  const result = parseDefinition(yaml, 'p.yaml');
  return result.errors ? result.errors.map(formatLocatedError) : [];
}

/** Asserts one error at exactly line:col whose text (after the location) contains every fragment. */
export function assertError(yaml: string, line: number, col: number, ...fragments: string[]): void {
  const errors = errorsOf(yaml);
  const prefix = `p.yaml:${line}:${col}: `;
  const hit = errors.find((e) => e.startsWith(prefix) && fragments.every((f) => e.includes(f)));
  assert.ok(
    hit,
    `expected an error at ${line}:${col} containing ${JSON.stringify(fragments)}; got:\n${errors.join('\n')}`,
  );
}

/** A valid definition to start from. */
export const HEADER = `application: shop
sources:
  accounts: { topic: account-events, key: accountId, eventType: eventType }
  orders:
    topic: order-events
    eventType: eventType
    fields: { eventType: string, orderId: string, customerId: string, amount: number, status: string, items: list, paid: boolean }
  customers_t: { topic: customers, kind: table }
  clicks: { topic: clicks }
projections:
`;

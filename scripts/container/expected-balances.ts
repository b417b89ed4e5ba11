// The oracle of the container check's query: the example's `balances` rows after `streamfold
// generate --count N --rate 0 --seed S`, recomputed from the same seeded simulation (the event
// values depend only on the seed; unpaced runs space events 1 ms apart, as here).
import { generateEvents } from '../../runtime/generator/index.ts';

/** A row of projections.yaml's `balances`. */
export interface AccountRow {
  balance: number;
  deposits: number;
  owner: string;
}

/** The live accounts' rows by account id (closed accounts have no row). */
export function expectedBalances(seed: string, count: number): Map<string, AccountRow> {
  const rows = new Map<string, AccountRow>();
  for (const event of generateEvents(seed, count, { meanGapMs: 1 })) {
    const { eventType, amount, owner } = event.value as {
      eventType: string;
      amount?: number;
      owner?: string;
    };
    const row = rows.get(event.key);
    if (eventType === 'AccountCreated') rows.set(event.key, { balance: 0, deposits: 0, owner: owner ?? '' });
    else if (eventType === 'AccountClosed') rows.delete(event.key);
    else if (row && eventType === 'MoneyDeposited') {
      row.balance += amount ?? 0;
      row.deposits += 1;
    } else if (row && eventType === 'MoneyWithdrawn') row.balance -= amount ?? 0;
  }
  return rows;
}

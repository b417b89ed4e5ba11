// The blue/green tests' projection and input: balances v1 (a sum) and v2 (the same sum in cents),
// over deposit events whose final rows are known in advance.

/** The definition (as written in YAML) with balances at `version`. */
export function balancesDefinition(app: string, topic: string, version: 1 | 2): Record<string, unknown> {
  return {
    application: app,
    processing: { commitIntervalMs: 100 },
    sources: { accounts: { topic, key: 'accountId', eventType: 'eventType' } },
    projections: {
      balances:
        version === 1
          ? { from: 'accounts', aggregate: { balance: { sum: 'amount' }, deposits: { count: '*' } } }
          : {
              from: 'accounts',
              version: 2,
              aggregate: { cents: { sum: 'amount * 100' }, deposits: { count: '*' } },
            },
    },
  };
}

/** `count` deposits over `accounts` accounts, and the v1 row each account ends with. */
export function depositEvents(count: number, accounts: number) {
  const expected = new Map<string, { balance: number; deposits: number }>();
  const events = Array.from({ length: count }, (_, i) => {
    const key = `a${i % accounts}`;
    const amount = (i % 7) + 1;
    const row = expected.get(key) ?? { balance: 0, deposits: 0 };
    expected.set(key, { balance: row.balance + amount, deposits: row.deposits + 1 });
    return {
      key,
      value: JSON.stringify({ eventType: 'Deposited', accountId: key, amount }),
      timestamp: String(1000 + i),
    };
  });
  return { events, expected };
}

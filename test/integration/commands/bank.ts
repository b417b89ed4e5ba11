// The bank of the command tests: accounts whose balance never goes negative and whose daily
// withdrawals stay under a limit (projections.yaml's commands), on a topic of their own.
import { stringify } from 'yaml';
import type { Definition } from '../../../projections/definition/schema.ts';
import { parseConfig } from '../../../runtime/config/load.ts';
import { type ReadRecord, uniqueTopic } from '../helpers.ts';

export const DAILY_LIMIT = 1500;

export function bankDefinition(prefix: string): { app: string; topic: string; definition: Definition } {
  const app = uniqueTopic(prefix).replaceAll('-', '_');
  const topic = `${app}-accounts`;
  const yaml = { application: app, ...bankYaml(topic) };
  return { app, topic, definition: parseConfig(stringify(yaml), 'bank.yaml', {}) };
}

/** The bank's part of a definition (processing, sources, projections, commands), as YAML data. */
export function bankYaml(topic: string) {
  return {
    processing: { guarantee: 'exactly_once', commitIntervalMs: 50 },
    sources: {
      accounts: { topic, key: 'accountId', eventType: 'eventType', eventId: 'eventId', time: 'timestamp' },
    },
    projections: {
      balances: {
        from: 'accounts',
        aggregate: {
          balance: { sum: { MoneyDeposited: 'amount', MoneyWithdrawn: '-amount' } },
          owner: { latest: { of: 'owner', on: ['AccountCreated'] } },
        },
      },
    },
    commands: {
      openAccount: {
        entity: 'accounts',
        expectedVersion: 'no_stream',
        input: { accountId: 'string', owner: { type: 'string', min: 1 } },
        emit: [{ type: 'AccountCreated', fields: { owner: 'input.owner' } }],
      },
      deposit: {
        entity: 'accounts',
        expectedVersion: 'exists',
        input: { accountId: 'string', amount: { type: 'number', min: 0.01 } },
        emit: [{ type: 'MoneyDeposited', fields: { amount: 'input.amount' } }],
      },
      withdraw: {
        entity: 'accounts',
        input: { accountId: 'string', amount: { type: 'number', min: 0.01 } },
        state: {
          account: { projection: 'balances' },
          today: {
            aggregate: { withdrawn: { sum: { of: 'amount', on: ['MoneyWithdrawn'] } } },
            per: 'day(_timestamp)',
            at: 'day(now)',
          },
        },
        rules: {
          accountOpen: { require: 'state.account != null', message: 'no such account' },
          noOverdraft: { require: 'state.account.balance >= input.amount', message: 'insufficient funds' },
          dailyLimit: {
            require: `(state.today == null ? 0.0 : state.today.withdrawn) + input.amount <= ${DAILY_LIMIT}.0`,
            message: 'daily limit',
          },
        },
        emit: [{ type: 'MoneyWithdrawn', fields: { amount: 'input.amount' } }],
      },
    },
  };
}

/**
 * Replays the account events in log order (per partition; an account lives in one) and returns the
 * invariant violations: a balance below zero, a day's withdrawals over the limit, an event id twice.
 */
export function bankViolations(records: ReadRecord[]): string[] {
  const balance = new Map<string, number>();
  const daily = new Map<string, number>();
  const ids = new Set<string>();
  const out: string[] = [];
  for (const r of records) {
    const e = JSON.parse(r.value!) as {
      eventType: string;
      accountId: string;
      amount?: number;
      eventId: string;
      timestamp: number;
    };
    if (ids.has(e.eventId)) out.push(`event id ${e.eventId} appended twice`);
    ids.add(e.eventId);
    const b = balance.get(e.accountId) ?? 0;
    if (e.eventType === 'MoneyDeposited') balance.set(e.accountId, b + e.amount!);
    if (e.eventType === 'MoneyWithdrawn') {
      balance.set(e.accountId, b - e.amount!);
      const day = `${e.accountId}/${new Date(e.timestamp).toISOString().slice(0, 10)}`;
      daily.set(day, (daily.get(day) ?? 0) + e.amount!);
      if (b - e.amount! < -1e-9)
        out.push(`${e.accountId} overdrawn to ${b - e.amount!} at offset ${r.offset}`);
      if (daily.get(day)! > DAILY_LIMIT + 1e-9) out.push(`${day} over the daily limit at offset ${r.offset}`);
    }
  }
  return out;
}

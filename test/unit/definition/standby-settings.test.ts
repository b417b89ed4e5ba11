// processing.standbyReplicas, acceptableRecoveryLag, maxWarmupReplicas, probingRebalanceIntervalMs: validated with located errors; defaults.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDefinition } from '../../../projections/definition/index.ts';
import { standbySettings } from '../../../runtime/app/options.ts';
import { assertError, errorsOf } from './helpers.ts';

const yaml = (processing: string) => `application: shop
processing: ${processing}
sources:
  accounts: { topic: a, key: accountId, eventType: eventType }
projections:
  totals:
    from: accounts
    aggregate:
      events: { count: '*' }
`;

test('standbyReplicas is an integer from 0 to 8, acceptableRecoveryLag one from 0', () => {
  assertError(yaml('{ standbyReplicas: -1 }'), 2, 32, 'processing.standbyReplicas', 'at least 0');
  assertError(yaml('{ standbyReplicas: 1.5 }'), 2, 32, 'processing.standbyReplicas', 'integer');
  assertError(yaml('{ standbyReplicas: 9 }'), 2, 32, 'processing.standbyReplicas', 'at most 8');
  assertError(yaml('{ acceptableRecoveryLag: -5 }'), 2, 38, 'processing.acceptableRecoveryLag');
  assert.deepEqual(errorsOf(yaml('{ standbyReplicas: 2, acceptableRecoveryLag: 0 }')), []);
});

test('maxWarmupReplicas is an integer from 1; absent, warm-ups have no limit', () => {
  assertError(yaml('{ maxWarmupReplicas: 0 }'), 2, 34, 'processing.maxWarmupReplicas', 'at least 1');
  assertError(yaml('{ maxWarmupReplicas: 1.5 }'), 2, 34, 'processing.maxWarmupReplicas', 'integer');
  const def = parseDefinition(yaml('{ maxWarmupReplicas: 2 }'), 'p.yaml').definition!;
  assert.equal(standbySettings(def).maxWarmupReplicas, 2);
});

test('probingRebalanceIntervalMs is a positive integer; absent, the standby tasks use their default', () => {
  assertError(yaml('{ probingRebalanceIntervalMs: 0 }'), 2, 43, 'processing.probingRebalanceIntervalMs');
  const def = parseDefinition(yaml('{ probingRebalanceIntervalMs: 600000 }'), 'p.yaml').definition!;
  assert.equal(standbySettings(def).probingRebalanceIntervalMs, 600_000);
});

test('defaults: no standbys, 10 000 records of acceptable lag', () => {
  const def = parseDefinition(yaml('{ guarantee: at_least_once }'), 'p.yaml').definition!;
  assert.deepEqual(standbySettings(def), { standbyReplicas: 0, acceptableRecoveryLag: 10_000 });
  const two = parseDefinition(yaml('{ standbyReplicas: 2 }'), 'p.yaml').definition!;
  assert.equal(standbySettings(two).standbyReplicas, 2);
});

// The event-sourcing fixtures: mixed event versions and re-sent events project exactly like the
// stream of current events (final tables and changelogs), and would not without upcasting / dedup.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatResult, loadFixture, runFixture } from '../../../projections/testing/index.ts';

const dir = fileURLToPath(new URL('../../fixtures/event-sourcing/', import.meta.url));
const load = (name: string) => loadFixture(`${dir}${name}.yaml`);

void describe('event-sourcing fixtures', () => {
  for (const name of ['current-versions', 'mixed-versions', 'duplicates']) {
    void it(`${name} projects like the current events`, async () => {
      const result = runFixture(await load(name));
      assert.ok(result.projections.length === 2 && result.projections.every((p) => p.recordsPassed === true));
      assert.ok(result.passed, formatResult(result));
    });
  }

  void it('the changelogs of mixed and current versions are identical record by record', async () => {
    const a = runFixture(await load('current-versions'));
    const b = runFixture(await load('mixed-versions'));
    for (const [i, p] of a.projections.entries()) {
      assert.ok(p.actualRecords.length > 20);
      assert.deepEqual(b.projections[i]!.actualRecords, p.actualRecords);
    }
  });

  void it('without upcasters the mixed stream differs; without eventId the duplicates count twice', async () => {
    const mixed = await load('mixed-versions');
    const { upcast: _, ...noUpcast } = mixed.definition.sources.accounts!;
    mixed.definition = { ...mixed.definition, sources: { accounts: noUpcast } };
    assert.equal(runFixture(mixed).passed, false);
    const dup = await load('duplicates');
    const { eventId: __, ...noId } = dup.definition.sources.accounts!;
    dup.definition = { ...dup.definition, sources: { accounts: noId } };
    assert.equal(runFixture(dup).passed, false);
  });
});

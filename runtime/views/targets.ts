// Which views this instance writes: every version of a projection with `views.postgres` that
// runs here (building or active), each planned from its own definition (versions may differ in
// fields) under the stable table name and schema the YAML gives.
import { Catalog } from '../../projections/definition/catalog.ts';
import { buildModel } from '../../projections/definition/model.ts';
import type { Definition } from '../../projections/definition/schema.ts';
import type { PostgresConnectionDef } from '../../projections/definition/views.ts';
import { outputTopicOf } from '../../projections/definition/model.ts';
import type { DeploymentRecord } from '../../projections/versions/index.ts';
import { connectionOf, planTable, type TablePlan } from '../../projections/views/table-plan.ts';

export interface ViewTarget {
  /** The version id (`balances`, `balances-v2`). */
  id: string;
  projection: string;
  version: number;
  /** The output topic the view follows. */
  topic: string;
  plan: TablePlan;
  connection: PostgresConnectionDef;
}

export function viewTargets(
  definition: Definition,
  records: DeploymentRecord[],
  running: Set<string>,
): ViewTarget[] {
  const targets: ViewTarget[] = [];
  const live = records.filter((r) => (r.state === 'building' || r.state === 'active') && running.has(r.id));
  // Every version is planned in one catalog keyed by version ids, the form records use.
  const raw = {
    application: definition.application,
    sources: { ...definition.sources, ...Object.assign({}, ...records.map((r) => r.sources)) },
    projections: {
      ...definition.projections,
      ...Object.fromEntries(records.map((r) => [r.id, r.definition])),
    },
  };
  const catalog = new Catalog(buildModel(raw));
  for (const r of live) {
    const yaml = definition.projections[r.projection];
    const view = yaml?.views?.postgres;
    if (!yaml || !view) continue;
    const projections = { ...raw.projections, [r.id]: { ...r.definition, views: yaml.views } };
    const stable = planTable({ sources: raw.sources, projections }, catalog, r.id).plan;
    const base = planTable(definition, new Catalog(buildModel(definition)), r.projection).plan;
    if (!stable || !base) continue; // validation reported it
    const topic = outputTopicOf(definition.application, r.id, r.definition);
    if (topic === undefined) continue;
    targets.push({
      id: r.id,
      projection: r.projection,
      version: r.version,
      topic,
      plan: { ...stable, projection: r.projection, table: base.table, schema: base.schema },
      connection: connectionOf(definition, view),
    });
  }
  return targets;
}

// Materialized views (docs/views.md): one connection per view, a known shared connection, and a
// projection that maps onto a table (see projections/views/table-plan.ts).
import { planTable } from '../../views/table-plan.ts';
import type { Catalog } from '../catalog.ts';
import type { Model } from '../model.ts';
import type { Problem } from '../problems.ts';

export function checkViews(model: Model, catalog: Catalog, raw: unknown): Problem[] {
  const problems: Problem[] = [];
  const root = (raw ?? {}) as { postgres?: unknown };
  const connections = root.postgres && typeof root.postgres === 'object' ? Object.keys(root.postgres) : [];
  const parts = {
    sources: Object.fromEntries(model.sources),
    projections: Object.fromEntries(model.projections),
  };
  for (const [name, p] of model.projections) {
    const view = p.views?.postgres;
    if (!view) continue;
    const path = ['projections', name, 'views', 'postgres'];
    if ((view.url === undefined) === (view.connection === undefined)) {
      problems.push({
        path,
        target: 'key',
        message: 'give either url or connection (the name of a top-level postgres connection)',
      });
    } else if (view.connection !== undefined && !connections.includes(view.connection)) {
      const known =
        connections.length > 0 ? `; connections: ${connections.join(', ')}` : '; none is declared';
      problems.push({
        path: [...path, 'connection'],
        message: `unknown postgres connection "${view.connection}"${known}`,
      });
    }
    problems.push(...planTable(parts, catalog, name).problems);
  }
  const tables = new Map<string, string>();
  for (const [name, p] of model.projections) {
    const view = p.views?.postgres;
    if (!view) continue;
    const plan = planTable(parts, catalog, name).plan;
    if (!plan) continue;
    const id = `${view.connection ?? view.url}|${plan.schema}.${plan.table}`;
    const other = tables.get(id);
    if (other !== undefined)
      problems.push({
        path: ['projections', name, 'views', 'postgres'],
        target: 'key',
        message: `table ${plan.schema}.${plan.table} is also the view of ${other}; set table:`,
      });
    else tables.set(id, name);
  }
  return problems;
}

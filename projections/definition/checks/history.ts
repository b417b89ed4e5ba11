// History (time travel) keeps versions of a table's rows; a stream projection has no rows to version.
import type { Catalog } from '../catalog.ts';
import type { Model } from '../model.ts';
import type { Problem } from '../problems.ts';

export function checkHistory(model: Model, catalog: Catalog): Problem[] {
  const problems: Problem[] = [];
  for (const [name, p] of model.projections) {
    if (!p.history) continue;
    if (catalog.relation(name)?.kind === 'stream') {
      problems.push({
        path: ['projections', name, 'history'],
        target: 'key',
        message: `history keeps versions of a table's rows, and ${name} is a stream (it neither aggregates nor reads a table)`,
      });
    }
  }
  return problems;
}

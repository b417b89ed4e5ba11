// Event-type features (deleteOn, `on:`, per-event-type maps) need a stream whose events carry a type.
import { aggregateShape } from '../aggregates.ts';
import type { Catalog } from '../catalog.ts';
import type { Model } from '../model.ts';
import type { PathSegment, Problem } from '../problems.ts';

export function checkEventTypes(model: Model, catalog: Catalog): Problem[] {
  const problems: Problem[] = [];
  for (const [name, p] of model.projections) {
    const input = catalog.relation(p.from);
    if (!input?.kind) continue;
    const uses: { path: PathSegment[]; what: string; target?: 'key' }[] = [];
    if (p.deleteOn) uses.push({ path: ['projections', name, 'deleteOn'], what: 'deleteOn' });
    if (p.deleteWhen !== undefined && input.kind === 'table') {
      problems.push({
        path: ['projections', name, 'deleteWhen'],
        target: 'key',
        message: `deleteWhen applies to events, but ${input.origin} "${input.name}" is a table (its deletes already retract)`,
      });
    }
    for (const [field, def] of Object.entries(p.aggregate ?? {})) {
      const shape = aggregateShape(def);
      const base: PathSegment[] = ['projections', name, 'aggregate', field, shape.fn];
      if (shape.on) uses.push({ path: [...base, 'on'], what: '`on:`' });
      if (shape.perType.length > 0)
        uses.push({ path: [...base, shape.perType[0]!], what: 'a per-event-type map', target: 'key' });
    }
    for (const { path, what, target } of uses) {
      if (input.kind === 'table') {
        const advice =
          what === 'deleteOn' ? '; rows are deleted by tombstones, or filter them with having' : '';
        problems.push({
          path,
          target,
          message: `${what} selects events by type, but ${input.origin} "${input.name}" is a table whose rows have no event type${advice}`,
        });
      } else if (!input.hasEventType) {
        problems.push({
          path,
          target,
          message: `${what} needs event types, but ${input.origin} "${input.name}" has no eventType; declare eventType: <field> on the source`,
        });
      }
    }
  }
  return problems;
}

// Shape rules zod cannot express: keys that only make sense together, non-empty maps, key naming.
import { isFieldPath } from '../aggregates.ts';
import type { Model } from '../model.ts';
import type { Problem } from '../problems.ts';

export function checkStructure(model: Model): Problem[] {
  const problems: Problem[] = [];
  if (model.hasSourceMap && model.sourceNames.length === 0) {
    problems.push({ path: ['sources'], target: 'key', message: 'define at least one source' });
  }
  if (model.hasProjectionMap && model.projectionNames.length === 0) {
    problems.push({ path: ['projections'], target: 'key', message: 'define at least one projection' });
  }
  for (const [name, p] of model.projections) {
    if (!p.aggregate) {
      if (p.having !== undefined) {
        problems.push({
          path: ['projections', name, 'having'],
          target: 'key',
          message: 'having filters aggregated rows and needs an aggregate; use where to filter events',
        });
      }
      for (const key of ['deleteOn', 'deleteWhen'] as const) {
        if (p[key] !== undefined) {
          problems.push({
            path: ['projections', name, key],
            target: 'key',
            message: `${key} needs an aggregate: it deletes the group of the event`,
          });
        }
      }
      if (p.groupBy !== undefined) {
        problems.push({
          path: ['projections', name, 'groupBy'],
          target: 'key',
          message: 'groupBy needs an aggregate: it says how events are grouped for aggregation',
        });
      }
    }
    if (Array.isArray(p.groupBy)) {
      const seen = new Map<string, number>();
      p.groupBy.forEach((expr, i) => {
        if (isFieldPath(expr)) {
          const part = expr.trim().split('.').at(-1)!;
          if (seen.has(part)) {
            problems.push({
              path: ['projections', name, 'groupBy', i],
              message: `groupBy names "${part}" twice (entries ${seen.get(part)} and ${i}); use the map form to rename one`,
            });
          }
          seen.set(part, i);
        } else {
          problems.push({
            path: ['projections', name, 'groupBy', i],
            message: `a list groupBy names each key part after its field, and "${expr}" is not a field path; use the map form, e.g. groupBy: { part: ${expr} }`,
          });
        }
      });
    }
  }
  return problems;
}

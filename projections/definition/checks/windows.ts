// Windows and emit modes: a window groups a stream's events by event time, so it needs an
// aggregate over a stream; emit: final needs a window; windowed groups expire instead of deleteOn.
import type { Catalog } from '../catalog.ts';
import { joinsOf } from '../model.ts';
import type { Model } from '../model.ts';
import type { Problem } from '../problems.ts';

export function checkWindows(model: Model, catalog: Catalog): Problem[] {
  const problems: Problem[] = [];
  for (const [name, p] of model.projections) {
    const at = ['projections', name];
    if (p.emit === 'final' && !p.window) {
      problems.push({
        path: [...at, 'emit'],
        message: 'emit: final sends one row per window once it closes; it needs a window',
      });
    }
    if (
      p.late !== undefined &&
      !p.window &&
      !joinsOf(name, p).some(({ join }) => join.stream !== undefined)
    ) {
      problems.push({
        path: [...at, 'late'],
        target: 'key',
        message:
          'late applies to records a window or a windowed stream join drops; this projection has neither',
      });
    }
    if (p.output && p.output.windowedKey === 'binary') {
      const readers = [...model.projections]
        .filter(
          ([n, q]) =>
            q.from === name || joinsOf(n, q).some(({ join }) => (join.stream ?? join.table) === name),
        )
        .map(([n]) => n);
      if (!p.window || readers.length > 0)
        problems.push({
          path: [...at, 'output', 'windowedKey'],
          message: !p.window
            ? 'binary windowed keys are for windowed aggregates; this projection has no window'
            : `binary windowed keys: ${readers.join(', ')} reads this projection, and reads keys as JSON; keep windowedKey: json`,
        });
    }
    if (!p.window) continue;
    if (!p.aggregate) {
      problems.push({
        path: [...at, 'window'],
        target: 'key',
        message: 'a window groups events for an aggregate; add aggregate (and groupBy) or remove window',
      });
    }
    const input = catalog.relation(p.from);
    if (input?.kind === 'table') {
      problems.push({
        path: [...at, 'window'],
        target: 'key',
        message: `a window groups events by event time, but ${input.origin} "${p.from}" is a table (its rows have no event time to window)`,
      });
    }
    for (const key of ['deleteOn', 'deleteWhen'] as const) {
      if (p[key] !== undefined)
        problems.push({
          path: [...at, key],
          target: 'key',
          message: `${key} does not apply to a windowed aggregate: its windows close and expire by themselves`,
        });
    }
  }
  return problems;
}

// Names that must resolve: `from`, join tables; joins need a table on the right; no cycles.
import type { Catalog, Relation } from '../catalog.ts';
import { joinsOf, type Model } from '../model.ts';
import { joinTarget } from '../schema.ts';
import type { PathSegment, Problem } from '../problems.ts';
import { didYouMean } from '../suggest.ts';

function streamHint(r: Relation): string {
  return r.origin === 'source'
    ? `; declare it with kind: table, or aggregate it in a projection`
    : `; a projection without aggregate over a stream is a stream — give it an aggregate to make it a table`;
}

export function checkReferences(model: Model, catalog: Catalog): Problem[] {
  const problems: Problem[] = [];
  const names = [...model.sourceNames, ...model.projectionNames];
  for (const name of model.projectionNames) {
    if (model.sourceNames.includes(name)) {
      problems.push({
        path: ['projections', name],
        target: 'key',
        message: `"${name}" is both a source and a projection; names must be unique`,
      });
    }
  }
  for (const [name, from] of model.froms) {
    if (!names.includes(from)) {
      problems.push({
        path: ['projections', name, 'from'],
        message: `unknown source or projection "${from}"${didYouMean(from, names)}`,
      });
    }
  }
  for (const [name, p] of model.projections) {
    const left = catalog.relation(p.from);
    for (const { join, path } of joinsOf(name, p)) {
      const target = joinTarget(join);
      const field = join.stream !== undefined ? 'stream' : 'table';
      if (!names.includes(target)) {
        problems.push({
          path: [...path, field],
          message: `unknown ${field} "${target}"${didYouMean(target, names)}`,
        });
        continue;
      }
      const right = catalog.relation(target);
      if (join.stream !== undefined) {
        if (right?.kind === 'table')
          problems.push({
            path: [...path, 'stream'],
            message: `a stream–stream join needs a stream on the right, but ${right.origin} "${target}" is a table; join it with table: instead`,
          });
        if (left?.kind === 'table')
          problems.push({
            path: [...path, 'stream'],
            message: `a stream–stream join needs a stream on the left, but "${p.from}" is a table`,
          });
        continue;
      }
      if (right?.kind === 'stream') {
        problems.push({
          path: [...path, 'table'],
          message: `a join needs a table on the right, but ${right.origin} "${target}" is a stream${streamHint(right)}`,
        });
      }
      if (join.type === 'outer' && join.on !== undefined) {
        problems.push({
          path: [...path, 'type'],
          message: 'a foreign-key join (with on:) is inner or left, not outer',
        });
      } else if (join.type === 'outer' && left?.kind === 'stream') {
        problems.push({
          path: [...path, 'type'],
          message: `a stream–table join is inner or left; "${p.from}" is a stream, and outer needs tables on both sides`,
        });
      }
    }
  }
  problems.push(...checkCycles(model));
  return problems;
}

interface Edge {
  readonly to: string;
  readonly path: PathSegment[];
}

function checkCycles(model: Model): Problem[] {
  const edges = new Map<string, Edge[]>();
  for (const [name, p] of model.projections) {
    const out: Edge[] = [];
    if (model.projections.has(p.from)) out.push({ to: p.from, path: ['projections', name, 'from'] });
    for (const { join, path } of joinsOf(name, p)) {
      const target = joinTarget(join);
      const field = join.stream !== undefined ? 'stream' : 'table';
      if (model.projections.has(target)) out.push({ to: target, path: [...path, field] });
    }
    edges.set(name, out);
  }
  const order = [...model.projections.keys()];
  const problems: Problem[] = [];
  const reported = new Set<string>();
  const done = new Set<string>();
  const stack: string[] = [];

  const visit = (node: string): void => {
    if (done.has(node)) return;
    const at = stack.indexOf(node);
    if (at >= 0) {
      const members = stack.slice(at);
      const id = [...members].sort().join(',');
      if (reported.has(id)) return;
      reported.add(id);
      // start the cycle at the member that comes first in the file
      const first = members.reduce((a, b) => (order.indexOf(b) < order.indexOf(a) ? b : a));
      const i = members.indexOf(first);
      const loop = [...members.slice(i), ...members.slice(0, i), first];
      const edge = edges.get(first)!.find((e) => e.to === loop[1])!;
      problems.push({ path: edge.path, message: `cycle: ${loop.join(' → ')}` });
      return;
    }
    stack.push(node);
    for (const e of edges.get(node) ?? []) visit(e.to);
    stack.pop();
    done.add(node);
  };
  for (const name of order) visit(name);
  return problems;
}

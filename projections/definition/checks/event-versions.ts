// Upcasters (`version`, `upcast`) and event-id deduplication (`eventId`, `dedupHorizonMs`) on
// sources: chains without gaps, splits that cannot loop, and options that need each other.
import { aggregateShape } from '../aggregates.ts';
import { checkSite, type Scope, type Variable } from '../expression-check.ts';
import type { Model } from '../model.ts';
import type { PathSegment, Problem } from '../problems.ts';
import type { SourceDef, UpcastStepDef } from '../schema.ts';

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Upcaster expressions read an event of unknown shape plus the specials. */
const UPCAST_SCOPE: Scope = {
  closed: false,
  vars: new Map<string, Variable>(
    ['_key', '_value', '_type', '_version', '_timestamp', '_topic', '_partition', '_offset'].map((v) => [
      v,
      { type: 'dyn' },
    ]),
  ),
  describe: 'the event being upcast',
};

export function checkEventVersions(model: Model): Problem[] {
  const problems: Problem[] = [];
  for (const [name, s] of model.sources) {
    const at = (...rest: PathSegment[]): PathSegment[] => ['sources', name, ...rest];
    if (s.kind === 'table') {
      for (const key of ['eventId', 'dedupHorizonMs', 'upcast', 'version'] as const) {
        if (s[key] === undefined) continue;
        const why =
          key === 'eventId' || key === 'dedupHorizonMs'
            ? 'a table source is idempotent by key (a re-sent row replaces itself), so it is not deduplicated'
            : 'upcasters rewrite events; a table source holds rows';
        problems.push({ path: at(key), target: 'key', message: `${key} applies to stream sources: ${why}` });
      }
      continue;
    }
    if (s.dedupHorizonMs !== undefined && s.eventId === undefined) {
      problems.push({
        path: at('dedupHorizonMs'),
        target: 'key',
        message: 'dedupHorizonMs says how long event ids are remembered; declare eventId: <field> too',
      });
    }
    if (s.version !== undefined) problems.push(...checkSite(s.version, UPCAST_SCOPE, at('version')).problems);
    if (!s.upcast) continue;
    if (s.eventType === undefined) {
      problems.push({
        path: at('upcast'),
        target: 'key',
        message: 'upcasters are declared per event type; declare eventType: <field> on the source',
      });
      continue;
    }
    problems.push(...checkChains(s, at));
  }
  problems.push(...checkRetiredTypes(model));
  return problems;
}

/**
 * A type whose last step splits it into other types is retired: no event of it reaches a
 * projection, so a projection that selects it by type is a mistake (it would never match).
 */
function checkRetiredTypes(model: Model): Problem[] {
  const problems: Problem[] = [];
  const retired = new Map<string, Map<string, string[]>>();
  for (const [name, s] of model.sources) {
    if (s.kind !== 'stream' || !s.upcast) continue;
    const types = new Map<string, string[]>();
    for (const [type, steps] of Object.entries(s.upcast)) {
      const last = steps.at(-1)?.split;
      if (last && !last.some((p) => (p.type ?? type) === type))
        types.set(
          type,
          last.map((p) => p.type!),
        );
    }
    if (types.size > 0) retired.set(name, types);
  }
  for (const [name, p] of model.projections) {
    const types = retired.get(p.from);
    if (!types) continue;
    const check = (type: string, path: PathSegment[], target?: 'key') => {
      const into = types.get(type);
      if (into)
        problems.push({
          path,
          target,
          message: `no ${type} event reaches projections: the upcasters of source "${p.from}" split every ${type} into ${[...new Set(into)].join(', ')}`,
        });
    };
    p.deleteOn?.forEach((t, i) => check(t, ['projections', name, 'deleteOn', i]));
    for (const [field, def] of Object.entries(p.aggregate ?? {})) {
      const shape = aggregateShape(def);
      const base: PathSegment[] = ['projections', name, 'aggregate', field, shape.fn];
      shape.on?.forEach((t, i) => check(t, [...base, 'on', i]));
      for (const t of shape.perType) check(t, [...base, t], 'key');
    }
  }
  return problems;
}

function checkChains(s: SourceDef, at: (...rest: PathSegment[]) => PathSegment[]): Problem[] {
  const problems: Problem[] = [];
  const upcast = s.upcast!;
  const typeIsField = FIELD_PATH.test(s.eventType!.trim());
  const range = new Map<string, { first: number; current: number }>();
  for (const [type, steps] of Object.entries(upcast)) {
    range.set(type, { first: steps[0]!.from, current: steps.at(-1)!.from + 1 });
  }
  for (const [type, steps] of Object.entries(upcast)) {
    steps.forEach((step, i) => {
      const path = at('upcast', type, i);
      if (i > 0) {
        const prev = steps[i - 1]!.from;
        if (step.from === prev)
          problems.push({ path: [...path, 'from'], message: `${type} has two steps from version ${prev}` });
        else if (step.from < prev)
          problems.push({
            path: [...path, 'from'],
            message: `list the steps of ${type} in version order: from ${step.from} comes after from ${prev}`,
          });
        else if (step.from > prev + 1)
          problems.push({
            path: [...path, 'from'],
            message: `the chain of ${type} has a gap: no step from version ${prev + 1} (steps from ${prev} and ${step.from}); add one, even an empty { from: ${prev + 1} }`,
          });
      }
      problems.push(...checkEdits(step, path));
      step.split?.forEach((part, j) => {
        const partPath = [...path, 'split', j];
        problems.push(...checkEdits(part, partPath));
        const partType = part.type ?? type;
        if (partType !== type && !typeIsField) {
          problems.push({
            path: [...partPath, 'type'],
            message: `a split part of another type is written into the eventType field, but eventType "${s.eventType}" is an expression, not a field`,
          });
        }
        if (part.version === undefined) return;
        if (partType === type && part.version <= step.from) {
          problems.push({
            path: [...partPath, 'version'],
            message: `a split part of ${type} must move forward: version ${part.version} is not after ${step.from}`,
          });
        }
        const r = range.get(partType);
        if (r && (part.version < r.first || part.version > r.current)) {
          problems.push({
            path: [...partPath, 'version'],
            message: `${partType} has upcasters for versions ${r.first} to ${r.current}; version ${part.version} is outside them`,
          });
        }
      });
    });
  }
  const loop = findLoop(upcast, range);
  if (loop) {
    problems.push({
      path: at('upcast', loop[0]!.slice(0, loop[0]!.lastIndexOf(' v'))),
      target: 'key',
      message: `upcasting would never end: ${loop.join(' → ')}`,
    });
  }
  return problems;
}

function checkEdits(
  d: Pick<UpcastStepDef, 'rename' | 'default' | 'set' | 'remove'>,
  path: PathSegment[],
): Problem[] {
  const problems: Problem[] = [];
  const targets = new Map<string, string>();
  for (const [from, to] of Object.entries(d.rename ?? {})) {
    if (from === to) {
      problems.push({ path: [...path, 'rename', from], message: `renames ${from} to itself` });
    } else if (targets.has(to)) {
      problems.push({
        path: [...path, 'rename', from],
        message: `${from} and ${targets.get(to)} are both renamed to ${to}`,
      });
    }
    targets.set(to, from);
  }
  for (const [field, source] of Object.entries(d.set ?? {})) {
    problems.push(...checkSite(source, UPCAST_SCOPE, [...path, 'set', field]).problems);
  }
  return problems;
}

/** A cycle among (type, version) states through splits into other types, e.g. A v1 → B v1 → A v1. */
function findLoop(
  upcast: NonNullable<SourceDef['upcast']>,
  range: Map<string, { first: number; current: number }>,
): string[] | undefined {
  const next = (type: string, version: number): [string, number][] => {
    const r = range.get(type);
    if (!r || version < r.first || version >= r.current) return [];
    const step = upcast[type]!.find((s) => s.from === version);
    if (!step) return [];
    if (!step.split) return [[type, version + 1]];
    return step.split.map((p) => {
      const t = p.type ?? type;
      return [t, p.version ?? (t === type ? version + 1 : (range.get(t)?.current ?? 1))];
    });
  };
  const done = new Set<string>();
  const visit = (type: string, version: number, stack: string[]): string[] | undefined => {
    const id = `${type} v${version}`;
    if (stack.includes(id)) return [...stack.slice(stack.indexOf(id)), id];
    if (done.has(id)) return undefined;
    for (const [t, v] of next(type, version)) {
      const loop = visit(t, v, [...stack, id]);
      if (loop) return loop;
    }
    done.add(id);
    return undefined;
  };
  for (const [type, r] of range) {
    for (let v = r.first; v < r.current; v++) {
      const loop = visit(type, v, []);
      if (loop) return loop;
    }
  }
  return undefined;
}

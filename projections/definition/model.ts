// The parts of a definition that are individually valid, so semantic checks can run (and report)
// alongside schema errors elsewhere in the file.
import { type JoinDef, Projection, type ProjectionDef, Source, type SourceDef } from './schema.ts';
import type { PathSegment } from './problems.ts';

export interface Model {
  readonly application: string | undefined;
  /** Every declared name, valid or not: an invalid source is still not an "unknown" source. */
  readonly sourceNames: readonly string[];
  readonly projectionNames: readonly string[];
  readonly sources: ReadonlyMap<string, SourceDef>;
  readonly projections: ReadonlyMap<string, ProjectionDef>;
  /** `from` of every projection that spells one, valid or not, so a typo is reported even when the projection has other errors. */
  readonly froms: ReadonlyMap<string, string>;
  /** Whether the `sources` / `projections` maps themselves are present and maps. */
  readonly hasSourceMap: boolean;
  readonly hasProjectionMap: boolean;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function buildModel(raw: unknown): Model {
  const root = isMap(raw) ? raw : {};
  const sourcesRaw = isMap(root.sources) ? root.sources : {};
  const projectionsRaw = isMap(root.projections) ? root.projections : {};
  const sources = new Map<string, SourceDef>();
  for (const [name, value] of Object.entries(sourcesRaw)) {
    const r = Source.safeParse(value);
    if (r.success) sources.set(name, r.data);
  }
  const projections = new Map<string, ProjectionDef>();
  const froms = new Map<string, string>();
  for (const [name, value] of Object.entries(projectionsRaw)) {
    if (isMap(value) && typeof value.from === 'string') froms.set(name, value.from);
    const r = Projection.safeParse(value);
    if (r.success) projections.set(name, r.data);
  }
  return {
    application: typeof root.application === 'string' ? root.application : undefined,
    sourceNames: Object.keys(sourcesRaw),
    projectionNames: Object.keys(projectionsRaw),
    sources,
    projections,
    froms,
    hasSourceMap: isMap(root.sources),
    hasProjectionMap: isMap(root.projections),
  };
}

/** A projection's joins as a list, each with its path in the document. */
export function joinsOf(name: string, p: ProjectionDef): { join: JoinDef; path: PathSegment[] }[] {
  if (!p.join) return [];
  if (Array.isArray(p.join))
    return p.join.map((join, i) => ({ join, path: ['projections', name, 'join', i] }));
  return [{ join: p.join, path: ['projections', name, 'join'] }];
}

/** The output topic: explicit, `<application>-<projection>` by default, undefined for `output: false`. */
export function outputTopicOf(application: string, name: string, p: ProjectionDef): string | undefined {
  if (p.output === false) return undefined;
  return p.output?.topic ?? `${application}-${name}`;
}

// Validation of a parsed (not yet typed) definition: the zod schema, then the semantic checks.
// Both run on the same input, so one pass reports every problem in the file.
import { checkCommands } from '../commands/check.ts';
import { Catalog } from './catalog.ts';
import { checkEventTypes } from './checks/events.ts';
import { checkEventVersions } from './checks/event-versions.ts';
import { checkExpressions } from './checks/expressions.ts';
import { checkFormats } from './checks/formats.ts';
import { checkOutputs } from './checks/outputs.ts';
import { checkReferences } from './checks/references.ts';
import { checkHistory } from './checks/history.ts';
import { checkStructure } from './checks/structure.ts';
import { checkViews } from './checks/views.ts';
import { checkWindows } from './checks/windows.ts';
import { buildModel } from './model.ts';
import { formatPath, type Problem } from './problems.ts';
import { Definition } from './schema.ts';
import { zodProblems } from './zod-issues.ts';

export type CheckResult =
  | { readonly definition: Definition; readonly problems: readonly [] }
  | { readonly definition?: undefined; readonly problems: readonly Problem[] };

/** Validates a definition object (e.g. an inline fixture definition). Problems are unlocated; see parseDefinition. */
export function checkDefinition(raw: unknown): CheckResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problems: [{ path: [], message: 'expected a map with application, sources and projections' }] };
  }
  const parsed = Definition.safeParse(raw);
  const problems = parsed.success ? [] : zodProblems(parsed.error.issues, raw);
  const model = buildModel(raw);
  const catalog = new Catalog(model);
  problems.push(
    ...checkStructure(model),
    ...checkReferences(model, catalog),
    ...checkEventTypes(model, catalog),
    ...checkCommands(model, catalog, raw),
    ...checkEventVersions(model),
    ...checkFormats(model, raw),
    ...checkOutputs(model),
    ...checkExpressions(model, catalog),
    ...checkHistory(model, catalog),
    ...checkWindows(model, catalog),
    ...checkViews(model, catalog, raw),
  );
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const id = `${formatPath(p.path)}|${p.target ?? ''}|${p.message}`;
    return seen.has(id) ? false : (seen.add(id), true);
  });
  if (unique.length === 0 && parsed.success) return { definition: parsed.data, problems: [] };
  return { problems: unique };
}

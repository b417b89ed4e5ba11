// Registry formats: sources and outputs in avro / json-schema need a schema registry; options that
// only make sense for one format; projection topics other projections read stay JSON.
import { joinTarget } from '../schema.ts';
import { joinsOf, type Model } from '../model.ts';
import type { Problem } from '../problems.ts';

const registryUrlOf = (raw: unknown): string | undefined => {
  const r = (raw as { schemaRegistry?: { url?: unknown } } | null)?.schemaRegistry;
  return typeof r?.url === 'string' ? r.url.trim() : undefined;
};

export function checkFormats(model: Model, raw: unknown): Problem[] {
  const problems: Problem[] = [];
  const hasRegistry = Boolean(registryUrlOf(raw));
  const needsRegistry = (format: string) =>
    `format ${format} reads schemas from a schema registry; set schemaRegistry.url (e.g. "\${SCHEMA_REGISTRY_URL}")`;
  for (const [name, s] of model.sources) {
    if (s.format !== 'json' && !hasRegistry)
      problems.push({ path: ['sources', name, 'format'], message: needsRegistry(s.format) });
    if (s.readerSchema !== undefined && s.format !== 'avro')
      problems.push({
        path: ['sources', name, 'readerSchema'],
        target: 'key',
        message: `readerSchema is an Avro reader schema; source format is ${s.format}`,
      });
  }
  const read = new Set<string>();
  for (const [name, p] of model.projections) {
    read.add(p.from);
    for (const { join } of joinsOf(name, p)) read.add(joinTarget(join));
  }
  for (const [name, p] of model.projections) {
    if (p.output === false || p.output === undefined) continue;
    if (p.output.format !== 'json' && !hasRegistry)
      problems.push({
        path: ['projections', name, 'output', 'format'],
        message: needsRegistry(p.output.format),
      });
    if (p.output.subject !== undefined && p.output.format === 'json')
      problems.push({
        path: ['projections', name, 'output', 'subject'],
        target: 'key',
        message: 'subject names a registry schema; the output format is json',
      });
  }
  for (const [name, p] of model.projections) {
    if (p.output && p.output.format !== 'json' && read.has(name))
      problems.push({
        path: ['projections', name, 'output', 'format'],
        message: `other projections read "${name}", and they read JSON; keep its output json (or add a projection that re-publishes it as ${p.output.format})`,
      });
  }
  return problems;
}

// Output topics: one writer per topic, and never a topic the application reads.
import { type Model, outputTopicOf } from '../model.ts';
import type { PathSegment, Problem } from '../problems.ts';

export function checkOutputs(model: Model): Problem[] {
  const problems: Problem[] = [];
  const sourceTopics = new Map<string, string>();
  for (const [name, s] of model.sources) if (!sourceTopics.has(s.topic)) sourceTopics.set(s.topic, name);
  const writers = new Map<string, string>();
  for (const [name, p] of model.projections) {
    const explicit = p.output !== false && p.output?.topic !== undefined;
    if (!explicit && model.application === undefined) continue;
    const topic = outputTopicOf(model.application ?? '', name, p);
    if (topic === undefined) continue;
    const path: PathSegment[] = explicit ? ['projections', name, 'output', 'topic'] : ['projections', name];
    const what = explicit ? `output topic "${topic}"` : `the default output topic "${topic}"`;
    const target = explicit ? undefined : ('key' as const);
    const source = sourceTopics.get(topic);
    if (source !== undefined) {
      problems.push({
        path,
        target,
        message: `${what} is the topic of source "${source}"; a projection must not write to an input topic`,
      });
    }
    const other = writers.get(topic);
    if (other !== undefined) {
      problems.push({
        path,
        target,
        message: `${what} is also the output of projection "${other}"; give each projection its own topic`,
      });
    } else {
      writers.set(topic, name);
    }
  }
  return problems;
}

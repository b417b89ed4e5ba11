// describeTopology(): the topology as text — sources → operators → stores → topics.
import { names } from './names.ts';
import type { Topology } from './topology.ts';

export function describeTopology(t: Topology, partitions?: ReadonlyMap<string, number>): string {
  const parts = (topic: string) => {
    const n = partitions?.get(topic);
    return n === undefined ? '' : ` [${n} partition${n === 1 ? '' : 's'}]`;
  };
  const lines: string[] = [`application ${t.application}`, ''];
  lines.push('sources:');
  for (const s of t.sources) lines.push(`  ${s.name}: ${s.kind} ← ${s.topic}${parts(s.topic)}`);
  lines.push('', 'projections:');
  for (const p of t.projections) {
    const where =
      p.topic === null
        ? 'no topic'
        : `${p.internalTopic ? 'internal feed' : 'output'} → ${p.topic}${parts(p.topic)}`;
    lines.push(`  ${p.name}: ${p.kind} from ${p.from}, ${where}`);
  }
  for (const s of t.subTopologies) {
    lines.push('', `sub-topology ${s.id} (projection ${s.projection})`);
    for (const i of s.inputs)
      lines.push(
        `  reads  ${i.topic}${parts(i.topic)} (${i.role}${i.role === 'exchange' ? ` ${i.name}` : ` ${i.name}`})`,
      );
    for (const op of s.operators) lines.push(`  → ${op}`);
    for (const st of s.stores)
      lines.push(`  store  ${st.name} (changelog ${names.changelogTopic(st.name)}): ${st.purpose}`);
    for (const x of s.sends) lines.push(`  writes ${x}`);
  }
  if (t.exchanges.length > 0) {
    lines.push('', 'internal topics:');
    for (const x of t.exchanges)
      lines.push(`  ${x.topic}: ${x.purpose}, keyed by ${x.keyedBy} (${x.from} → ${x.to})`);
  }
  return `${lines.join('\n')}\n`;
}

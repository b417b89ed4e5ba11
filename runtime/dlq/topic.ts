// Where dead letters go: the source's deadLetterTopic, else the application's, else `<app>-dlq`.
import type { Definition } from '../../projections/definition/schema.ts';

export const defaultDeadLetterTopic = (application: string): string => `${application}-dlq`;

export function deadLetterTopicOf(def: Definition, sourceName?: string): string {
  const source = sourceName === undefined ? undefined : def.sources[sourceName];
  return source?.deadLetterTopic ?? def.deadLetterTopic ?? defaultDeadLetterTopic(def.application);
}

/** The dead-letter topic for a record read from `topic`: its source's, or the application's for internal topics. */
export function deadLetterTopicForTopic(def: Definition, topic: string): string {
  const source = Object.entries(def.sources).find(([, s]) => s.topic === topic);
  return deadLetterTopicOf(def, source?.[0]);
}

/** Every dead-letter topic of an application (what `dlq list` and `dlq replay` read). */
export function deadLetterTopics(def: Definition): string[] {
  const topics = new Set([deadLetterTopicOf(def)]);
  for (const name of Object.keys(def.sources)) topics.add(deadLetterTopicOf(def, name));
  return [...topics];
}

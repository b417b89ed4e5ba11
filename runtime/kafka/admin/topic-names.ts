// Internal topic names come from the engine's naming (projections/graph/names.ts): they derive from
// the application id, projection names and purposes, never from positions. This module only adds
// the check that Kafka will accept them.
import { names } from '../../../projections/graph/names.ts';

const LEGAL = /^[a-zA-Z0-9._-]+$/;
const MAX_LENGTH = 249;

/**
 * The compacted changelog behind a state store: `<store>-changelog`. Store names already start
 * with the application id (`<application>-<projection>-<role>`), as in Kafka Streams.
 */
export function changelogTopic(store: string): string {
  return checkedTopicName(names.changelogTopic(store));
}

export function checkedTopicName(name: string): string {
  if (!LEGAL.test(name) || name.length > MAX_LENGTH || name === '.' || name === '..') {
    throw new Error(
      `"${name}" is not a legal Kafka topic name (letters, digits, '.', '_', '-'; at most ${MAX_LENGTH} characters); rename the application or projection`,
    );
  }
  return name;
}

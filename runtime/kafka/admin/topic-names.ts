// Names of internal topics. They derive from the application id and the store or projection name,
// never from positions, so adding or editing one projection never orphans another's state.

const LEGAL = /^[a-zA-Z0-9._-]+$/;
const MAX_LENGTH = 249;

/** The compacted changelog behind a state store: `<application>-<store>-changelog`. */
export function changelogTopic(application: string, store: string): string {
  return checkedTopicName(`${application}-${store}-changelog`);
}

/** The topic a re-keying operator writes to and reads back from: `<application>-<name>-repartition`. */
export function repartitionTopic(application: string, name: string): string {
  return checkedTopicName(`${application}-${name}-repartition`);
}

export function checkedTopicName(name: string): string {
  if (!LEGAL.test(name) || name.length > MAX_LENGTH || name === '.' || name === '..') {
    throw new Error(
      `"${name}" is not a legal Kafka topic name (letters, digits, '.', '_', '-'; at most ${MAX_LENGTH} characters); rename the application or projection`,
    );
  }
  return name;
}

// Checks made before anything is written: the brokers answer, the source topics exist. Shared by
// the Application's start and the VersionedRuntime's prepare (which writes the deployments topic,
// so it checks first), so both refuse with the same one-line message. Must not write anything.
import type { Admin, Kafka } from 'kafkajs';
import { describeError, UserError } from './errors.ts';

/** A connected admin client, or UserError "cannot reach Kafka" once `timeoutMs` has passed. */
export async function connectAdmin(kafka: Kafka, brokers: string[], timeoutMs = 6_000): Promise<Admin> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      await admin.listTopics();
      return admin;
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      if (Date.now() >= deadline)
        throw new UserError(`cannot reach Kafka at ${brokers.join(',')}: ${describeError(err)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Throws UserError naming the sources whose topic does not exist. */
export function checkSourceTopics(
  sources: ReadonlyArray<{ name: string; topic: string }>,
  existing: ReadonlySet<string>,
): void {
  const missing = sources.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return;
  const many = missing.length > 1;
  throw new UserError(
    `source topic${many ? 's' : ''} ${missing.map((s) => `${s.topic} (source ${s.name})`).join(', ')} ${many ? 'do' : 'does'} not exist; create ${many ? 'them' : 'it'} first`,
  );
}

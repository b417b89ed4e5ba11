// The `<app>-deployments` topic: one compacted partition, key `<projection>@<version>`, value the
// DeploymentRecord as JSON. Every instance reads it at start and keeps following it, so a
// `streamfold promote` (or another instance's auto switch) reaches every query API within a poll.
// Read without a consumer group (the changelog reader), so followers leave no groups behind.
import type { Admin, Kafka } from 'kafkajs';
import { type DeploymentRecord, deploymentKey } from '../../projections/versions/index.ts';
import { ensureTopics } from '../kafka/admin/index.ts';
import { type ChangelogSource, KafkaChangelogSource } from '../kafka/restore/index.ts';
import { RenewingProducer } from '../kafka/producer/renewing-producer.ts';

export function deploymentsTopic(application: string): string {
  return `${application}-deployments`;
}

export class DeploymentsLog {
  private readonly records = new Map<string, DeploymentRecord>();
  private next = 0;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private readonly listeners: Array<(changed: DeploymentRecord[]) => void> = [];

  private constructor(
    readonly topic: string,
    private readonly source: ChangelogSource,
    private readonly producer: RenewingProducer,
  ) {}

  /** Creates the topic when missing and reads it to its end. */
  static async open(kafka: Kafka, admin: Admin, application: string): Promise<DeploymentsLog> {
    const topic = deploymentsTopic(application);
    await ensureTopics(admin, [{ name: topic, kind: 'changelog', partitions: 1 }]);
    const producer = new RenewingProducer(() =>
      kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
    );
    await producer.connect();
    const log = new DeploymentsLog(topic, await KafkaChangelogSource.connect(kafka), producer);
    await log.poll();
    return log;
  }

  all(): DeploymentRecord[] {
    return [...this.records.values()];
  }

  /** Writes records (acknowledged by the broker) and applies them locally at once. */
  async write(records: DeploymentRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [
        {
          topic: this.topic,
          messages: records.map((r) => ({
            key: deploymentKey(r.projection, r.version),
            value: JSON.stringify(r),
          })),
        },
      ],
    });
    this.apply(records);
  }

  /** Called with the records that changed, from writes here and from other writers. */
  onChange(listener: (changed: DeploymentRecord[]) => void): void {
    this.listeners.push(listener);
  }

  /** Follows the topic every `ms` until close(). */
  follow(ms = 500): void {
    this.timer ??= setInterval(() => {
      this.polling ??= this.poll()
        .catch(() => undefined)
        .finally(() => {
          this.polling = null;
        });
    }, ms);
    this.timer.unref();
  }

  /** Reads what was written since the last read. */
  async poll(): Promise<void> {
    const tp = { topic: this.topic, partition: 0 };
    const range = (await this.source.offsets([tp])).values().next().value!;
    let offset = Math.max(this.next, range.earliest);
    const changed: DeploymentRecord[] = [];
    while (offset < range.end) {
      const [fetched] = await this.source.fetch([{ ...tp, offset }]);
      if (!fetched || fetched.endOfLog) break;
      for (const r of fetched.records) {
        if (r.value) changed.push(JSON.parse(r.value.toString('utf8')) as DeploymentRecord);
      }
      offset = fetched.nextOffset;
    }
    this.next = offset;
    this.apply(changed);
  }

  private apply(records: DeploymentRecord[]): void {
    const changed = records.filter((r) => {
      const key = deploymentKey(r.projection, r.version);
      const before = this.records.get(key);
      this.records.set(key, r);
      return JSON.stringify(before) !== JSON.stringify(r);
    });
    if (changed.length > 0) for (const l of this.listeners) l(changed);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
    await this.source.close();
    await this.producer.disconnect();
  }
}

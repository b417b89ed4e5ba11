// What a task writes between two commits, besides its changelogs.
// - Table projections: one record per (projection, key), the latest: Kafka Streams' record cache.
//   A hot key updated 1000 times between two commits costs one output record.
// - Stream projections: every record (a stream is append-only; collapsing would lose events).
// - Exchange records: every record, in order (the receiving sub-topology needs each message). Only
//   under exactly-once (the task's transaction): at-least-once sends them as produced (lingering-sender.ts).
// Must not send anything: the commit drains it.
import { encodeKey } from '../../projections/keys.ts';
import type { OutputRecord } from '../../projections/records.ts';
import { encodeWindowedKey, isWindowedKey } from '../../projections/windows/keys.ts';
import type { WindowType } from '../../projections/windows/spec.ts';
import { encodeExchangeRecord, encodeProjectionRecord, type EncodedMessage } from '../formats/index.ts';

/** The collapsing key of a null record key. */
const NULL_KEY = '\0null';

export interface TopicMessages {
  topic: string;
  messages: EncodedMessage[];
}

export class OutputBuffer {
  /** topic → encoded key → record (table projections; Map keeps first-insertion order) */
  private readonly tables = new Map<string, Map<string, OutputRecord>>();
  private readonly appended = new Map<string, EncodedMessage[]>();
  private count = 0;
  /** Output topics with binary windowed keys, and their window type. */
  private readonly binaryKeyed = new Map<string, WindowType>();

  constructor(
    /** projection → its records topic (null: written nowhere) and kind */
    private readonly projections: ReadonlyMap<
      string,
      { topic: string | null; kind: 'stream' | 'table'; windowed?: boolean; binaryWindowedKey?: WindowType }
    >,
  ) {}

  /** Records waiting (after collapsing). */
  get size(): number {
    return this.count;
  }

  /** `encodedKey`: the record key's encoding, when the operator had it (ProcessorContext.emit). */
  emit(record: OutputRecord, encodedKey?: string): void {
    const p = this.projections.get(record.projection);
    if (!p?.topic) return;
    if (p.kind === 'stream') {
      this.append(p.topic, encodeProjectionRecord(record, p.binaryWindowedKey));
      return;
    }
    let byKey = this.tables.get(p.topic);
    if (!byKey) this.tables.set(p.topic, (byKey = new Map()));
    const key = record.key;
    const k =
      key === null || key === undefined
        ? NULL_KEY
        : (encodedKey ?? (p.windowed && isWindowedKey(key) ? encodeWindowedKey(key) : encodeKey(key)));
    // one hash of the key, not two (has, then set): windowed keys are long, freshly built strings
    const before = byKey.size;
    byKey.set(k, record);
    this.count += byKey.size - before;
    if (p.binaryWindowedKey) this.binaryKeyed.set(p.topic, p.binaryWindowedKey);
  }

  send(topic: string, key: string, value: unknown): void {
    this.append(topic, encodeExchangeRecord(key, value, Date.now()));
  }

  /** Everything buffered, as producer messages; the buffer is empty afterwards. */
  drain(): TopicMessages[] {
    const out: TopicMessages[] = [];
    for (const [topic, byKey] of this.tables) {
      const layout = this.binaryKeyed.get(topic);
      const messages: EncodedMessage[] = [];
      // the collapsing key is the record key's encoding: not computed twice
      for (const [k, r] of byKey)
        messages.push(encodeProjectionRecord(r, layout, r.key === null || r.key === undefined ? null : k));
      out.push({ topic, messages });
    }
    for (const [topic, messages] of this.appended) out.push({ topic, messages });
    this.clear();
    return out;
  }

  clear(): void {
    this.tables.clear();
    this.appended.clear();
    this.count = 0;
  }

  private append(topic: string, message: EncodedMessage): void {
    let list = this.appended.get(topic);
    if (!list) this.appended.set(topic, (list = []));
    list.push(message);
    this.count++;
  }
}

// Waiting until freshly created topics are really served. A KRaft broker answers metadata with a
// leader before that leader has loaded the partition: for a moment Produce, Fetch and ListOffsets
// then fail with "This server does not host this topic-partition", and a start that raced it gave
// up. ListOffsets goes to each partition's leader, so its success is the proof waited for here.
import type { Admin } from 'kafkajs';

const POLL_MS = 100;

/** Resolves once every partition of `topics` has a leader that answers ListOffsets. */
export async function awaitTopicsServed(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  if (topics.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  let pending = [...topics];
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: pending });
      const led = meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (led) {
        const still: string[] = [];
        for (const topic of pending) {
          try {
            await admin.fetchTopicOffsets(topic);
          } catch {
            still.push(topic);
          }
        }
        pending = still;
        if (pending.length === 0) return;
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error(`topics ${pending.join(', ')} are not served by a leader yet`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

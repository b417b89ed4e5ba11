// One at a time: batch processing, commits and rebalance handling all touch the tasks' write
// caches, and a commit must never be prepared while another runs. Orders callers only; it must
// not know what it guards.
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

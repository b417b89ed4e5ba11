// The entities that exist right now, with O(1) add, remove and random pick (swap-remove).
import type { Random } from './random.ts';

export class LiveSet<T extends { id: string }> {
  private readonly items: T[] = [];
  private readonly index = new Map<string, number>();

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    this.index.set(item.id, this.items.length);
    this.items.push(item);
  }

  get(id: string): T | undefined {
    const i = this.index.get(id);
    return i === undefined ? undefined : this.items[i];
  }

  remove(id: string): void {
    const i = this.index.get(id);
    if (i === undefined) return;
    const last = this.items.pop() as T;
    this.index.delete(id);
    if (i < this.items.length) {
      this.items[i] = last;
      this.index.set(last.id, i);
    }
  }

  pick(random: Random): T | undefined {
    return this.items.length === 0 ? undefined : random.pick(this.items);
  }

  /** A random member other than `not`, or undefined if there is none. */
  pickOther(random: Random, not: string): T | undefined {
    if (this.items.length < 2 && this.index.has(not)) return undefined;
    for (;;) {
      const item = this.pick(random);
      if (item === undefined || item.id !== not) return item;
    }
  }
}

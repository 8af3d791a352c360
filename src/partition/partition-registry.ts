// PartitionRegistry: the one map of the partitions this broker holds, by topic and index.
// LogManager adds a partition when it opens its log and removes it when it deletes or closes
// it; TopicService marks it ready once it is wired to its topic's assignment and leadership.
// Requests and coordinators see ready partitions only (`get`, `ofTopic`, `ready`); the log
// manager's own work (checkpoints, retention, flushes, the cleaner) sees every open one (`all`).
import type { Partition } from './partition.js';

export class PartitionRegistry {
  private readonly byTopic = new Map<string, (Partition | undefined)[]>();
  private readonly wired = new WeakSet<Partition>();

  /** Every open partition, ready or not. */
  *all(): IterableIterator<Partition> {
    for (const list of this.byTopic.values()) for (const p of list) if (p) yield p;
  }

  /** An open partition, ready or not. */
  opened(topic: string, index: number): Partition | undefined {
    return this.byTopic.get(topic)?.[index];
  }

  add(p: Partition): void {
    const list = this.byTopic.get(p.topic) ?? [];
    list[p.index] = p;
    this.byTopic.set(p.topic, list);
  }

  remove(topic: string, index: number): Partition | undefined {
    const list = this.byTopic.get(topic);
    const p = list?.[index];
    if (!list || !p) return undefined;
    delete list[index];
    if (!list.some((x) => x !== undefined)) this.byTopic.delete(topic);
    return p;
  }

  clear(): void {
    this.byTopic.clear();
  }

  /** The partition is wired to its assignment and leadership: requests may use it. */
  markReady(p: Partition): void {
    this.wired.add(p);
  }

  isReady(p: Partition): boolean {
    return this.wired.has(p);
  }

  /** A ready partition. */
  get(topic: string, index: number): Partition | undefined {
    const p = this.opened(topic, index);
    return p && this.wired.has(p) ? p : undefined;
  }

  /** A topic's ready partitions, by index (holes where this broker holds no replica or it is not ready). */
  ofTopic(topic: string): readonly (Partition | undefined)[] {
    const list = this.byTopic.get(topic);
    if (!list) return [];
    return list.map((p) => (p && this.wired.has(p) ? p : undefined));
  }

  /** Every ready partition. */
  *ready(): IterableIterator<Partition> {
    for (const p of this.all()) if (this.wired.has(p)) yield p;
  }
}

// Which offsets a consumer may commit: a range of a partition counts once the downstream settled it, and the
// committed offset only ever moves over a settled prefix, so nothing handed downstream and unsettled is skipped.

interface Range {
  /** first offset of the range */
  from: number;
  /** the offset after the last one: what is committed once this range and all before it are settled */
  next: number;
  settled: boolean;
}

export class OffsetTracker {
  private readonly partitions = new Map<number, Range[]>();

  /** A range handed downstream (ranges of a partition arrive in offset order). */
  add(partition: number, from: number, next: number): void {
    let ranges = this.partitions.get(partition);
    if (!ranges) this.partitions.set(partition, (ranges = []));
    ranges.push({ from, next, settled: false });
  }

  /**
   * Marks the oldest open range starting at `from` settled; returns the offset to commit when the settled prefix
   * grew, else undefined (an earlier range is still open, or the range is unknown: forgotten by a rebalance). The
   * oldest open one: should the same offsets be handed downstream twice (a fetch repeated without a rebalance),
   * each answer settles one of them, and a settled copy cannot hide the open one from its answer.
   */
  settle(partition: number, from: number): number | undefined {
    const ranges = this.partitions.get(partition);
    const range = ranges?.find((r) => r.from === from && !r.settled);
    if (!ranges || !range) return undefined;
    range.settled = true;
    let commit: number | undefined;
    while (ranges[0]?.settled) commit = ranges.shift()!.next;
    return commit;
  }

  /** Ranges handed downstream and not yet settled. */
  open(): number {
    let count = 0;
    for (const ranges of this.partitions.values()) count += ranges.filter((r) => !r.settled).length;
    return count;
  }

  /** Forgets everything (a rebalance: the new owner starts again from the committed offsets). */
  reset(): void {
    this.partitions.clear();
  }
}

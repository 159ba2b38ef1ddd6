import { describe, expect, it } from 'vitest';
import { OffsetTracker } from '../src/core/offset-tracker.js';

describe('OffsetTracker', () => {
  it('commits a range settled in order at the offset after it', () => {
    const tracker = new OffsetTracker();
    tracker.add(0, 0, 10);
    expect(tracker.settle(0, 0)).toBe(10);
    expect(tracker.open()).toBe(0);
  });

  it('holds back a settled range behind an open one, then commits both at once', () => {
    const tracker = new OffsetTracker();
    tracker.add(0, 0, 10);
    tracker.add(0, 10, 25);
    tracker.add(0, 25, 30);
    expect(tracker.settle(0, 10)).toBeUndefined();
    expect(tracker.open()).toBe(2);
    expect(tracker.settle(0, 0)).toBe(25);
    expect(tracker.settle(0, 25)).toBe(30);
  });

  it('keeps partitions apart', () => {
    const tracker = new OffsetTracker();
    tracker.add(0, 0, 5);
    tracker.add(1, 100, 110);
    expect(tracker.settle(1, 100)).toBe(110);
    expect(tracker.open()).toBe(1);
    expect(tracker.settle(0, 0)).toBe(5);
  });

  it('ignores a range it does not know (forgotten by a rebalance) and one settled twice', () => {
    const tracker = new OffsetTracker();
    tracker.add(0, 0, 5);
    tracker.reset();
    expect(tracker.settle(0, 0)).toBeUndefined();
    tracker.add(0, 0, 5);
    expect(tracker.settle(0, 0)).toBe(5);
    expect(tracker.settle(0, 0)).toBeUndefined();
  });

  it('settles the same offsets handed downstream twice once each, then commits past both', () => {
    const tracker = new OffsetTracker();
    tracker.add(0, 0, 5);
    tracker.add(0, 5, 9);
    tracker.add(0, 5, 9);
    expect(tracker.settle(0, 5)).toBeUndefined();
    expect(tracker.settle(0, 5)).toBeUndefined();
    expect(tracker.open()).toBe(1);
    expect(tracker.settle(0, 0)).toBe(9);
    expect(tracker.open()).toBe(0);
  });

  it('never commits past an unsettled range, whatever order the answers come in', () => {
    for (let run = 0; run < 50; run++) {
      const tracker = new OffsetTracker();
      const ranges = Array.from({ length: 20 }, (_, i) => i * 10);
      for (const from of ranges) tracker.add(3, from, from + 10);
      const order = [...ranges].sort(() => Math.random() - 0.5);
      const settled = new Set<number>();
      let committed = 0;
      for (const from of order) {
        settled.add(from);
        const commit = tracker.settle(3, from);
        if (commit !== undefined) committed = commit;
        // Every range below the committed offset is settled.
        for (const r of ranges) if (r + 10 <= committed) expect(settled.has(r)).toBe(true);
      }
      expect(committed).toBe(200);
    }
  });
});

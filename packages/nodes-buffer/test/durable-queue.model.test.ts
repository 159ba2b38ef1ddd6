import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchItems, DurableQueue, type Batch, type OrderMode } from '../src/index.js';

// Model-based property test: random sequences of operations against the real queue, checked against what a
// perfect queue would promise. Nothing accepted is lost, FIFO holds, delivery is at least once.
type Op =
  | { kind: 'enqueue'; count: number }
  | { kind: 'take' }
  | { kind: 'ack'; pick: number }
  | { kind: 'nack'; pick: number }
  | { kind: 'refused'; pick: number }
  | { kind: 'timeout'; pick: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'reopen' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('enqueue' as const), count: fc.integer({ min: 1, max: 7 }) }),
  fc.constant({ kind: 'take' as const }),
  fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('nack' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('refused' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('timeout' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 5000 }) }),
  fc.constant({ kind: 'reopen' as const }),
);

function check(order: OrderMode, ops: Op[], window: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'plantwire-model-'));
  let now = 1_000_000;
  const openQueue = () =>
    new DurableQueue<{ n: number }>({
      path: join(dir, 'q.db'),
      batchRows: 3,
      window,
      order,
      minFreeBytes: 0,
      now: () => now,
      monotonic: () => now,
      random: () => 0.5,
      backoff: { baseMs: 100, maxMs: 1000 },
    });
  let queue = openQueue();
  try {
    let next = 0;
    const accepted: number[] = [];
    const delivered = new Set<number>();
    let inFlight: Batch[] = [];
    const firstSends: number[] = [];
    const sentBefore = new Set<number>();
    const pick = (i: number) => inFlight.splice(i % inFlight.length, 1)[0]!;

    const take = () => {
      const batch = queue.takeBatch();
      if (!batch) return;
      queue.sent(batch.id, 2000);
      const ids = batchItems<{ n: number }>(batch).map((item) => item.n);
      // Inside a batch, items keep their order.
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      for (const n of ids) {
        if (!sentBefore.has(n)) firstSends.push(n);
        sentBefore.add(n);
      }
      inFlight = inFlight.filter((b) => b.id !== batch.id).concat([{ ...batch }]);
    };

    for (const step of ops) {
      switch (step.kind) {
        case 'enqueue': {
          const batch = Array.from({ length: step.count }, () => ({ n: next++ }));
          queue.enqueue(batch);
          accepted.push(...batch.map((item) => item.n));
          break;
        }
        case 'take':
          take();
          break;
        case 'ack':
          if (inFlight.length > 0) {
            const batch = pick(step.pick);
            if (queue.ack(batch.id))
              batchItems<{ n: number }>(batch).forEach((item) => delivered.add(item.n));
          }
          break;
        case 'nack':
          if (inFlight.length > 0) queue.nack(pick(step.pick).id, 'HTTP 503');
          break;
        case 'refused':
          if (inFlight.length > 0) queue.couldNotConnect(pick(step.pick).id, 'ECONNREFUSED');
          break;
        case 'timeout':
          now += 2000;
          queue.expire();
          inFlight = [];
          break;
        case 'wait':
          now += step.ms;
          break;
        case 'reopen':
          queue.close();
          queue = openQueue();
          inFlight = [];
          break;
      }
    }
    // Drain: everything accepted comes out, acked, at least once.
    for (let guard = 0; guard < 10_000; guard++) {
      now += 2000;
      queue.expire();
      const batch = queue.takeBatch();
      if (!batch) {
        if (queue.stats().rows === 0) break;
        continue;
      }
      for (const item of batchItems<{ n: number }>(batch)) {
        if (!sentBefore.has(item.n)) firstSends.push(item.n);
        sentBefore.add(item.n);
      }
      queue.ack(batch.id);
      batchItems<{ n: number }>(batch).forEach((item) => delivered.add(item.n));
    }
    expect(queue.stats()).toMatchObject({ rows: 0, drops: { full: 0, age: 0, purge: 0 } });
    expect([...delivered].sort((a, b) => a - b)).toEqual(accepted);
    if (order === 'fifo') expect(firstSends).toEqual([...firstSends].sort((a, b) => a - b));
  } finally {
    queue.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('DurableQueue against a model', () => {
  it('FIFO, one batch in flight: nothing lost, order kept, at least once', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => check('fifo', ops, 1)),
      { numRuns: 150 },
    );
  });

  it('FIFO, a window of three', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => check('fifo', ops, 3)),
      { numRuns: 100 },
    );
  });

  it('live-first: nothing lost, at least once', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => check('live-first', ops, 2)),
      { numRuns: 100 },
    );
  });
});

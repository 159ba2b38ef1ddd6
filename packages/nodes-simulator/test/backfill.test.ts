import { describe, expect, it } from 'vitest';
import { BackfillRun, backfillSpan, type BackfillBatch } from '../src/core/backfill.js';
import { parseConfig, SimulatorError } from '../src/core/config.js';

const config = parseConfig({ lines: 1, machinesPerLine: 2, intervalMs: 1000, seed: 7 });
const HOUR = 3_600_000;
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('backfillSpan', () => {
  it('takes from..to, or the hours before to (default now), and refuses an empty span', () => {
    expect(backfillSpan({ from: 1000, to: 5000 }, 9e12)).toEqual({ from: 1000, to: 5000 });
    expect(backfillSpan({ hours: 2 }, 10 * HOUR)).toEqual({ from: 8 * HOUR, to: 10 * HOUR });
    expect(() => backfillSpan({ from: 5000, to: 5000 }, 9e12)).toThrow(SimulatorError);
  });

  it('refuses a span reaching into the future, and one longer than a leap year', () => {
    expect(() => backfillSpan({ hours: 1, to: 10 * HOUR + 1 }, 10 * HOUR)).toThrow(
      /to must not be in the future \(got 1970-01-01T10:00:00.001Z\)/,
    );
    expect(backfillSpan({ hours: 366 * 24 }, 400 * 24 * HOUR).from).toBe(34 * 24 * HOUR);
    expect(() => backfillSpan({ from: 0, to: 367 * 24 * HOUR }, 9e12)).toThrow(
      /the span must be at most 366 days \(got 367 days\)/,
    );
  });
});

describe('BackfillRun', () => {
  it('sends the first batch at once, the next one per event-loop turn, with progress up to 1', async () => {
    const batches: BackfillBatch[] = [];
    let finished: number | undefined;
    const run = new BackfillRun(
      config,
      { from: 0, to: HOUR },
      { batch: (batch) => batches.push(batch), finished: (total) => (finished = total) },
      5_000,
    );
    run.start();
    expect(batches).toHaveLength(1);
    await turn();
    expect(batches).toHaveLength(2);
    while (finished === undefined) await turn();
    const points = batches.reduce((sum, batch) => sum + batch.points.length, 0);
    expect(finished).toBe(points);
    expect(batches.at(-1)!.total).toBe(points);
    expect(batches.at(-1)!.progress).toBe(1);
    expect(batches.every((batch, i) => i === 0 || batch.progress >= batches[i - 1]!.progress)).toBe(true);
  });

  it('stops before the next batch when cancelled, without finishing', async () => {
    const batches: BackfillBatch[] = [];
    let finished = false;
    const run = new BackfillRun(
      config,
      { from: 0, to: HOUR },
      { batch: (batch) => batches.push(batch), finished: () => (finished = true) },
      1_000,
    );
    run.start();
    run.cancel();
    for (let i = 0; i < 5; i++) await turn();
    expect(batches).toHaveLength(1);
    expect(finished).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { MIN_TS_MS, validatePoints } from '@plantwire/telemetry';
import { BackfillRun, backfillSpan, type BackfillBatch } from '../src/core/backfill.js';
import { parseConfig, SimulatorError } from '../src/core/config.js';

const config = parseConfig({ lines: 1, machinesPerLine: 2, intervalMs: 1000, seed: 7 });
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const JAN_2026 = Date.UTC(2026, 0, 1);
const turn = () => new Promise((resolve) => setImmediate(resolve));
const ignore = () => {};

describe('backfillSpan', () => {
  it('takes from..to, or the hours before to (default now), and refuses an empty span', () => {
    expect(backfillSpan({ from: JAN_2026, to: JAN_2026 + 5000 }, 9e12)).toEqual({
      from: JAN_2026,
      to: JAN_2026 + 5000,
    });
    expect(backfillSpan({ hours: 2 }, JAN_2026)).toEqual({ from: JAN_2026 - 2 * HOUR, to: JAN_2026 });
    expect(() => backfillSpan({ from: JAN_2026, to: JAN_2026 }, 9e12)).toThrow(SimulatorError);
  });

  it('refuses a span reaching into the future, and one longer than a leap year', () => {
    expect(() => backfillSpan({ hours: 1, to: JAN_2026 + 1 }, JAN_2026)).toThrow(
      /to must not be in the future \(got 2026-01-01T00:00:00.001Z\)/,
    );
    expect(backfillSpan({ hours: 366 * 24 }, JAN_2026).from).toBe(JAN_2026 - 366 * DAY);
    expect(() => backfillSpan({ from: JAN_2026 - 367 * DAY, to: JAN_2026 }, 9e12)).toThrow(
      /the span must be at most 366 days \(got 367 days\)/,
    );
  });

  it('refuses a span starting before the earliest time a point may carry, naming it', () => {
    const before2000 =
      /from must not be before 2000-01-01T00:00:00.000Z, the earliest time a point may carry/;
    expect(() => backfillSpan({ from: 0, to: HOUR }, 9e12)).toThrow(before2000);
    expect(() => backfillSpan({ from: 0, to: HOUR }, 9e12)).toThrow(/\(got 1970-01-01T00:00:00.000Z\)/);
    expect(() => backfillSpan({ hours: 2, to: MIN_TS_MS + HOUR }, 9e12)).toThrow(before2000);
    // Beyond the range a Date holds: refused, and the message still says what came.
    expect(() => backfillSpan({ from: -9e15, to: -9e15 + 60_000 }, 9e12)).toThrow(
      /\(got -9000000000000000 ms\)/,
    );
    expect(() => backfillSpan({ hours: 1, to: 9e15 }, JAN_2026)).toThrow(
      /to must not be in the future \(got 9000000000000000 ms\)/,
    );
    expect(backfillSpan({ from: MIN_TS_MS, to: MIN_TS_MS + HOUR }, 9e12).from).toBe(MIN_TS_MS);
  });

  it('drops fractions of a millisecond, so every point of the span has a whole-ms ts', () => {
    expect(backfillSpan({ from: JAN_2026 + 0.7, to: JAN_2026 + HOUR + 0.2 }, 9e12)).toEqual({
      from: JAN_2026,
      to: JAN_2026 + HOUR,
    });
    // A third of an hour is 1,199,999.9... ms.
    expect(backfillSpan({ hours: 1 / 3 }, JAN_2026).from).toBe(JAN_2026 - 1_200_000);
  });

  it('gives spans whose every point is valid against the point schema', async () => {
    const span = backfillSpan({ from: MIN_TS_MS + 0.5, to: MIN_TS_MS + 60_000.5 }, 9e12);
    const batches: BackfillBatch[] = [];
    await new Promise((finished, failed) => {
      new BackfillRun(config, span, { batch: (batch) => batches.push(batch), finished, failed }).start();
    });
    const points = batches.flatMap((batch) => batch.points);
    expect(points.length).toBeGreaterThan(0);
    expect(points.every((point) => Number.isInteger(point.ts))).toBe(true);
    expect(validatePoints(points).invalid).toEqual([]);
  });
});

describe('BackfillRun', () => {
  it('sends the first batch at once, the next one per event-loop turn, with progress up to 1', async () => {
    const batches: BackfillBatch[] = [];
    let finished: number | undefined;
    const run = new BackfillRun(
      config,
      { from: 0, to: HOUR },
      { batch: (batch) => batches.push(batch), finished: (total) => (finished = total), failed: ignore },
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
      { batch: (batch) => batches.push(batch), finished: () => (finished = true), failed: ignore },
      1_000,
    );
    run.start();
    run.cancel();
    for (let i = 0; i < 5; i++) await turn();
    expect(batches).toHaveLength(1);
    expect(finished).toBe(false);
  });

  it('ends the run through failed when a batch throws, in the first turn or a later one, and goes no further', async () => {
    for (const failOn of [1, 3]) {
      let batches = 0;
      let finished = false;
      const failures: unknown[] = [];
      const broken = new Error('the wire broke');
      const run = new BackfillRun(
        config,
        { from: JAN_2026, to: JAN_2026 + HOUR },
        {
          batch: () => {
            if (++batches === failOn) throw broken;
          },
          finished: () => (finished = true),
          failed: (error) => failures.push(error),
        },
        1_000,
      );
      run.start();
      for (let i = 0; i < 10; i++) await turn();
      expect(failures).toEqual([broken]);
      expect(batches).toBe(failOn);
      expect(finished).toBe(false);
    }
  });

  it('ends the run through failed when finishing throws, instead of throwing from the event loop', async () => {
    const failures: unknown[] = [];
    const run = new BackfillRun(
      config,
      { from: JAN_2026, to: JAN_2026 + 10_000 },
      {
        batch: ignore,
        finished: () => {
          throw new RangeError('Invalid time value');
        },
        failed: (error) => failures.push(error),
      },
    );
    run.start();
    for (let i = 0; i < 3; i++) await turn();
    expect(failures).toEqual([new RangeError('Invalid time value')]);
  });
});

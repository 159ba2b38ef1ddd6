import { describe, expect, it } from 'vitest';
import { AnomalyDetector, AnomalyInputError } from '../src/core/anomaly-detector.js';
import type { SeriesDetector } from '../src/core/detectors/detector.js';
import { PointScorer } from '../src/core/point-scorer.js';

/** Scores each value as itself (0..1), after `warmup` samples per series. */
function echo(warmup: number): SeriesDetector<object> {
  return {
    name: 'echo',
    warmup,
    defaultThreshold: 0.5,
    bytesPerSeries: 0,
    create: () => ({}),
    update: (_state, value) => value,
  };
}

const point = (value: unknown, over: Record<string, unknown> = {}) => ({
  ts: 1_767_225_600_000,
  line: 'line-01',
  machine: 'cnc-01',
  metric: 'vibration',
  value,
  ...over,
});

describe('PointScorer', () => {
  it('keeps the point, adds score and verdict: an anomaly is a score at or above the threshold', () => {
    const scorer = new PointScorer(new AnomalyDetector(echo(0)), 'machine/metric', 0.5);
    expect(scorer.score(point(0.49))).toEqual({
      ...point(0.49),
      score: 0.49,
      anomaly: false,
      warmingUp: false,
    });
    expect(scorer.score(point(0.5))).toMatchObject({ score: 0.5, anomaly: true });
  });

  it('never calls a point in its series warm-up an anomaly, and counts warm-up per series key', () => {
    const scorer = new PointScorer(new AnomalyDetector(echo(1)), 'line/machine/metric', 0.5);
    expect(scorer.score(point(0.9))).toMatchObject({ score: 0, anomaly: false, warmingUp: true });
    expect(scorer.score(point(0.9))).toMatchObject({ score: 0.9, anomaly: true, warmingUp: false });
    // Another line: another series, with a warm-up of its own.
    expect(scorer.score(point(0.9, { line: 'line-02' }))).toMatchObject({ anomaly: false, warmingUp: true });
    expect(scorer.detector.size).toBe(2);
  });

  it('refuses, changing nothing, what cannot be scored', () => {
    const scorer = new PointScorer(new AnomalyDetector(echo(0)), 'line/machine/metric', 0.5);
    expect(() => scorer.score([point(1)])).toThrow(
      new AnomalyInputError('a point must be an object (got an array)'),
    );
    expect(() => scorer.score(null)).toThrow(AnomalyInputError);
    expect(() => scorer.score(point(1, { line: 'a b' }))).toThrow(/^line must be /);
    expect(() => scorer.score(point('7'))).toThrow(/^value must be a finite number/);
    expect(scorer.detector.size).toBe(0);
  });
});

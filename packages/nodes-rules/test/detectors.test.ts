import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AnomalyDetector, AnomalyInputError } from '../src/core/anomaly-detector.js';
import { deviationScore } from '../src/core/detectors/detector.js';
import { EnsembleDetector } from '../src/core/detectors/ensemble.js';
import { EwmaDetector } from '../src/core/detectors/ewma.js';
import { DETECTOR_NAMES, createDetector } from '../src/core/detectors/index.js';
import { erfc } from '../src/core/detectors/likelihood.js';
import { MedianMadDetector } from '../src/core/detectors/median-mad.js';

/** A seeded PRNG (mulberry32) and standard normal noise from it, so every run sees the same data. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

const ONSET = 1500;
/** Noise around 10 (sd 1) for ONSET samples, then `change(i)` added from sample ONSET on. */
function synthetic(change: (i: number) => number, seed = 1, length = ONSET + 300): number[] {
  const gauss = noise(seed);
  return Array.from({ length }, (_, i) => 10 + gauss() + (i >= ONSET ? change(i - ONSET) : 0));
}

function run(name: string, values: number[]) {
  const detector = new AnomalyDetector(createDetector(name));
  const threshold = detector.detector.defaultThreshold;
  const scores = values.map((v) => detector.score('cnc-01/temperature', v));
  const firstFlag = scores.slice(ONSET).findIndex((s) => s >= threshold);
  return { scores, firstFlag, threshold };
}

describe.each(DETECTOR_NAMES)('detector %s on synthetic data', (name) => {
  it.each([1, 2, 3])('stays below its threshold on noise (seed %i)', (seed) => {
    const { scores, threshold } = run(
      name,
      synthetic(() => 0, seed),
    );
    const warmup = createDetector(name).warmup;
    const flags = scores.slice(warmup, ONSET).filter((s) => s >= threshold).length;
    // rarity flags values as rare as they come: about 1 in 1,000 Gaussian values at its NAB-chosen threshold
    // once it has seen a few thousand (see rarity.test.ts), up to 1 in 300 in its first 1,500, while its counts
    // are sparse. The others never flag plain noise.
    expect(flags).toBeLessThanOrEqual(name === 'rarity' ? Math.ceil((ONSET - warmup) / 250) : 0);
  });

  it('flags a spike at once', () => {
    const { firstFlag } = run(
      name,
      synthetic((i) => (i === 0 ? 12 : 0)),
    );
    expect(firstFlag).toBeGreaterThanOrEqual(0);
    expect(firstFlag).toBeLessThanOrEqual(3);
  });

  it('flags a step within a few samples', () => {
    const { firstFlag } = run(
      name,
      synthetic(() => 6),
    );
    expect(firstFlag).toBeGreaterThanOrEqual(0);
    expect(firstFlag).toBeLessThanOrEqual(5);
  });

  it('gives scores in [0, 1], never NaN, 0 during warm-up', () => {
    const detector = new AnomalyDetector(createDetector(name));
    const values = synthetic((i) => (i % 50 === 0 ? 1e6 : i * 0.5));
    values.splice(100, 0, ...new Array(200).fill(3)); // a flat stretch: zero spread
    values.push(-1e300, 1e300, 0, Number.MIN_VALUE, -0);
    values.forEach((value, i) => {
      const score = detector.score('s', value);
      expect(score >= 0 && score <= 1, `score ${score} at ${i}`).toBe(true);
      if (i < detector.warmup) expect(score).toBe(0);
      expect(detector.warming).toBe(i < detector.warmup);
    });
  });
});

describe.each(DETECTOR_NAMES)('detector %s after a glitch', (name) => {
  const GLITCH = ONSET - 1000;
  // A PLC's junk value (float32 max), and values whose squared deviation overflows.
  it.each([3.4e38, -3.4e38, 1e160, -1e160, 1.7e308])(
    'flags one value of %d, settles, and still flags a step 1,000 samples later',
    (glitch) => {
      const values = synthetic(() => 6);
      values[GLITCH] = glitch;
      const { scores, firstFlag, threshold } = run(name, values);
      expect(Math.max(...scores.slice(GLITCH, GLITCH + 4))).toBeGreaterThanOrEqual(threshold);
      expect(Math.max(...scores.slice(GLITCH + 50, ONSET))).toBeLessThan(threshold);
      // The ensemble's likelihood remembers the glitch as one past event: a few samples later than without it.
      expect(firstFlag).toBeGreaterThanOrEqual(0);
      expect(firstFlag).toBeLessThanOrEqual(10);
    },
  );

  it('keeps a finite state and finite scores whatever finite values arrive', () => {
    const algorithm = createDetector(name);
    const state = algorithm.create();
    const gauss = noise(5);
    const huge = [Number.MAX_VALUE, -Number.MAX_VALUE, 1e160, -1e160, 3.4e38, Number.MIN_VALUE, 0];
    const numbers = (value: unknown): number[] =>
      ArrayBuffer.isView(value)
        ? Array.from(value as Float64Array)
        : typeof value === 'number'
          ? [value]
          : Object.values(value as object).flatMap(numbers);
    for (let i = 0; i < 3000; i++) {
      // Bursts of huge values of both signs between stretches of ordinary noise.
      const value = i % 400 < 20 ? huge[Math.floor(Math.abs(gauss()) * 3) % huge.length]! : 10 + gauss();
      const score = algorithm.update(state, value);
      expect(score >= 0 && score <= 1, `score ${score} at ${i}`).toBe(true);
      const bad = numbers(state).find((x) => !Number.isFinite(x));
      expect(bad, `state at ${i}`).toBeUndefined();
    }
  });
});

describe('drifts', () => {
  it.each(['median-mad', 'ensemble'])('%s flags a ramp of 0.5 sd per sample within 20 samples', (name) => {
    for (const seed of [1, 2]) {
      const { firstFlag } = run(
        name,
        synthetic((i) => 0.5 * i, seed),
      );
      expect(firstFlag).toBeGreaterThanOrEqual(0);
      expect(firstFlag).toBeLessThanOrEqual(20);
    }
  });

  it('ensemble flags a slow ramp of 0.1 sd per sample within 40 samples', () => {
    const { firstFlag } = run(
      'ensemble',
      synthetic((i) => 0.1 * i),
    );
    expect(firstFlag).toBeGreaterThanOrEqual(0);
    expect(firstFlag).toBeLessThanOrEqual(40);
  });

  it('ewma follows a ramp instead of flagging it (documented: use median-mad or ensemble for drifts)', () => {
    expect(
      run(
        'ewma',
        synthetic((i) => 0.5 * i),
      ).firstFlag,
    ).toBe(-1);
  });
});

describe('AnomalyDetector', () => {
  it('refuses NaN, infinities and non-numbers with a clear error and changes nothing', () => {
    const values = synthetic(() => 0).slice(0, 400);
    const clean = new AnomalyDetector(new EnsembleDetector());
    const dirty = new AnomalyDetector(new EnsembleDetector());
    const bad = [NaN, Infinity, -Infinity, '12', null, undefined, {}, true];
    values.forEach((value, i) => {
      const b = bad[i % bad.length];
      expect(() => dirty.score('s', b)).toThrow(AnomalyInputError);
      expect(dirty.score('s', value)).toBe(clean.score('s', value));
    });
    expect(() => dirty.score('s', NaN)).toThrow('value must be a finite number (got NaN)');
    expect(() => dirty.score('s', 'abc')).toThrow('value must be a finite number (got "abc")');
    expect(() => dirty.score('new-series', NaN)).toThrow(AnomalyInputError);
    expect(dirty.size).toBe(1);
  });

  it('keeps one state per series key', () => {
    const detector = new AnomalyDetector(new EwmaDetector({ warmup: 5 }));
    for (let i = 0; i < 50; i++) {
      detector.score('a', 10 + (i % 2));
      detector.score('b', 1000 + 10 * (i % 2));
    }
    // 1010 is ordinary for b and would be a huge outlier for a.
    expect(detector.score('b', 1010)).toBeLessThan(0.5);
    expect(detector.score('a', 1010)).toBeGreaterThan(0.99);
  });

  it('evicts the least recently updated series beyond the cap', () => {
    const detector = new AnomalyDetector(new EwmaDetector({ warmup: 2 }), { maxSeries: 2 });
    for (let i = 0; i < 3; i++) {
      detector.score('a', 1);
      detector.score('b', 1);
    }
    detector.score('a', 1); // a is now more recent than b
    detector.score('c', 1); // evicts b
    expect(detector.size).toBe(2);
    expect(detector.evicted).toBe(1);
    detector.score('a', 1);
    expect(detector.warming).toBe(false); // a kept its state
    detector.score('b', 1);
    expect(detector.warming).toBe(true); // b starts again (and evicted c, the least recent)
    expect(detector.evicted).toBe(2);
    expect(detector.size).toBe(2);
  });

  it('holds its memory bound with 100,000 series', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const cap = 100_000;
    const detector = new AnomalyDetector(new EwmaDetector(), { maxSeries: cap });
    const start = heap();
    for (let i = 0; i < cap; i++) detector.score(`line-${i % 10}/cnc-${i}/temperature`, i % 7);
    const full = heap() - start;
    // 100,000 more series: all of them evict one; the heap must not grow.
    for (let i = cap; i < 2 * cap; i++) detector.score(`line-${i % 10}/cnc-${i}/temperature`, i % 7);
    const after = heap() - start;
    expect(detector.size).toBe(cap);
    expect(detector.evicted).toBe(cap);
    // State (a Float64Array(3)), recency record, key string and Map entry: under 600 bytes a series.
    expect(full / cap).toBeLessThan(600);
    expect(after).toBeLessThan(full * 1.2);
  });

  it('checks its options', () => {
    expect(() => new AnomalyDetector(new EwmaDetector(), { maxSeries: 0 })).toThrow(/maxSeries/);
    expect(() => new AnomalyDetector(new EwmaDetector(), { warmup: -1 })).toThrow(/warmup/);
    expect(() => createDetector('magic')).toThrow(
      'no detector "magic" (detectors: ewma, median-mad, ensemble, rarity)',
    );
    expect(() => new EwmaDetector({ alpha: 1 })).toThrow(/alpha/);
    expect(() => new MedianMadDetector({ window: 2 })).toThrow(/window/);
    expect(() => new EnsembleDetector({ history: 10 })).toThrow(/history/);
  });
});

describe('helpers', () => {
  it('maps deviations onto [0, 1]', () => {
    expect(deviationScore(0, 3)).toBe(0);
    expect(deviationScore(NaN, 3)).toBe(0);
    expect(deviationScore(3, 3)).toBe(0.5);
    expect(deviationScore(Infinity, 3)).toBe(1);
    expect(deviationScore(1e300, 3)).toBe(1);
  });

  it('computes erfc to 1e-7', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 7);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 6);
  });

  it('median-mad matches a sort-based median and MAD', () => {
    const detector = new MedianMadDetector({ window: 7, z0: 3 });
    const state = detector.create();
    const values = [5, 1, 9, 3, 3, 8, 2, 7, 4, 6, 6, 0];
    values.forEach((value, i) => {
      const past = values.slice(Math.max(0, i - 7), i).sort((a, b) => a - b);
      const score = detector.update(state, value);
      if (past.length < 3) return;
      const mid = (xs: number[]) =>
        xs.length % 2 ? xs[xs.length >> 1]! : (xs[xs.length / 2 - 1]! + xs[xs.length / 2]!) / 2;
      const median = mid(past);
      const mad = mid(past.map((x) => Math.abs(x - median)).sort((a, b) => a - b));
      const sigma =
        mad > 0 ? 1.4826 * mad : (1.2533 * past.reduce((s, x) => s + Math.abs(x - median), 0)) / past.length;
      expect(score).toBeCloseTo(deviationScore(Math.abs(value - median) / sigma, 3), 12);
    });
  });
});

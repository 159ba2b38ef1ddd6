import { describe, expect, it } from 'vitest';
import { AnomalyDetector, AnomalyInputError } from '../src/core/anomaly-detector.js';
import { createDetector, DETECTOR_NAMES } from '../src/core/detectors/index.js';
import { Forecaster, FORECASTER_DEFAULTS } from '../src/core/forecast/forecaster.js';
import { packState, unpackState } from '../src/core/learned-state.js';
import { PointScorer } from '../src/core/point-scorer.js';

/** A repeatable noisy series with a step, a PLC glitch (3.4e38) and a drift: every kind of state a series gets. */
function series(length: number, seed = 1): number[] {
  let s = seed;
  const noise = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 2;
  return Array.from({ length }, (_, i) => {
    if (i === 420) return 3.4e38;
    return 50 + (i > 600 ? 8 : 0) + i * 0.01 + noise() * 2 + Math.sin(i / 30) * 3;
  });
}

/** JSON text, as the state file holds it: what survives a restart is what survives this. */
const throughFile = (saved: unknown): unknown => JSON.parse(JSON.stringify(saved));

describe('learned state', () => {
  it('packs every number exactly, NaN, the infinities and -0 included, into a state of the same shape', () => {
    const state = {
      ring: new Float64Array([1.5, NaN, -Infinity]),
      size: -0,
      on: true,
      long: new Float64Array(2),
    };
    state.long[1] = 3.4e38;
    const fresh = { ring: new Float64Array(3), size: 7, on: false, long: new Float64Array(2) };
    unpackState(fresh, packState(state));
    expect(fresh).toEqual(state);
    expect(Object.is(fresh.size, -0)).toBe(true);
  });

  it('refuses numbers that do not fit the state, changing nothing', () => {
    const packed = packState(new Float64Array([1, 2, 3]));
    const state = new Float64Array([9, 9]);
    expect(() => unpackState(state, packed)).toThrow(/the state holds 2 numbers, the saved one 3/);
    expect(() => unpackState(state, 'AAAA')).toThrow(/not whole numbers/);
    expect([...state]).toEqual([9, 9]);
  });

  it.each(DETECTOR_NAMES)(
    '%s: a restored detector scores on exactly as the one that never stopped',
    (name) => {
      const values = series(1000);
      const keys = ['cnc-01/vibration', 'press-01/vibration', 'press-01/temperature'];
      const uninterrupted = new AnomalyDetector(createDetector(name));
      const before = new AnomalyDetector(createDetector(name));
      const scores = (detector: AnomalyDetector, from: number, to: number) =>
        values.slice(from, to).flatMap((value) => keys.map((key, k) => detector.score(key, value + k)));
      const expected = scores(uninterrupted, 0, 1000).slice(3 * 700);
      scores(before, 0, 700);

      const after = new AnomalyDetector(createDetector(name));
      after.restore(throughFile(before.snapshot()));
      expect(after.size).toBe(3);
      expect(scores(after, 700, 1000)).toEqual(expected);
      expect(after.warming).toBe(false);
    },
  );

  it('saves about 3.5 KB a series for rarity (330 numbers, base64): a file of 1,000 series is 3.5 MB', () => {
    const detector = new AnomalyDetector(createDetector('rarity'));
    for (let k = 0; k < 100; k++)
      for (const value of series(200, k + 1)) detector.score(`line-01/m-${k}/vibration`, value);
    const bytes = JSON.stringify(detector.snapshot()).length / detector.size;
    expect(bytes).toBeGreaterThan(3500);
    expect(bytes).toBeLessThan(3600);
  });

  it('keeps the series in their recency order: the least recently used is still forgotten first', () => {
    const before = new AnomalyDetector(createDetector('ewma'), { maxSeries: 3 });
    for (const key of ['a', 'b', 'c', 'a']) before.score(key, 1);
    const after = new AnomalyDetector(createDetector('ewma'), { maxSeries: 3 });
    after.restore(throughFile(before.snapshot()));
    after.score('d', 1); // forgets b, the least recently used
    expect(after.snapshot().map((series) => series.key)).toEqual(['c', 'a', 'd']);
  });

  it('takes all saved series or none: one that is not a series or does not fit leaves the detector as it was', () => {
    const before = new AnomalyDetector(createDetector('rarity'));
    for (const value of series(200)) {
      before.score('a', value);
      before.score('b', value);
    }
    const saved = throughFile(before.snapshot()) as { key: string; numbers: string }[];
    const detector = new AnomalyDetector(createDetector('rarity'));
    detector.score('kept', 1);
    const broken = [saved[0], { ...saved[1], numbers: packState(new Float64Array(3)) }];
    expect(() => detector.restore(broken)).toThrow(RangeError);
    expect(() => detector.restore([saved[0], { key: 'b' }])).toThrow(/saved series 1 is not a series/);
    expect(() => detector.restore({ series: saved })).toThrow(/not a list/);
    expect(detector.snapshot().map((series) => series.key)).toEqual(['kept']);
    // A detector of another layout (rarity without its short mean) does not take them either.
    expect(() => new AnomalyDetector(createDetector('rarity', { smoothing: 0 })).restore(saved)).toThrow(
      RangeError,
    );
  });

  it('a restored forecaster forecasts and tells the remaining life on exactly as the one that never stopped', () => {
    const options = { ...FORECASTER_DEFAULTS, key: 'machine/metric' as const, limits: { vibration: 80 } };
    const points = series(1000).map((value, i) => ({
      ts: Date.UTC(2026, 0, 5) + i * 60_000,
      machine: i % 2 ? 'cnc-01' : 'cnc-02',
      metric: i % 3 ? 'vibration' : 'temperature',
      value: i === 420 ? 60 : value + i * 0.02,
    }));
    const uninterrupted = new Forecaster(options);
    const expected = points.map((point) => uninterrupted.forecast(point)).slice(600);
    const before = new Forecaster(options);
    points.slice(0, 600).forEach((point) => before.forecast(point));

    const after = new Forecaster(options);
    after.restore(throughFile(before.snapshot()));
    const results = points.slice(600).map((point) => after.forecast(point));
    expect(results).toEqual(expected);
    expect(results.some((result) => result.near)).toBe(true);
  });
});

describe('forgetting series (msg.reset)', () => {
  const point = (machine: string, metric: string, i: number) => ({
    ts: Date.UTC(2026, 0, 5) + i * 60_000,
    machine,
    metric,
    value: 3 + (i % 4) * 0.1,
  });
  const machines = ['cnc-01', 'cnc-02'];
  const metrics = ['vibration', 'power'];
  const feed = (step: (item: unknown) => void) => {
    for (let i = 0; i < 40; i++)
      for (const machine of machines) for (const metric of metrics) step(point(machine, metric, i));
  };

  it('forgets the series a pattern names, or every series for true; they warm up again', () => {
    const scorer = new PointScorer(
      new AnomalyDetector(createDetector('ewma'), { warmup: 10 }),
      'machine/metric',
      0.9,
    );
    feed((item) => scorer.score(item));
    expect(scorer.forget('cnc-01/*')).toBe(2);
    expect(scorer.detector.snapshot().map((series) => series.key)).toEqual([
      'cnc-02/vibration',
      'cnc-02/power',
    ]);
    expect(scorer.score(point('cnc-01', 'power', 40)).warmingUp).toBe(true);
    expect(scorer.score(point('cnc-02', 'power', 40)).warmingUp).toBe(false);
    expect(scorer.forget('vibration')).toBe(1);
    expect(scorer.forget(true)).toBe(2);
    expect(scorer.detector.size).toBe(0);
  });

  it('forgets a forecast series: its baseline is learned again, and its first remaining life clears an alarm', () => {
    const forecaster = new Forecaster({
      ...FORECASTER_DEFAULTS,
      key: 'machine/metric',
      limits: { vibration: 10 },
    });
    feed((item) => forecaster.forecast(item));
    expect(forecaster.forget('cnc-02/vibration')).toBe(1);
    expect(forecaster.size).toBe(3);
    const again = forecaster.forecast(point('cnc-02', 'vibration', 40));
    expect(again.point.forecast).toEqual([]);
    expect(again.warning).toMatchObject({ metric: 'vibration_rul', value: FORECASTER_DEFAULTS.warnS });
  });

  it.each([
    [42, /^must be true or a series pattern such as "cnc-01\/\*" \(got 42\)$/],
    [false, /must be true or a series pattern/],
    ['a/b/c', /^"a\/b\/c" has 3 segments but the key has 2: choose a longer key/],
    ['cnc 01', /^"cnc 01" must be segments of letters/],
  ])('refuses the reset %j, forgetting nothing', (reset, reason) => {
    const scorer = new PointScorer(new AnomalyDetector(createDetector('ewma')), 'machine/metric', 0.9);
    const forecaster = new Forecaster({ ...FORECASTER_DEFAULTS, key: 'machine/metric', limits: {} });
    feed((item) => {
      scorer.score(item);
      forecaster.forecast(item);
    });
    for (const core of [scorer, forecaster]) {
      expect(() => core.forget(reset)).toThrow(AnomalyInputError);
      expect(() => core.forget(reset)).toThrow(reason);
    }
    expect(scorer.detector.size).toBe(4);
    expect(forecaster.size).toBe(4);
  });
});

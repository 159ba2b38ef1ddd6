import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validatePoints } from '@plantwire/telemetry';
import { GAUGE_METRICS } from '@plantwire/node-red-simulator';
import { AnomalyInputError } from '../src/core/anomaly-detector.js';
import { DegradationWatch, DEGRADATION_DEFAULTS } from '../src/core/forecast/degradation.js';
import { Forecaster, normalQuantile } from '../src/core/forecast/forecaster.js';
import { SEASONAL_DEFAULTS, SeasonalModel } from '../src/core/forecast/seasonal-model.js';
import { readNabCsv } from '../src/core/nab/harness.js';
import { nabTimeMs } from '../src/core/nab/scorer.js';
// The built package (as `npm run nab -- --rul` runs it) against the simulator's truth.
// @ts-expect-error: a plain .mjs script without types
import { demoPlant, falseWarnings, relativeErrors } from '../scripts/remaining-life.mjs';
import { parseCommand } from '@plantwire/node-red-simulator';

const NAB = fileURLToPath(new URL('../../../../shared/nab/data/', import.meta.url));
const HOUR_MS = 3_600_000;

function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
}

/**
 * Forecasts `hours` ahead from every row after the first two days and compares, on the same targets, with the
 * seasonal-naive forecast (the value one day before the target): the ratio of their mean absolute errors (the
 * ratio of their MASE, which share a denominator), and the share of targets inside the 95% interval.
 */
function versusSeasonalNaive(times: ArrayLike<number>, values: ArrayLike<number>, hours: number) {
  const step = (times[times.length - 1]! - times[0]!) / (times.length - 1);
  const day = Math.round((24 * HOUR_MS) / step);
  const ahead = Math.max(1, Math.round((hours * HOUR_MS) / step));
  const model = new SeasonalModel(SEASONAL_DEFAULTS);
  const state = model.create();
  let model_ = 0;
  let naive = 0;
  let inside = 0;
  let n = 0;
  const z = normalQuantile(0.975);
  for (let i = 0; i < values.length; i++) {
    model.update(state, times[i]!, values[i]!);
    const target = i + ahead;
    if (i < 2 * day || target >= values.length) continue;
    const f = model.forecast(state, (times[target]! - times[i]!) / 1000);
    const error = Math.abs(values[target]! - f.value);
    model_ += error;
    naive += Math.abs(values[target]! - values[target - day]!);
    if (error <= z * f.sd) inside++;
    n++;
  }
  return { ratio: model_ / naive, coverage: inside / n, day };
}

/** Autocorrelation at a lag of `lag` rows. */
function autocorrelation(values: ArrayLike<number>, lag: number): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= values.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < values.length; i++) {
    den += (values[i]! - mean) ** 2;
    if (i >= lag) num += (values[i]! - mean) * (values[i - lag]! - mean);
  }
  return num / den;
}

describe('seasonal model', () => {
  it('learns a daily pattern and its prediction intervals cover about what they claim', () => {
    const g = gaussian(1);
    const t0 = Date.UTC(2026, 0, 5);
    const times = Array.from({ length: 288 * 10 }, (_, i) => t0 + i * 300_000);
    const values = times.map((t) => 50 + 10 * Math.sin((2 * Math.PI * t) / (24 * HOUR_MS)) + g());
    const { ratio, coverage } = versusSeasonalNaive(times, values, 1);
    // Seasonal-naive carries a day-old noise (sd 1, difference sd 1.4); the model, about the noise alone.
    expect(ratio).toBeLessThan(0.85);
    expect(coverage).toBeGreaterThan(0.9);
    expect(coverage).toBeLessThan(0.99);
  });

  it('follows time, not sample counts: a gap lands in the right slot; repeated times change no clock', () => {
    const model = new SeasonalModel({ ...SEASONAL_DEFAULTS, slots: 24 });
    const state = model.create();
    const t0 = Date.UTC(2026, 0, 5);
    for (let i = 0; i < 24 * 7; i++) model.update(state, t0 + i * HOUR_MS, i % 24 === 12 ? 20 : 10);
    // Six hours of silence, then the forecast for 12:00 still knows noon is high.
    const noon = model.forecast(state, 13 * 3600);
    expect(noon.value).toBeGreaterThan(17);
    model.update(state, t0 + (24 * 7 - 1) * HOUR_MS, 10);
    expect(model.forecast(state, 13 * 3600).value).toBeCloseTo(noon.value, 0);
    expect(() => new SeasonalModel({ ...SEASONAL_DEFAULTS, slots: 0 })).toThrow(/slots/);
    expect(() => new SeasonalModel({ ...SEASONAL_DEFAULTS, seasonS: 0 })).toThrow(/season/);
  });

  it.skipIf(!existsSync(NAB))(
    "beats the seasonal-naive forecast by 10% or more on NAB's real series with a daily pattern",
    () => {
      const daily: { file: string; ratio: number }[] = [];
      for (const category of readdirSync(NAB).filter((c) => c.startsWith('real'))) {
        for (const name of readdirSync(join(NAB, category))) {
          const series = readNabCsv(join(NAB, category, name));
          const times = series.timestamps.map(nabTimeMs);
          const result = versusSeasonalNaive(times, series.values, 1);
          // A daily pattern: the series correlates with itself a day earlier.
          if (autocorrelation(series.values, result.day) >= 0.3)
            daily.push({ file: `${category}/${name}`, ratio: result.ratio });
        }
      }
      expect(daily.length).toBeGreaterThanOrEqual(5);
      const mean = daily.reduce((sum, d) => sum + d.ratio, 0) / daily.length;
      expect(mean, JSON.stringify(daily)).toBeLessThanOrEqual(0.9);
    },
  );
});

describe('remaining useful life on the simulator', () => {
  const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
  /** Relative errors, sorted (Infinity: not yet warned), and how many are within 20%. */
  const errors = (kind: 'tool_wear' | 'bearing_fault', intervalMs: number) => {
    const { errors: e, within }: { errors: number[]; within: number } = relativeErrors(
      kind,
      seeds,
      intervalMs,
    );
    return { e, within, text: e.map((x) => x.toFixed(3)).join(', ') };
  };

  // The demo's simulator samples every 2 s (scripts/flows/edge-agent.mjs). Half-way, the bearing's ramp has
  // lasted 150 s: 75 samples, but correlated ones (the sensor's lag), about 15 independent values' worth.
  it('tool_wear at 2 s: within 20% of the truth at half-way in every run', () => {
    const { within, text } = errors('tool_wear', 2_000);
    // Measured: 8 of 8 (errors 1%, 2%, 3%, 4%, 5%, 6%, 6%, 8%; seeds 9-16: 7 of 8, the miss 28%).
    expect(within, text).toBe(8);
  });

  it('bearing_fault at 2 s: within 20% of the truth at half-way in 6 runs of 8, none past 22% (goal: every run, missed)', () => {
    const { e, within, text } = errors('bearing_fault', 2_000);
    // Measured: 6 of 8 (errors 6%, 7%, 10%, 11%, 13%, 18%, 20.3%, 21.6%; seeds 9-16: 8 of 8, at most 19.6%).
    // The misses are the onset's uncertainty: knowing the true onset, the same least-squares ramp errs at most 13%.
    expect(within, text).toBeGreaterThanOrEqual(6);
    expect(e.at(-1), text).toBeLessThan(0.22);
  });

  // At 10 s the same half-way has 15 samples with about 9% noise each: even knowing the true onset, the ramp
  // errs more than 20% in 6 of the 8 bearing runs; and where a step explains those few values about as well as a
  // ramp, no warning is given yet (counted as a miss).
  it('at 10 s: tool_wear within 20% in 7 runs of 8, bearing_fault in 4 of 8; an estimate given is never 100% off', () => {
    const wear = errors('tool_wear', 10_000);
    // Measured: 7 of 8 (at most 19%, one run not yet warned; seeds 9-16: 6 of 8).
    expect(wear.within, wear.text).toBeGreaterThanOrEqual(7);
    const bearing = errors('bearing_fault', 10_000);
    // Measured: 4 of 8 (errors 6%, 11%, 15%, 20% (just under), 29%, 64%, two runs not yet warned; seeds 9-16: 4).
    expect(bearing.within, bearing.text).toBeGreaterThanOrEqual(4);
    for (const { e, text } of [wear, bearing])
      expect(e.filter((x) => x >= 1 && x < Infinity).length, text).toBe(0);
  });
});

describe('degradation watch', () => {
  it("tells the time until the metric itself reaches the limit, not its lagged reading's", () => {
    // The metric ramps from 2 by 0.01/s from t = 4,000 s toward the limit 8; its sensor reads it through a
    // first-order lag (rho 0.8 per 10 s step: 40 s late on a ramp). At 4,300 s the metric has 300 s to go, the
    // reading 340 s.
    const estimates = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => {
      const g = gaussian(seed);
      const watch = new DegradationWatch({ ...DEGRADATION_DEFAULTS, limit: 8 });
      const state = watch.create();
      let reading = 2;
      let seconds = NaN;
      for (let i = 0; i <= 430; i++) {
        const metric = 2 + 0.05 * g() + (i >= 400 ? 0.1 * (i - 400) : 0);
        reading = 0.8 * reading + 0.2 * metric;
        seconds = watch.update(state, i * 10_000, reading).seconds;
      }
      return seconds;
    });
    const mean = estimates.reduce((sum, s) => sum + s, 0) / estimates.length;
    // Measured: 305 s on average (fitting the lagged readings: 343 s).
    expect(mean, estimates.join(', ')).toBeGreaterThan(280);
    expect(mean, estimates.join(', ')).toBeLessThan(320);
  });
});

describe('degradation watch: the limit reached', () => {
  /** A watch's answers on `values` sampled every 2 s. */
  const answers = (limit: number, values: number[]) => {
    const watch = new DegradationWatch({ ...DEGRADATION_DEFAULTS, limit });
    const state = watch.create();
    return values.map((value, i) => watch.update(state, i * 2000, value).seconds);
  };

  it('tells no life left once the metric is at its limit, even when wear began before its baseline was known', () => {
    // The demo's first try: a bearing fault a minute after the start. The baseline learns the young ramp as
    // healthy and no drift is ever told; before, the remaining life stayed unknown at twice the limit.
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const { plant, start } = demoPlant(seed);
      const cnc = plant.machines.find((m: { line: string; name: string }) => m.line === 'line-01')!;
      const watch = new DegradationWatch({ ...DEGRADATION_DEFAULTS, limit: 4.5 });
      const state = watch.create();
      let crossed = NaN;
      let reached = NaN;
      const tick: { machine: string; line: string; metric: string; value: number }[] = [];
      for (let ts = start + 2000; ts <= start + 600_000; ts += 2000) {
        if (ts === start + 60_000)
          plant.command(
            parseCommand({ cmd: 'bearing_fault', value: true, line: 'line-01', machine: cnc.name }),
            ts,
          );
        tick.length = 0;
        plant.tick(ts, tick);
        plant.drainEvents();
        const point = tick.find(
          (p) => p.line === 'line-01' && p.machine === cnc.name && p.metric === 'vibration',
        )!;
        const seconds = watch.update(state, ts, point.value).seconds;
        if (point.value >= 4.5 && Number.isNaN(crossed)) crossed = ts;
        if (seconds === 0 && Number.isNaN(reached)) reached = ts;
        // Once reached, it stays reached while the damage grows.
        if (!Number.isNaN(reached)) expect(seconds, `seed ${seed}`).toBe(0);
      }
      // Measured: 20-44 s after the first reading at the limit (its level: 5 steps).
      expect(reached - crossed, `seed ${seed}`).toBeLessThan(60_000);
    }
  });

  it('one glitch past the limit is not the limit reached, and a level back from it ends it', () => {
    const g = gaussian(7);
    const healthy = Array.from({ length: 600 }, () => 2 + 0.1 * g());
    // A PLC's junk value among healthy ones, or two in a row: the median of 3 drops one, and a median moves the
    // level by at most 20 spreads at a time.
    expect(answers(4, [...healthy, 3.4e38, ...healthy]).filter((s) => s === 0)).toEqual([]);
    expect(answers(4, [...healthy, 3.4e38, 3.4e38, ...healthy]).filter((s) => s === 0)).toEqual([]);
    // At the limit (4.5 > 4) for a minute, then repaired: 0 from the level's reaching it until it is back.
    const repaired = answers(4, [
      ...healthy,
      ...Array.from({ length: 30 }, () => 4.5 + 0.1 * g()),
      ...healthy,
    ]);
    expect(repaired.slice(600, 630).some((s) => s === 0)).toBe(true);
    expect(repaired.slice(700).filter((s) => s === 0)).toEqual([]);
  });

  it('works for a limit below the healthy level too (a pressure that fails low)', () => {
    const g = gaussian(11);
    const healthy = Array.from({ length: 600 }, () => 10 + 0.2 * g());
    // Down past 5 at once, as a burst hose would: no ramp to tell, the limit reached all the same.
    const burst = answers(5, [...healthy, ...Array.from({ length: 60 }, () => 3 + 0.2 * g())]);
    expect(burst.slice(0, 600).filter((s) => s === 0)).toEqual([]);
    const reached = burst.indexOf(0);
    expect(reached).toBeGreaterThan(600);
    // Measured: 8 values (16 s) after the fall.
    expect(reached).toBeLessThan(612);
    expect(burst.slice(reached).filter((s) => s !== 0)).toEqual([]);
  });

  it('a level hovering at the limit does not flap', () => {
    const g = gaussian(9);
    const values = [
      ...Array.from({ length: 600 }, () => 2 + 0.1 * g()),
      ...Array.from({ length: 600 }, () => 4 + 0.1 * g()),
    ];
    const seconds = answers(4, values).slice(600);
    const first = seconds.indexOf(0);
    expect(first).toBeGreaterThan(-1);
    // Reached within seconds, then no way back while the level stays within 3 spreads of the limit.
    expect(seconds.slice(first).filter((s) => s !== 0)).toEqual([]);
  });
});

describe('healthy machines', () => {
  it('a step to a new level that holds (a load change, another product after a stop) is not wear', () => {
    for (const seed of [1, 2, 3, 4]) {
      const g = gaussian(seed);
      const watch = new DegradationWatch({ ...DEGRADATION_DEFAULTS, limit: 4 });
      const state = watch.create();
      let least = Infinity;
      // 2 mm/s for 3 hours at 2 s, then 3 mm/s for 2 hours: a third of the way to the limit at once.
      for (let i = 0; i < 9000; i++) {
        const seconds = watch.update(state, i * 2000, (i < 5400 ? 2 : 3) + 0.1 * g()).seconds;
        if (seconds < least) least = seconds;
      }
      expect(least).toBe(Infinity);
    }
  });

  it('a simulated plant without faults raises almost no early warnings', () => {
    // 8 machines over 12 hours of shifts, stops and load changes at 2 s. Measured: seeds 1 and 2, 0 and 3 episodes;
    // before steps were told from ramps, 86 and 193.
    const [first, second] = [1, 2].map((seed) => falseWarnings(seed, 2_000, 12));
    expect(first.warnings + second.warnings).toBeLessThanOrEqual(3);
    // Seed 1's press-02: its first 200 running values average 1.9 mm/s (about 3.8 later), so its limit lies
    // inside its healthy range. It reaches it once and stays there, not flapping at the limit.
    expect(first.atLimit + second.atLimit).toBeLessThanOrEqual(1);
  });
});

describe('forecaster', () => {
  const t0 = Date.UTC(2026, 0, 5);
  const point = (i: number, value: number, metric = 'vibration') => ({
    ts: t0 + i * 10_000,
    id: '0195fd1c-6a5b-7d3e-9f10-000000000000',
    tenant: 'acme',
    plant: 'p1',
    line: 'l1',
    machine: 'cnc-01',
    metric,
    value,
    unit: 'mm/s',
    q: 100,
  });
  const options = {
    key: 'machine/metric' as const,
    horizonS: 600,
    steps: 3,
    coverage: 0.9,
    limits: { vibration: 10 },
    warnS: 3600,
    warmup: 20,
    maxSeries: 100,
  };

  it('annotates points with a forecast over the horizon once warm, and sends early warnings near the limit', () => {
    const forecaster = new Forecaster(options);
    const g = gaussian(3);
    const warnings: Record<string, unknown>[] = [];
    let last: Record<string, unknown> = {};
    for (let i = 0; i < 600; i++) {
      // Healthy for 400 samples, then a drift of 0.02 per sample (10 s) toward the limit of 10.
      const value = 2 + 0.1 * g() + (i >= 400 ? 0.02 * (i - 400) : 0);
      const result = forecaster.forecast(point(i, value));
      if (i === 10) expect(result.point.forecast).toEqual([]);
      if (result.warning) warnings.push(result.warning);
      last = result.point;
    }
    const forecast = last.forecast as { ts: number; value: number; lower: number; upper: number }[];
    expect(forecast.map((f) => f.ts - (last.ts as number))).toEqual([200_000, 400_000, 600_000]);
    for (const f of forecast) expect(f.lower).toBeLessThan(f.upper);
    // At i = 599 the value is about 6: 4 to go at 0.002 per second, about 2,000 s.
    expect(last.rulS).toBeGreaterThan(1500);
    expect(last.rulS).toBeLessThan(2600);
    expect(warnings.length).toBeGreaterThan(100);
    expect(warnings.at(-1)).toMatchObject({ metric: 'vibration_rul', unit: 's', machine: 'cnc-01', q: 100 });
    expect(validatePoints(warnings).invalid).toEqual([]);
  });

  /** Healthy 2 +- 0.05 every 10 s, with `change` applied to sample i; the points' results. */
  const run = (
    count: number,
    change: (i: number, p: ReturnType<typeof point>) => ReturnType<typeof point>,
  ) => {
    const forecaster = new Forecaster(options);
    const g = gaussian(5);
    return Array.from({ length: count }, (_, i) => forecaster.forecast(change(i, point(i, 2 + 0.05 * g()))));
  };
  const width = (result: { point: Record<string, unknown> }) => {
    const [first] = result.point.forecast as { lower: number; upper: number }[];
    return first!.upper - first!.lower;
  };

  it.each([3.4e38, 1e160, 1.7e308])(
    'one junk value (%s) leaves the intervals finite and back to healthy, and no remaining life of 0',
    (junk) => {
      const control = run(2000, (_, p) => p);
      const results = run(2000, (i, p) => (i === 600 ? { ...p, value: junk } : p));
      for (const result of results.slice(601)) {
        for (const f of result.point.forecast as { lower: number; upper: number }[]) {
          expect(Number.isFinite(f.lower) && Number.isFinite(f.upper)).toBe(true);
        }
        expect(result.point.rulS).toBeGreaterThan(0);
      }
      // About 1,400 samples later the intervals are as wide as without the junk (unclipped, 3.4e38 left them
      // +-2.3e28 after 4,400).
      expect(width(results.at(-1)!)).toBeLessThan(1.5 * width(control.at(-1)!));
    },
  );

  it.each([3.4e38, 1e160, -1e160])(
    "a junk first value (%s) is dropped: the series' first season forecasts as if it never came",
    (junk) => {
      const control = run(400, (i, p) => (i === 0 ? { ...p, value: 2 } : p));
      const results = run(400, (i, p) => (i === 0 ? { ...p, value: junk } : p));
      const next = (result: (typeof results)[number]) =>
        (result.point.forecast as { value: number; lower: number; upper: number }[])[0]!;
      for (const i of [50, 200, 399]) {
        expect(Math.abs(next(results[i]!).value - next(control[i]!).value)).toBeLessThan(0.1);
        expect(Number.isFinite(next(results[i]!).upper)).toBe(true);
      }
      expect(results.at(-1)!.point.rulS).toBeGreaterThan(0);
    },
  );

  it("a point stamped far ahead does not stop the series' time: a drift after it is still warned of", () => {
    const drift = (i: number, p: ReturnType<typeof point>) =>
      i >= 700 ? { ...p, value: p.value + 0.02 * (i - 700) } : p;
    const results = run(1100, (i, p) => (i === 500 ? { ...p, ts: Date.UTC(2099, 0, 1) } : drift(i, p)));
    const control = run(1100, drift);
    const firstWarning = (rs: typeof results) =>
      rs.findIndex((r) => (r.point.rulS as number) < options.warnS);
    expect(firstWarning(results)).toBeGreaterThan(700);
    expect(firstWarning(results)).toBeLessThan(firstWarning(control) + 20);
    // And what it forecasts is what it would have without that point.
    const next = (rs: typeof results) => (rs.at(-1)!.point.forecast as { value: number }[])[0]!.value;
    expect(Math.abs(next(results) - next(control))).toBeLessThan(0.5);
  });

  it("takes each series' limit from the most specific pattern that matches it", () => {
    // Listed general first and specific last, and the other way round: the order does not matter.
    const patterns = [
      { vibration: 100, 'cnc-*/vibration': 10, 'cnc-02/vibration': 50 },
      { 'cnc-02/vibration': 50, 'cnc-*/vibration': 10, vibration: 100 },
    ];
    for (const limits of patterns) {
      const forecaster = new Forecaster({ ...options, limits, warnS: 1e6 });
      const rul: Record<string, number> = {};
      for (const machine of ['cnc-01', 'cnc-02', 'press-01']) {
        const g = gaussian(3);
        for (let i = 0; i < 600; i++) {
          // The same drift on each machine: from 2, 0.002 per second from i = 400; about 6 at i = 599.
          const value = 2 + 0.1 * g() + (i >= 400 ? 0.02 * (i - 400) : 0);
          rul[machine] = forecaster.forecast({ ...point(i, value), machine }).point.rulS as number;
        }
      }
      // To 10 about 2,000 s, to 50 about 22,000 s, to 100 about 47,000 s.
      expect(rul['cnc-01']).toBeGreaterThan(1500);
      expect(rul['cnc-01']).toBeLessThan(2600);
      expect(rul['cnc-02']).toBeGreaterThan(16_000);
      expect(rul['cnc-02']).toBeLessThan(28_000);
      expect(rul['press-01']).toBeGreaterThan(35_000);
      // A series no limit matches gets no remaining life.
      expect(forecaster.forecast(point(600, 1, 'temperature')).point.rulS).toBeUndefined();
    }
  });

  it('sends a warning at the cap first and when the drift ends, so an alarm on it clears', () => {
    const forecaster = new Forecaster(options);
    const sent: number[] = [];
    let near = 0;
    for (let i = 0; i < 700; i++) {
      const value = i >= 400 && i < 560 ? 2 + 0.03 * (i - 400) : 2 + 0.01 * (i % 3);
      const result = forecaster.forecast(point(i, value));
      if (result.warning) sent.push(result.warning.value as number);
      if (result.near) near += 1;
    }
    // The points at the cap are no warnings: the node's status counts only those below it.
    expect(near).toBe(sent.filter((s) => s < 3600).length);
    expect(sent.length).toBeGreaterThan(10);
    // A new series tells where it stands once: after a restart or a redeploy, an alarm raised on it before then
    // clears (or is kept by a fresh value) instead of waiting for the next drift.
    expect(sent[0]).toBe(3600);
    expect(sent.at(-1)).toBe(3600);
    expect(sent.slice(1, -1).every((s) => s < 3600)).toBe(true);
  });

  it('refuses what it cannot forecast, naming the problem, and checks its options', () => {
    const forecaster = new Forecaster(options);
    expect(() => forecaster.forecast('x')).toThrow(AnomalyInputError);
    expect(() => forecaster.forecast({ ...point(0, 1), value: NaN })).toThrow(
      'value must be a finite number',
    );
    expect(() => forecaster.forecast({ ...point(0, 1), ts: 'now' })).toThrow(
      'ts must be epoch milliseconds or an ISO-8601 date-time with a zone (got "now")',
    );
    // Seconds would make every remaining life 1,000 times too short: refused as threshold-alarm refuses them.
    const seconds = { ...point(0, 1), ts: t0 / 1000 };
    expect(() => forecaster.forecast(seconds)).toThrow(AnomalyInputError);
    expect(() => forecaster.forecast(seconds)).toThrow(
      `ts ${t0 / 1000} is before 2000-01-01 as milliseconds: send epoch milliseconds, not seconds`,
    );
    expect(() => forecaster.forecast({ ...point(0, 1), machine: 'a/b' })).toThrow(/machine must be/);
    expect(forecaster.size).toBe(0);
    // As everywhere else, an ISO-8601 ts with a zone is taken too.
    expect(forecaster.forecast({ ...point(0, 1), ts: '2026-01-05T00:00:00Z' }).point.rulS).toBe(3600);
    expect(() => new Forecaster({ ...options, limits: { vibration: NaN } })).toThrow(/limits: vibration/);
    expect(() => new Forecaster({ ...options, limits: { 'a b': 1 } })).toThrow(
      /limits: "a b" must be segments of letters/,
    );
    expect(() => new Forecaster({ ...options, limits: { 'line-01/cnc-01/vibration': 1 } })).toThrow(
      /limits: "line-01\/cnc-01\/vibration" has 3 segments but the key has 2: choose a longer key/,
    );
    expect(() => new Forecaster({ ...options, coverage: 1 })).toThrow(/coverage/);
    expect(() => new Forecaster({ ...options, horizonS: 0 })).toThrow(/horizon/);
    expect(() => new DegradationWatch({ ...DEGRADATION_DEFAULTS, limit: Infinity })).toThrow(/limit/);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
  });

  it('keeps one model per series within its series cap', () => {
    const forecaster = new Forecaster({ ...options, maxSeries: 3 });
    for (const metric of GAUGE_METRICS) forecaster.forecast(point(0, 1, metric));
    expect(forecaster.size).toBe(3);
    // The seasonal model (8 + 2 x 288 numbers) and the watch of a limit (21 + 6 x 32 numbers).
    expect(forecaster.bytesPerSeries).toBe(8 * (8 + 2 * 288) + 64 + 8 * (21 + 6 * 32) + 64 + 64);
    expect(new DegradationWatch({ ...DEGRADATION_DEFAULTS, limit: 1 }).create().length).toBe(21 + 6 * 32);
  });
});

// Telemetry points to forecasts: per series a seasonal model (SeasonalModel) with prediction intervals over a
// horizon, and, for series with a limit, the remaining useful life (DegradationWatch) as early-warning points
// `<metric>_rul` (seconds) that a threshold-alarm rule can raise an alarm on.
import { describeValue, nameBasedId, normaliseTs } from '@plantwire/telemetry';
import { AnomalyInputError } from '../anomaly-detector.js';
import { packState, restoreSeries, saveSeries, unpackState, type LearnedSeries } from '../learned-state.js';
import { SeriesMap } from '../series-map.js';
import {
  compilePattern,
  KEY_FIELDS,
  keyFieldProblem,
  resetMatcher,
  seriesKey,
  type KeyFields,
  type Matcher,
} from '../series-key.js';
import { DEGRADATION_DEFAULTS, DegradationWatch } from './degradation.js';
import { SEASONAL_DEFAULTS, SeasonalModel, type SeasonalOptions } from './seasonal-model.js';

export interface ForecasterOptions {
  key: KeyFields;
  seasonal?: Partial<SeasonalOptions>;
  /** How far ahead to forecast, seconds. */
  horizonS: number;
  /** Forecast points spread evenly over the horizon (the last at the horizon). */
  steps: number;
  /** Coverage of the prediction interval, in (0, 1). */
  coverage: number;
  /**
   * Failure limits by series pattern, as threshold-alarm's `match`: a metric name such as `vibration`, or machine
   * and metric such as `press-01/vibration`, '*' a wildcard within a segment. A series one matches gets a
   * remaining-useful-life estimate. Of several that match, the most specific (more segments, then more characters
   * that are not '*') wins; of equally specific ones, the first.
   */
  limits: Record<string, number>;
  /** Early warnings are sent while the remaining life is below this, seconds (and once when it rises above). */
  warnS: number;
  /** Samples a series needs before it forecasts. */
  warmup: number;
  maxSeries: number;
}

export const FORECASTER_DEFAULTS = {
  horizonS: 3600,
  steps: 12,
  coverage: 0.95,
  warnS: 24 * 3600,
  warmup: 30,
  maxSeries: 10_000,
};

export interface ForecastPoint {
  ts: number;
  value: number;
  lower: number;
  upper: number;
}

/** What a point gets: its forecast (empty while the series warms up) and its remaining life if it has a limit. */
export interface ForecastResult {
  point: Record<string, unknown>;
  /** An early-warning point (`<metric>_rul`, seconds, schema v1) when one is due. */
  warning: Record<string, unknown> | undefined;
  /** Whether that point says the limit is near (the others say it is not: a first point, or an all-clear). */
  near: boolean;
}

interface SeriesState {
  model: Float64Array;
  /** The watch of the limit that matches the series, and the series' state in it; none without a limit. */
  life: { watch: DegradationWatch; state: Float64Array } | undefined;
  /**
   * Whether the last warning sent said the limit is near. A new series starts as if it had (it sends its first
   * remaining life even at the cap): after a restart or a redeploy, an alarm raised on it before is then cleared,
   * or kept, by a fresh value instead of waiting for the next drift.
   */
  warned: boolean;
}

/** The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.6968302866538, 220.946098424521, -275.928510446969, 138.357751867269, -30.6647980661472,
    2.50662827745924,
  ];
  const b = [-54.4760987982241, 161.585836858041, -155.698979859887, 66.8013118877197, -13.2806815528857];
  const c = [
    -0.00778489400243029, -0.322396458041136, -2.40075827716184, -2.54973253934373, 4.37466414146497,
    2.93816398269878,
  ];
  const d = [0.00778469570904146, 0.32246712907004, 2.445134137143, 3.75440866190742];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

export class Forecaster {
  readonly model: SeasonalModel;
  private readonly fields: readonly string[];
  private readonly series: SeriesMap<SeriesState>;
  /** One watch per limit, the most specific pattern first. */
  private readonly limits: { match: Matcher; watch: DegradationWatch }[] = [];
  private readonly z: number;

  constructor(readonly options: ForecasterOptions) {
    const { horizonS, steps, coverage, warnS, warmup } = options;
    if (!(horizonS > 0)) throw new RangeError(`the horizon must be more than 0 s (got ${horizonS})`);
    if (!(Number.isInteger(steps) && steps >= 1 && steps <= 1000))
      throw new RangeError(`steps must be a whole number from 1 to 1,000 (got ${steps})`);
    if (!(coverage > 0 && coverage < 1))
      throw new RangeError(`coverage must lie in (0, 1) (got ${coverage})`);
    if (!(warnS > 0)) throw new RangeError(`the warning horizon must be more than 0 s (got ${warnS})`);
    if (!(Number.isInteger(warmup) && warmup >= 1))
      throw new RangeError(`warmup must be a whole number of 1 or more (got ${warmup})`);
    this.model = new SeasonalModel({ ...SEASONAL_DEFAULTS, ...options.seasonal });
    this.fields = KEY_FIELDS[options.key];
    const specificity = (pattern: string) => [pattern.split('/').length, pattern.replace(/\*/g, '').length];
    const patterns = Object.keys(options.limits).sort((a, b) => {
      const [x, y] = [specificity(a), specificity(b)];
      return y[0]! - x[0]! || y[1]! - x[1]!;
    });
    for (const pattern of patterns) {
      const limit = options.limits[pattern];
      const match = compilePattern(
        pattern,
        this.fields.length,
        (problem) => new RangeError(`limits: ${problem}`),
      );
      if (typeof limit !== 'number' || !Number.isFinite(limit))
        throw new RangeError(`limits: ${pattern} must be a finite number (got ${describeValue(limit)})`);
      this.limits.push({ match, watch: new DegradationWatch({ limit, ...DEGRADATION_DEFAULTS }) });
    }
    this.z = normalQuantile(0.5 + coverage / 2);
    this.series = new SeriesMap(options.maxSeries, (key) => {
      const segments = key.split('/');
      const watch = this.limits.find(({ match }) => match(segments))?.watch;
      const life = watch && { watch, state: watch.create() };
      return { model: this.model.create(), life, warned: true };
    });
  }

  /** Series held now. */
  get size(): number {
    return this.series.size;
  }

  /** Bytes of model state per series at most (a limit's watch included, and 64 for the series' record). */
  get bytesPerSeries(): number {
    const watch = this.limits[0]?.watch;
    return this.model.bytesPerSeries + (watch?.bytesPerSeries ?? 0) + 64;
  }

  /**
   * Forgets the series `reset` names (true: all, or a pattern such as `cnc-01/vibration`): after a repair, their
   * baseline is learned again. Returns how many; throws an AnomalyInputError, forgetting nothing, for anything else.
   */
  forget(reset: unknown): number {
    const test = resetMatcher(reset, this.fields.length, (problem) => new AnomalyInputError(problem));
    return this.series.forget(test);
  }

  /** What every series has learned, to be restored after a restart (see learned-state.ts). */
  snapshot(): LearnedSeries[] {
    return saveSeries(this.series, (state) => packState(learnedPart(state)));
  }

  /** Takes series from snapshot() of a forecaster with the same settings. */
  restore(saved: unknown): void {
    restoreSeries(this.series, saved, (state, numbers) => {
      const learned = learnedPart(state);
      unpackState(learned, numbers);
      state.warned = learned.warned;
    });
  }

  clear(): void {
    this.series.clear();
  }

  /** Learns one point and forecasts its series; throws an AnomalyInputError, changing nothing, for a bad point. */
  forecast(item: unknown): ForecastResult {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw new AnomalyInputError(`a point must be an object (got ${describeValue(item)})`);
    const point = item as Record<string, unknown>;
    const key = seriesKey(point, this.fields);
    if (key === undefined) throw new AnomalyInputError(keyFieldProblem(point, this.fields)!);
    const value = point.value;
    if (typeof value !== 'number' || value - value !== 0)
      throw new AnomalyInputError(`value must be a finite number (got ${describeValue(value)})`);
    const ts = pointTs(point.ts);
    const entry = this.series.use(key);
    const state = entry.state;
    const samples = ++entry.samples;
    this.model.update(state.model, ts, value);
    const forecast: ForecastPoint[] = [];
    if (samples > this.options.warmup) {
      const { horizonS, steps } = this.options;
      for (let s = 1; s <= steps; s++) {
        const ahead = (horizonS * s) / steps;
        const f = this.model.forecast(state.model, ahead);
        const half = this.z * f.sd;
        forecast.push({
          ts: ts + ahead * 1000,
          value: f.value,
          lower: f.value - half,
          upper: f.value + half,
        });
      }
    }
    let warning: Record<string, unknown> | undefined;
    let rulS: number | undefined;
    let near = false;
    if (state.life) {
      // The seasonal offset is not wear: the watch sees the value with it removed.
      const remaining = state.life.watch.update(
        state.life.state,
        ts,
        value - this.model.seasonalOffset(state.model, ts),
      );
      rulS = Math.min(remaining.seconds, this.options.warnS);
      near = rulS < this.options.warnS;
      if (near || state.warned) warning = warningPoint(point, key, ts, rulS);
      state.warned = near;
    }
    const out: Record<string, unknown> = { ...point, forecast };
    if (rulS !== undefined) out.rulS = Math.round(rulS);
    return { point: out, warning, near };
  }
}

/** The part of a series' state it learned (its limit's watch comes from the settings). */
function learnedPart(state: SeriesState) {
  return { model: state.model, life: state.life?.state, warned: state.warned };
}

/** Event time in epoch ms, checked as everywhere else (seconds for ms would shorten every remaining life 1,000 times). */
function pointTs(ts: unknown): number {
  try {
    return normaliseTs(ts);
  } catch (error) {
    throw new AnomalyInputError((error as Error).message);
  }
}

/** A schema-v1 point `<metric>_rul` (seconds left, whole) for the series of `point`, with a repeatable id. */
function warningPoint(
  point: Record<string, unknown>,
  key: string,
  ts: number,
  rulS: number,
): Record<string, unknown> {
  const warning: Record<string, unknown> = { ts, id: nameBasedId(`${key}_rul/${ts}`) };
  for (const field of ['tenant', 'plant', 'line', 'machine'])
    if (point[field] !== undefined) warning[field] = point[field];
  warning.metric = `${(point.metric as string).slice(0, 60)}_rul`;
  warning.value = Math.round(rulS);
  warning.unit = 's';
  if (point.q !== undefined) warning.q = point.q;
  return warning;
}

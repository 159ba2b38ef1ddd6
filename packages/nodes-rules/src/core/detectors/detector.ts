/**
 * One streaming detector algorithm. The state of a series is whatever `create()` returns (typed arrays and plain
 * numbers, allocated once); `update()` scores a value against that series' past only, then learns it.
 */
export interface SeriesDetector<State> {
  /** The name users pick in the node and on the command line. */
  readonly name: string;
  /** Samples a series needs before its scores mean anything (the node reports them as warming up). */
  readonly warmup: number;
  /** The flag threshold used when none is configured. */
  readonly defaultThreshold: number;
  /** Upper bound of the memory one series' state takes, in bytes (state objects, typed arrays). */
  readonly bytesPerSeries: number;
  create(): State;
  /** The anomaly score of `value` in [0, 1], given what came before; then `value` joins the past. */
  update(state: State, value: number): number;
}

/** Tuning shared by the detectors; each picks what applies to it. */
export interface DetectorOptions {
  /** Samples before scoring starts (score 0 until then). */
  warmup?: number;
  /** rarity: samples of the short moving mean whose levels are scored beside the raw values' (0: off). */
  smoothing?: number;
}

/**
 * A deviation of `z` standard deviations (or robust equivalents) as a score in [0, 1]: 0.5 at `z0`, rising
 * steeply past it (z^4 / (z^4 + z0^4)). A rational form: no exp() on the hot path, monotonic, never NaN.
 */
export function deviationScore(z: number, z0: number): number {
  if (!(z > 0)) return 0;
  if (z === Infinity) return 1;
  const r = z / z0;
  const r4 = r * r * r * r;
  return r4 === Infinity ? 1 : r4 / (r4 + 1);
}

/** The smallest spread a series may have relative to its level, so that a flat line does not divide by zero. */
export function spreadFloor(level: number): number {
  return Math.max(Math.abs(level) * 1e-6, 1e-9);
}

/** A running standard deviation, never below the floor for its mean. */
export function spreadOf(mean: number, variance: number): number {
  const sd = Math.sqrt(variance);
  const floor = spreadFloor(mean);
  return sd > floor ? sd : floor;
}

/**
 * Learns a (clipped) deviation from the mean into the running mean and variance kept at `moments[at]` and
 * `moments[at + 1]`, with weight `rate` (West's incremental form).
 */
export function learnMoments(moments: Float64Array, at: number, deviation: number, rate: number): void {
  const step = rate * deviation;
  moments[at] = moments[at]! + step;
  moments[at + 1] = (1 - rate) * (moments[at + 1]! + deviation * step);
}

/**
 * Deviations are learned clipped to this many spreads. Far past any flag threshold, yet a glitch moves a
 * statistic by a bounded step. Smaller limits learn real changes too slowly after a flat stretch (where the
 * spread sits at its floor): on NAB the ensemble scored 45.1 with 8 and 57.9 with 10, 63.7 with 15 to 20.
 */
const CLIP_SPREADS = 20;
/** Nor more than this, whatever the spread: squares and running variances of finite values then stay finite. */
const MAX_LEARNED = 1e150;

/**
 * The part of a deviation `diff` a running statistic learns: at most CLIP_SPREADS `spread`s either way (a
 * winsorised update). It is scored in full; learning it clipped keeps one glitch (a PLC's 3.4e38, a 1e160) from
 * inflating the spread and blinding the series. A real change is still learned: while its deviations are clipped,
 * a running variance grows (1 - rate)(1 + 400 rate)-fold a sample. Pass `spread` Infinity for a first deviation.
 */
export function clipDeviation(diff: number, spread: number): number {
  const limit = CLIP_SPREADS * spread < MAX_LEARNED ? CLIP_SPREADS * spread : MAX_LEARNED;
  return diff > limit ? limit : diff < -limit ? -limit : diff;
}

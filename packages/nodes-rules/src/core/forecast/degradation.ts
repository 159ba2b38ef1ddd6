// Remaining useful life: how long until a degrading metric reaches its limit. A one-sided CUSUM watches the
// metric (seasonal offset removed) against its healthy baseline; the CUSUM's last zero marks where a drift
// toward the limit began, and a straight line fitted to the values since then is extrapolated to the limit.
// Time is operating time: a gap in the data counts as one usual step, so a machine that stops reporting while
// it stands still (points of running machines only) does not wear meanwhile. State: one Float64Array of 13 numbers.

export interface DegradationOptions {
  /** The value at which the metric fails (a wear limit, a trip level). */
  limit: number;
  /** Time constant of the healthy baseline, seconds (learned only while no drift is under way). */
  baselineS: number;
  /** CUSUM slack and decision level, in baseline standard deviations. */
  slack: number;
  decision: number;
}

export const DEGRADATION_DEFAULTS = { baselineS: 3_600, slack: 0.5, decision: 8 };

// state layout
const SAMPLES = 0;
const MEAN = 1;
const VARIANCE = 2;
const CUSUM = 3;
/** The fit since the CUSUM's last zero: time origin (operating s), count, sums of t, y, t^2, t*y (t in seconds). */
const ORIGIN = 4;
const N = 5;
const ST = 6;
const SY = 7;
const STT = 8;
const STY = 9;
const LAST_TS = 10;
/** Operating time (s): gaps longer than GAP_STEPS usual steps count as one step (a stopped machine does not wear). */
const CLOCK = 11;
const STEP = 12;
const SIZE = 13;
const GAP_STEPS = 3;

/** The smallest baseline spread, relative to the level, so that a flat healthy signal does not divide by 0. */
const MIN_SPREAD = 1e-6;
/** Points a fit needs before it predicts. */
const MIN_POINTS = 5;

export interface Remaining {
  /** Seconds until the limit is reached (0: at or past it), Infinity when no drift toward it is under way. */
  seconds: number;
  /** The fitted value now and its slope per second (NaN when no drift). */
  value: number;
  slope: number;
}

export const NO_DRIFT: Remaining = { seconds: Infinity, value: NaN, slope: NaN };

export class DegradationWatch {
  readonly bytesPerSeries = 8 * SIZE + 64;

  constructor(readonly options: DegradationOptions) {
    if (!Number.isFinite(options.limit)) throw new RangeError('the limit must be a finite number');
    if (!(options.baselineS > 0 && options.slack >= 0 && options.decision > 0))
      throw new RangeError('baselineS and decision must be greater than 0, slack 0 or more');
  }

  create(): Float64Array {
    return new Float64Array(SIZE);
  }

  /** Learns `value` (seasonal offset already removed) at `ts` (ms) and tells the remaining life. */
  update(state: Float64Array, ts: number, value: number): Remaining {
    const samples = state[SAMPLES]! + 1;
    state[SAMPLES] = samples;
    const dt = samples > 1 && ts > state[LAST_TS]! ? (ts - state[LAST_TS]!) / 1000 : 0;
    if (samples === 1 || ts > state[LAST_TS]!) state[LAST_TS] = ts;
    if (dt > 0) {
      const step = state[STEP]! > 0 ? state[STEP]! : dt;
      state[CLOCK] = state[CLOCK]! + (dt > GAP_STEPS * step ? step : dt);
      state[STEP] = step + 0.05 * ((dt > GAP_STEPS * step ? step : dt) - step);
    }
    const clock = state[CLOCK]!;
    const mean = state[MEAN]!;
    if (samples === 1) {
      state[MEAN] = value;
      return NO_DRIFT;
    }
    const up = this.options.limit >= mean;
    const sd = Math.max(Math.sqrt(state[VARIANCE]!), Math.abs(mean) * MIN_SPREAD, 1e-12);
    const z = ((up ? value - mean : mean - value) / sd) * (samples > 10 ? 1 : 0);
    const cusum = Math.max(0, state[CUSUM]! + z - this.options.slack);
    state[CUSUM] = cusum;
    if (cusum < this.options.decision) {
      // No drift declared: the baseline learns (a biased start must not freeze it).
      const rate = Math.min(
        1,
        Math.max(1 / samples, 1 - Math.exp(-Math.max(dt, 1) / this.options.baselineS)),
      );
      const diff = value - mean;
      state[MEAN] = mean + rate * diff;
      state[VARIANCE] = (1 - rate) * (state[VARIANCE]! + rate * diff * diff);
    }
    if (cusum === 0) {
      // The fit starts afresh at the next value.
      state[N] = 0;
      return NO_DRIFT;
    }
    if (state[N] === 0) {
      state[ORIGIN] = clock;
      state[ST] = state[SY] = state[STT] = state[STY] = 0;
    }
    const t = clock - state[ORIGIN]!;
    state[N] = state[N]! + 1;
    state[ST] = state[ST]! + t;
    state[SY] = state[SY]! + value;
    state[STT] = state[STT]! + t * t;
    state[STY] = state[STY]! + t * value;
    if (cusum < this.options.decision || state[N]! < MIN_POINTS) return NO_DRIFT;
    return this.remaining(state, t);
  }

  private remaining(state: Float64Array, now: number): Remaining {
    const n = state[N]!;
    const st = state[ST]!;
    const sy = state[SY]!;
    const denominator = n * state[STT]! - st * st;
    if (!(denominator > 0)) return NO_DRIFT;
    const slope = (n * state[STY]! - st * sy) / denominator;
    const value = (sy - slope * st) / n + slope * now;
    const gap = this.options.limit - value;
    if (gap === 0 || gap > 0 !== this.options.limit >= state[MEAN]!) return { seconds: 0, value, slope };
    if (!(gap / slope > 0)) return { seconds: Infinity, value, slope };
    return { seconds: gap / slope, value, slope };
  }
}

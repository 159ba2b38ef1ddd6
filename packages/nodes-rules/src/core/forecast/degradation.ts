// Remaining useful life: how long until a degrading metric reaches its limit. A one-sided CUSUM watches the
// metric (seasonal offset removed) against its healthy baseline and declares a drift toward the limit.
// Degradation leaves the healthy level at an onset and ramps from there, so the model is a hinge: the baseline
// until the onset, then a straight ramp from the baseline. The onset is searched among the last values before
// the CUSUM's last zero (a slow ramp hides in the noise for a while, so the CUSUM starts late) and the values
// after it until the drift was declared; the ramp's slope is fitted by least squares for each, the ramps are
// averaged by how likely each onset is, and the average is extrapolated to the limit. A straight line through the values since the
// CUSUM's zero (the earlier fit) erred late on the simulator's fast bearing ramp: flat values before the onset
// flatten it and a free intercept doubles the slope's noise. Time is operating time: a gap in the data counts as
// one usual step, so a machine that stops reporting while it stands still (points of running machines only)
// does not wear meanwhile. State: one Float64Array of 15 + 4 x ONSETS numbers (1.2 KB).

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

/** Candidate onsets on either side of the CUSUM's last zero. */
const ONSETS = 32;

// state layout
const SAMPLES = 0;
const MEAN = 1;
const VARIANCE = 2;
const CUSUM = 3;
/** Sums since the CUSUM's last zero: time origin (operating s), count, sums of t, y, t^2, t*y (t in seconds). */
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
/** When (t) the CUSUM first reached its decision level since its last zero: the onset lies before. */
const DECLARED = 13;
/** Values written to the ring of values before the CUSUM's zero. */
const BEFORE_COUNT = 14;
/** The last ONSETS values while the CUSUM sat at zero, (clock, value) pairs in a ring. */
const BEFORE = 15;
/** The first ONSETS values since the CUSUM's zero, (t, value) pairs. */
const AFTER = BEFORE + 2 * ONSETS;
const SIZE = AFTER + 2 * ONSETS;
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

/** Each onset's fit (fall, slope, value now): at most 2 x ONSETS, reused (single-threaded). */
const fitScratch = new Float64Array(3 * 2 * ONSETS);

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
      // The fit starts afresh at the next value; this one may be on a ramp that is still hidden in the noise.
      state[N] = 0;
      const at = BEFORE + 2 * (state[BEFORE_COUNT]! % ONSETS);
      state[at] = clock;
      state[at + 1] = value;
      state[BEFORE_COUNT] = state[BEFORE_COUNT]! + 1;
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
    const n = state[N]!;
    if (n <= ONSETS) {
      state[AFTER + 2 * (n - 1)] = t;
      state[AFTER + 2 * n - 1] = value;
    }
    if (n === 1) state[DECLARED] = Infinity;
    if (cusum < this.options.decision) return NO_DRIFT;
    if (t < state[DECLARED]!) state[DECLARED] = t;
    if (n < MIN_POINTS) return NO_DRIFT;
    return this.remaining(state, t);
  }

  /**
   * The hinge fit: for an onset t0, the ramp's slope is B / A with A = sum (t - t0)^2 and B = sum (t - t0)(y -
   * baseline) over the values after t0, and the squared error around the baseline falls by B^2 / A. The onsets
   * with a slope toward the limit are averaged, each weighted by its likelihood (picking the best one alone
   * chased the noise: bearing faults within 20% in 10 of 16 runs, 11 with the average). The raw sums (n, t, y, t^2, t*y) over the values
   * after t0 grow by one value per onset going back from the CUSUM's zero, and shrink by one going forward.
   */
  private remaining(state: Float64Array, now: number): Remaining {
    const baseline = state[MEAN]!;
    const up = this.options.limit >= baseline;
    let fits = 0;
    let best = -Infinity;
    const consider = (t0: number, n: number, st: number, sy: number, stt: number, sty: number) => {
      const a = stt - 2 * t0 * st + t0 * t0 * n;
      const b = sty - t0 * sy - baseline * st + baseline * t0 * n;
      if (!(a > 0) || b === 0 || b > 0 !== up) return;
      const fall = (b * b) / a;
      fitScratch[3 * fits] = fall;
      fitScratch[3 * fits + 1] = b / a;
      fitScratch[3 * fits + 2] = baseline + (b / a) * (now - t0);
      fits++;
      if (fall > best) best = fall;
    };
    let n = state[N]!;
    let st = state[ST]!;
    let sy = state[SY]!;
    let stt = state[STT]!;
    let sty = state[STY]!;
    const total = [n, st, sy, stt, sty] as const;
    // Onsets after the CUSUM's zero, before the drift was declared.
    const declared = state[DECLARED]!;
    const after = Math.min(n, ONSETS);
    for (let k = 0; k < after && n > 2; k++) {
      const t0 = state[AFTER + 2 * k]!;
      if (t0 >= declared) break;
      consider(t0, n, st, sy, stt, sty);
      // The value at t0 adds nothing to its own ramp: it leaves the sums for the next onset.
      const y = state[AFTER + 2 * k + 1]!;
      n--;
      st -= t0;
      sy -= y;
      stt -= t0 * t0;
      sty -= t0 * y;
    }
    // Onsets before it, newest first: each value joins the sums (t < 0 before the CUSUM's zero).
    [n, st, sy, stt, sty] = total;
    const origin = state[ORIGIN]!;
    const count = state[BEFORE_COUNT]!;
    for (let k = 1; k <= Math.min(count, ONSETS); k++) {
      const at = BEFORE + 2 * ((count - k) % ONSETS);
      const t = state[at]! - origin;
      const y = state[at + 1]!;
      n++;
      st += t;
      sy += y;
      stt += t * t;
      sty += t * y;
      consider(t, n, st, sy, stt, sty);
    }
    if (fits === 0) return NO_DRIFT;
    // Each onset weighs as likely as its fit under the baseline's noise: exp(-(squared error) / 2 variance).
    let weights = 0;
    let slope = 0;
    let value = 0;
    const variance = Math.max(state[VARIANCE]!, Number.MIN_VALUE);
    for (let i = 0; i < fits; i++) {
      const fall = fitScratch[3 * i]!;
      const w = Math.exp((fall - best) / (2 * variance));
      weights += w;
      slope += w * fitScratch[3 * i + 1]!;
      value += w * fitScratch[3 * i + 2]!;
    }
    slope /= weights;
    value /= weights;
    const gap = this.options.limit - value;
    if (gap === 0 || gap > 0 !== up) return { seconds: 0, value, slope };
    return { seconds: gap / slope, value, slope };
  }
}

// Remaining useful life: how long until a degrading metric reaches its limit. A one-sided CUSUM watches the
// metric (seasonal offset removed) against its healthy baseline and declares a drift toward the limit.
// Degradation leaves the healthy level at an onset and ramps from there, so the model is a hinge: the baseline
// until the onset, then a straight ramp from the baseline. The onset is searched among the values before the
// drift was declared (a slow ramp hides in the noise for a while, so the CUSUM starts late); the ramp's slope is
// fitted by least squares over every value after each candidate onset, the ramps are averaged by how likely
// each onset is, and the average is extrapolated to the limit. A straight line through the values since the
// CUSUM's zero (an earlier fit) erred late on the simulator's fast bearing ramp: flat values before the onset
// flatten it and a free intercept doubles the slope's noise. Not every drift is wear: a machine's load changes or it
// restarts on another product, and its metric steps to a new level that then holds. A ramp fitted to a step falls
// steeply (minutes left), so a step, the baseline then one new level from an onset, is fitted beside the ramp, and
// only a ramp that makes the values 20 times as likely as the best step tells a remaining life.
//
// Nothing is counted in samples, so the estimate holds at any sampling interval. Sensor noise is correlated in
// time (a sensor's own lag, a filter), more so the faster it is sampled: the baseline learns the lag-1
// autocorrelation rho of the healthy values, and f = (1 + rho) / (1 - rho) samples carry about the information of
// one independent value (their mean has the variance of one value). The CUSUM adds (z - slack) / f per value, so
// a faster sampled series raises no more false drifts. The fit takes the correlation for a first-order lag that
// the metric and its noise pass through, y_t = rho y_(t-1) + (1 - rho) x_t, and fits the unlagged values x_t =
// (y_t - rho y_(t-1)) / (1 - rho): their noise is independent, with f times a value's variance (generalised least
// squares of AR(1) noise, the values prewhitened). Fitting the lagged values instead erred late by the lag and
// weighed the onsets as if the noise were independent. The estimate is thus the time until the metric itself,
// not its lagged reading, reaches the limit. Candidate onsets are the starts of bins of f samples' time (an
// independent value's worth), each holding its values' sums, so the search covers the same time at any rate.
//
// Time is operating time: a gap in the data counts as one usual step, so a machine that stops reporting while it
// stands still (points of running machines only) does not wear meanwhile. State: one Float64Array of
// 21 + 6 x BINS numbers (1.7 KB).
import { clipDeviation } from '../detectors/detector.js';
import { learnedScale } from './seasonal-model.js';

export interface DegradationOptions {
  /** The value at which the metric fails (a wear limit, a trip level). */
  limit: number;
  /** Time constant of the healthy baseline, seconds (learned only while no drift is declared). */
  baselineS: number;
  /** CUSUM slack and decision level, in baseline standard deviations of an independent value. */
  slack: number;
  decision: number;
}

export const DEGRADATION_DEFAULTS = { baselineS: 3_600, slack: 0.5, decision: 8 };

/** Bins of candidate onsets before the drift was declared. */
const BINS = 32;

// state layout
const SAMPLES = 0;
const MEAN = 1;
const VARIANCE = 2;
/** Running lag-1 autocovariance of the healthy values around the baseline. */
const COVARIANCE = 3;
const LAST_VALUE = 4;
const CUSUM = 5;
const LAST_TS = 6;
/** Operating time (s): gaps longer than GAP_STEPS usual steps count as one step (a stopped machine does not wear). */
const CLOCK = 7;
const STEP = 8;
/** 1 once the CUSUM has reached its decision level since its last zero: values then go to the sums after it. */
const DECLARED = 9;
/** Bins written since the ring was last emptied. */
const BIN_COUNT = 10;
/** The values since the drift was declared: their first time, then count and sums as in a bin. */
const AFTER = 11;
/** The metric's level now: an exponential mean over LEVEL_STEPS usual steps of the median of the last 3 values. */
const LEVEL = 17;
/** The side the limit lies on, from the first value: 1 above, -1 below. */
const SIDE = 18;
/** 1 while the level is past the limit: from reaching it until it is back by LEVEL_BACK spreads. */
const PAST = 19;
/** The value before the last one (the median's third). */
const BEFORE_LAST = 20;
/** A ring of bins: first value's time t0, count, sums of (t - t0), y, (t - t0)^2, (t - t0) * y (y unlagged). */
const RING = 21;
const BIN = 6;
const SIZE = RING + BIN * BINS;
const GAP_STEPS = 3;

/** The smallest baseline spread, relative to the level, so that a flat healthy signal does not divide by 0. */
const MIN_SPREAD = 1e-6;
/** The largest autocorrelation believed (f = 39): beyond it a series is a trend, not noise. */
const MAX_RHO = 0.95;
/** Independent values' time the baseline learns before the CUSUM counts. */
const WARMUP_VALUES = 10;
/** Usual steps the level averages over: a noisy value alone is not the metric past its limit. */
const LEVEL_STEPS = 5;
/** A median moves the level by at most this many spreads: two glitches in a row are not the metric past its limit. */
const LEVEL_CLIP = 20;
/** Spreads the level must come back from the limit: a level hovering at it does not flap. */
const LEVEL_BACK = 3;

export interface Remaining {
  /** Seconds until the limit is reached (0: at or past it), Infinity when no drift toward it is under way. */
  seconds: number;
  /** The fitted value now and its slope per second (NaN when no drift). */
  value: number;
  slope: number;
}

export const NO_DRIFT: Remaining = { seconds: Infinity, value: NaN, slope: NaN };

/** How much likelier than the best step the best ramp must make the values (strong evidence: 20 to 1). */
const RAMP_EVIDENCE = 20;

/** Each onset's fit (fall, slope, value now): at most BINS, reused (single-threaded). */
const fitScratch = new Float64Array(3 * BINS);

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

  /**
   * Learns `value` (seasonal offset already removed) at `ts` (ms) and tells the remaining life: none left once
   * the metric's level is at or past the limit, whether a drift was told or not. A watch started while a machine
   * is already degrading (a deploy, a restart) learns part of the ramp as healthy and may tell no drift at all.
   */
  update(state: Float64Array, ts: number, value: number): Remaining {
    const remaining = this.track(state, ts, value);
    return state[PAST] === 1 ? { seconds: 0, value: state[LEVEL]!, slope: NaN } : remaining;
  }

  private track(state: Float64Array, ts: number, value: number): Remaining {
    const samples = state[SAMPLES]! + 1;
    state[SAMPLES] = samples;
    const dt = samples > 1 && ts > state[LAST_TS]! ? (ts - state[LAST_TS]!) / 1000 : 0;
    // Back in time is no time passing, and the clock follows (see SeasonalModel.update).
    state[LAST_TS] = ts;
    if (dt > 0) {
      const step = state[STEP]! > 0 ? state[STEP]! : dt;
      state[CLOCK] = state[CLOCK]! + (dt > GAP_STEPS * step ? step : dt);
      state[STEP] = step + 0.05 * ((dt > GAP_STEPS * step ? step : dt) - step);
    }
    const clock = state[CLOCK]!;
    const mean = state[MEAN]!;
    const previous = state[LAST_VALUE]!;
    const beforeLast = state[BEFORE_LAST]!;
    state[BEFORE_LAST] = previous;
    state[LAST_VALUE] = value;
    if (samples === 1) {
      state[MEAN] = value;
      state[LEVEL] = value;
      // The limit's side is fixed: a baseline that learned its way past the limit must not turn wear around.
      state[SIDE] = this.options.limit >= value ? 1 : -1;
      return NO_DRIFT;
    }
    const variance = state[VARIANCE]!;
    const sd = Math.max(Math.sqrt(variance), Math.abs(mean) * MIN_SPREAD, 1e-12);
    const rho = this.autocorrelation(state);
    const f = (1 + rho) / (1 - rho);
    // An independent value's time: the width of a bin and the unit of the warm-ups.
    const independentS = f * Math.max(state[STEP]!, Number.MIN_VALUE);
    // The level's unit: the baseline's spread, or for a (nearly) flat signal 1% of its way to the limit.
    const spread = Math.max(sd, 0.01 * Math.abs(this.options.limit - mean));
    // One glitch is not the metric past its limit: the median of the last 3 values drops it, and a step shows one
    // value late.
    const median = samples < 3 ? value : medianOf3(value, previous, beforeLast);
    const level = state[LEVEL]!;
    const toward = Math.min(LEVEL_CLIP * spread, Math.max(-LEVEL_CLIP * spread, median - level));
    state[LEVEL] = level + (1 - Math.exp(-dt / (LEVEL_STEPS * Math.max(state[STEP]!, dt)))) * toward;
    // How far the level is on the limit's side of it (reached at 0 and more), in spreads.
    const beyond = (state[SIDE]! * (state[LEVEL]! - this.options.limit)) / spread;
    if (beyond >= 0) state[PAST] = 1;
    else if (beyond < -LEVEL_BACK) state[PAST] = 0;
    const warm = clock >= WARMUP_VALUES * independentS;
    const up = state[SIDE]! > 0;
    // Clipped as the baseline learns (below): one junk value adds a bounded step, which the slack then takes back.
    const z = warm ? clipDeviation(up ? value - mean : mean - value, sd) / sd : 0;
    // The scale past which a value is junk, not wear: its 20-fold is learned and fitted at most (clipDeviation).
    const junkScale = Math.max(learnedScale(variance, mean), Math.abs(this.options.limit - mean));
    const cusum = Math.max(0, state[CUSUM]! + (z - this.options.slack) / f);
    state[CUSUM] = cusum;
    // Values past the limit are not healthy: the baseline does not learn them.
    if (cusum < this.options.decision && state[PAST] === 0) {
      // No drift declared: the baseline learns (a biased start must not freeze it).
      const rate = Math.min(
        1,
        Math.max(1 / samples, 1 - Math.exp(-Math.max(dt, 1) / this.options.baselineS)),
      );
      const diff = clipDeviation(value - mean, junkScale);
      state[MEAN] = mean + rate * diff;
      state[VARIANCE] = (1 - rate) * (variance + rate * diff * diff);
      if (samples > 2) state[COVARIANCE] = (1 - rate) * state[COVARIANCE]! + rate * diff * (previous - mean);
    }
    if (cusum === 0 && state[DECLARED] === 1) {
      // A declared drift ended: its values leave the onset search, which starts afresh.
      state[DECLARED] = 0;
      state[BIN_COUNT] = 0;
    }
    if (state[DECLARED] === 0 && cusum >= this.options.decision) {
      state[DECLARED] = 1;
      state[AFTER + 1] = 0;
    }
    const unlagged = mean + clipDeviation((value - rho * previous) / (1 - rho) - mean, junkScale);
    if (state[DECLARED] === 0) {
      const count = state[BIN_COUNT]!;
      let at = RING + BIN * ((count - 1) % BINS);
      if (count === 0 || clock - state[at]! >= independentS) {
        at = RING + BIN * (count % BINS);
        state[BIN_COUNT] = count + 1;
        state.fill(0, at, at + BIN);
        state[at] = clock;
      }
      addValue(state, at, clock, unlagged);
      return NO_DRIFT;
    }
    if (state[AFTER + 1] === 0) {
      state.fill(0, AFTER, AFTER + BIN);
      state[AFTER] = clock;
    }
    addValue(state, AFTER, clock, unlagged);
    if (cusum < this.options.decision) return NO_DRIFT;
    return this.remaining(state, clock, f);
  }

  /** The healthy values' lag-1 autocorrelation rho. */
  private autocorrelation(state: Float64Array): number {
    const variance = state[VARIANCE]!;
    return variance > 0 ? Math.min(MAX_RHO, Math.max(0, state[COVARIANCE]! / variance)) : 0;
  }

  /**
   * The hinge fit: for an onset t0, the ramp's slope is B / A with A = sum (t - t0)^2 and B = sum (t - t0)(y -
   * baseline) over the unlagged values y after t0, and the squared error around the baseline falls by B^2 / A. The onsets
   * with a slope toward the limit are averaged, each weighted by its likelihood (picking the best one alone
   * chased the noise). The sums, with t relative to now (small numbers, no cancellation on a long-running clock),
   * grow by one bin per onset going back.
   */
  private remaining(state: Float64Array, now: number, f: number): Remaining {
    const baseline = state[MEAN]!;
    const up = state[SIDE]! > 0;
    let n = 0;
    let st = 0;
    let sy = 0;
    let stt = 0;
    let sty = 0;
    const add = (at: number) => {
      const shift = state[at]! - now;
      const count = state[at + 1]!;
      const s1 = state[at + 2]!;
      const y = state[at + 3]!;
      n += count;
      st += s1 + count * shift;
      sy += y;
      stt += state[at + 4]! + 2 * shift * s1 + count * shift * shift;
      sty += state[at + 5]! + shift * y;
    };
    add(AFTER);
    // The step's onsets: where the drift was declared (a step rarely starts on a bin's start), and every bin's.
    let stepFall = (sy - baseline * n) ** 2 / n;
    const count = state[BIN_COUNT]!;
    let fits = 0;
    let best = -Infinity;
    let rampFall = 0;
    // Each onset weighs as likely as its fit under the unlagged values' independent noise, the variance of a value
    // times f, with the slope integrated out: exp(fall / 2 variance) / sqrt(A), or its log times 2 variance, kept
    // as the fit's score.
    const variance = Math.max(state[VARIANCE]! * f, Number.MIN_VALUE);
    for (let k = 1; k <= Math.min(count, BINS); k++) {
      const at = RING + BIN * ((count - k) % BINS);
      add(at);
      const t0 = state[at]! - now;
      const a = stt - 2 * t0 * st + t0 * t0 * n;
      const b = sty - t0 * sy - baseline * st + baseline * t0 * n;
      stepFall = Math.max(stepFall, (sy - baseline * n) ** 2 / n);
      if (!(a > 0) || b === 0 || b > 0 !== up) continue;
      const fall = (b * b) / a;
      rampFall = Math.max(rampFall, fall);
      const score = fall - variance * Math.log(a);
      fitScratch[3 * fits] = score;
      fitScratch[3 * fits + 1] = b / a;
      fitScratch[3 * fits + 2] = baseline + (b / a) * -t0;
      fits++;
      if (score > best) best = score;
    }
    // A step (the baseline, then one new level from an onset: a load change, another product after a stop) has one
    // free number as the ramp has. Only a ramp that explains the values at least RAMP_EVIDENCE times as likely as
    // the best step is wear; a step, or values that cannot yet tell the two apart, warn of nothing (a ramp fitted to
    // a step falls steeply and would warn of minutes left).
    if (fits === 0 || rampFall - stepFall < 2 * variance * Math.log(RAMP_EVIDENCE)) return NO_DRIFT;
    let weights = 0;
    let slope = 0;
    let value = 0;
    for (let i = 0; i < fits; i++) {
      const w = Math.exp((fitScratch[3 * i]! - best) / (2 * variance));
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

function medianOf3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** Adds (t, y) to the bin at `at` (its t0 set). */
function addValue(state: Float64Array, at: number, t: number, y: number): void {
  const d = t - state[at]!;
  state[at + 1] = state[at + 1]! + 1;
  state[at + 2] = state[at + 2]! + d;
  state[at + 3] = state[at + 3]! + y;
  state[at + 4] = state[at + 4]! + d * d;
  state[at + 5] = state[at + 5]! + d * y;
}

// Holt-Winters (additive level, trend and season) per series, in continuous time: the season is a ring of
// time-of-season slots (so gaps and uneven sampling land in the right slot), smoothing is set in seconds, and
// the trend is per second. State: one Float64Array of 8 + slots numbers.
import { clipDeviation } from '../detectors/detector.js';

export interface SeasonalOptions {
  /** Length of the season in seconds (86,400 for a daily pattern, 28,800 for 8-hour shifts). */
  seasonS: number;
  /** Slots the season is cut into (each learns its own offset). */
  slots: number;
  /** Time constant of the level, seconds. */
  levelS: number;
  /** Time constant of the trend, seconds. */
  trendS: number;
  /** Seasons over which a slot's offset forgets (its memory). */
  seasonMemory: number;
}

export const SEASONAL_DEFAULTS: SeasonalOptions = {
  seasonS: 86_400,
  slots: 288,
  levelS: 3_600,
  trendS: 7 * 86_400,
  seasonMemory: 4,
};

// state layout
const SAMPLES = 0;
const LAST_TS = 1;
const LEVEL = 2;
const TREND = 3;
/** Running mean square of the one-step errors. */
const ERROR_SQUARE = 4;
/** Running mean of the time between samples (seconds). */
const STEP_S = 5;
const FIRST_TS = 6;
/**
 * Added to every stored slot offset. Each slot update moves all offsets by minus its change / slots and the level
 * by plus it: the offsets keep a mean of 0, so level and season cannot drift apart (a neutral mode of
 * Holt-Winters that otherwise biases forecasts), at O(1) per update.
 */
const SHIFT = 7;
const HEADER = 8;
/** A slot's offset takes its first visits in full (average of them), then the slow rate. */
const SLOT_VISITS = HEADER;
/** How many times the second value's size a first value must be to be taken for junk. */
const FIRST_JUNK_RATIO = 1e6;

export interface Forecast {
  /** The predicted value. */
  value: number;
  /** Standard deviation of the prediction's error. */
  sd: number;
}

export class SeasonalModel {
  readonly bytesPerSeries: number;
  private readonly slotS: number;

  constructor(readonly options: SeasonalOptions = SEASONAL_DEFAULTS) {
    const { seasonS, slots, levelS, trendS, seasonMemory } = options;
    if (!(seasonS > 0)) throw new RangeError('the season must be longer than 0 s');
    if (!(Number.isInteger(slots) && slots >= 1 && slots <= 10_000))
      throw new RangeError('slots must be a whole number from 1 to 10,000');
    if (!(levelS > 0 && trendS > 0 && seasonMemory > 0))
      throw new RangeError('time constants must be greater than 0');
    this.slotS = seasonS / slots;
    this.bytesPerSeries = 8 * (HEADER + 2 * slots) + 64;
  }

  create(): Float64Array {
    return new Float64Array(HEADER + 2 * this.options.slots);
  }

  private slot(ts: number): number {
    const s = Math.floor((ts / 1000 / this.slotS) % this.options.slots);
    return s < 0 ? s + this.options.slots : s;
  }

  /**
   * Learns `value` at `ts` (ms). A timestamp not after the last one counts as no time passing, and the clock
   * follows it back: one point stamped far ahead (a wrong clock) must not stop the series' time until then.
   */
  update(state: Float64Array, ts: number, value: number): void {
    const { slots, levelS, trendS, seasonMemory } = this.options;
    let samples = state[SAMPLES]!;
    // A first value a million times the second's size is junk (a PLC's 3.4e38 before it is ready): the level
    // holds the first value through the first season, so it would be the forecast until then. Start from this one.
    if (samples === 1 && Math.abs(state[LEVEL]!) > FIRST_JUNK_RATIO * Math.max(Math.abs(value), 1)) {
      state.fill(0);
      samples = 0;
    }
    state[SAMPLES] = samples + 1;
    const slot = HEADER + slots + this.slot(ts);
    const visits = state[SLOT_VISITS + this.slot(ts)]!;
    if (samples === 0) {
      state[LEVEL] = value;
      state[LAST_TS] = state[FIRST_TS] = ts;
      state[SLOT_VISITS + this.slot(ts)] = 1;
      return;
    }
    const seasonMs = this.options.seasonS * 1000;
    const learning = ts - state[FIRST_TS]! < seasonMs;
    if (!learning && state[LAST_TS]! - state[FIRST_TS]! < seasonMs) this.centre(state);
    const dt = ts > state[LAST_TS]! ? (ts - state[LAST_TS]!) / 1000 : 0;
    state[LAST_TS] = ts;
    const step = samples === 1 ? dt : state[STEP_S]! + 0.05 * (dt - state[STEP_S]!);
    state[STEP_S] = step;
    const level = state[LEVEL]!;
    const trend = state[TREND]!;
    const season = visits > 0 ? state[slot]! + state[SHIFT]! : 0;
    const expected = level + trend * dt + season;
    const error = clipDeviation(value - expected, learnedScale(state[ERROR_SQUARE]!, expected));
    // Rates from time constants: a sample worth dt seconds; at least the mean step so repeats still learn.
    const seconds = dt > 0 ? dt : step > 0 ? step : 1;
    // Through the first season the level stays at the first value and each slot averages its values' distance
    // from it: the slots learn the whole seasonal shape instead of the level chasing it (see centre()).
    const alpha = learning ? 0 : 1 - Math.exp(-seconds / levelS);
    const beta = 1 - Math.exp(-seconds / trendS);
    const newLevel = level + trend * dt + alpha * error;
    state[LEVEL] = newLevel;
    if (dt > 0 && !learning) state[TREND] = trend + beta * ((newLevel - level) / dt - trend);
    // A slot is visited about slotS / step times a season: it forgets over seasonMemory seasons.
    const perSeason = Math.max(1, this.slotS / (step > 0 ? step : 1));
    const gamma = Math.max(1 / (visits + 1), 1 / (seasonMemory * perSeason));
    const change = gamma * error;
    if (learning) state[slot] = season + change - state[SHIFT]!;
    else {
      const spread = change / slots;
      state[SHIFT] = state[SHIFT]! - spread;
      state[LEVEL] = newLevel + spread;
      state[slot] = season + change - state[SHIFT]!;
    }
    state[SLOT_VISITS + this.slot(ts)] = visits + 1;
    if (samples > 1)
      state[ERROR_SQUARE] = state[ERROR_SQUARE]! + 0.01 * (error * error - state[ERROR_SQUARE]!);
    else state[ERROR_SQUARE] = error * error;
  }

  /** After the first season: the slots' mean moves into the level, so the offsets average 0. */
  private centre(state: Float64Array): void {
    const slots = this.options.slots;
    let sum = 0;
    let seen = 0;
    for (let s = 0; s < slots; s++) {
      if (state[SLOT_VISITS + s]! === 0) continue;
      sum += state[HEADER + slots + s]!;
      seen++;
    }
    const mean = seen > 0 ? sum / seen + state[SHIFT]! : 0;
    state[SHIFT] = state[SHIFT]! - mean;
    state[LEVEL] = state[LEVEL]! + mean;
  }

  /** Samples learned. */
  samples(state: Float64Array): number {
    return state[SAMPLES]!;
  }

  /**
   * The learned seasonal offset at `ts`: 0 until a whole season has been seen (a slot's first visits hold
   * whatever the level did then, a drift included) and for a slot not seen yet.
   */
  seasonalOffset(state: Float64Array, ts: number): number {
    if (state[LAST_TS]! - state[FIRST_TS]! < this.options.seasonS * 1000) return 0;
    const slot = this.slot(ts);
    return state[SLOT_VISITS + slot]! > 0 ? state[HEADER + this.options.slots + slot]! + state[SHIFT]! : 0;
  }

  /** The value expected `aheadS` seconds after the last sample, with its error's standard deviation. */
  forecast(state: Float64Array, aheadS: number): Forecast {
    const season = this.seasonalOffset(state, state[LAST_TS]! + aheadS * 1000);
    const value = state[LEVEL]! + state[TREND]! * aheadS + season;
    // ETS(A,A,A) variance: sigma^2 (1 + sum_{j<k} (alpha (1 + j beta))^2), k steps ahead, in closed form.
    const step = state[STEP_S]! > 0 ? state[STEP_S]! : 1;
    const k = Math.max(1, aheadS / step);
    const alpha = 1 - Math.exp(-step / this.options.levelS);
    const beta = 1 - Math.exp(-step / this.options.trendS);
    const n = k - 1;
    const s1 = (n * (n + 1)) / 2;
    const s2 = (n * (n + 1) * (2 * n + 1)) / 6;
    const growth = 1 + alpha * alpha * (n + 2 * beta * s1 + beta * beta * s2);
    return { value, sd: Math.sqrt(state[ERROR_SQUARE]! * growth) };
  }
}

/**
 * The scale an error is learned clipped to 20 times of (clipDeviation, as the detectors learn): its usual size, or
 * the value's own size. A junk value (a PLC's 3.4e38, a 1e160) then moves the model by a bounded step instead of
 * filling its slots and intervals for days, or overflowing them to NaN; a real change, however sudden, is within it.
 */
export function learnedScale(meanSquare: number, expected: number): number {
  return Math.max(Math.sqrt(meanSquare), Math.abs(expected), 1);
}

// One signal's value levels and level transitions with fading counts: how probable a value is in the signal's
// own history, strictly streaming. The rarity detector keeps one table for the raw values and one for their short
// moving mean.

/** Values collected before the range is set and the counts start. */
export const FIRST_VALUES = 32;

// layout of a table inside a detector's state, from its offset
const LOW = 0;
const HIGH = 1;
const PREVIOUS = 2;
/** The weight the next count gets (grows to fade older counts without touching them). */
const WEIGHT = 3;
/** Sum of every level count (in weights). */
const TOTAL = 4;
const FIELDS = 5;

/** Room added beyond a new extreme, as a share of the new range (fewer re-binnings on trends). */
const MARGIN = 0.1;
/** The range grows by at most this many times its width at one value: one glitch cannot swallow every bin. */
const MAX_GROWTH = 2;
/** Counts are rescaled when the weight passes this (keeps every number finite). */
const RESCALE_AT = 1e100;

/** Shared scratch for re-binning (single-threaded: one re-binning at a time). */
let scratch = new Float64Array(0);

export interface LevelTableOptions {
  /** Value levels: the range seen so far is cut into this many bins. */
  bins: number;
  /** Samples over which counts fade to half. */
  halfLife: number;
  /** Weight of the level distribution in a transition's probability (back-off to levels). */
  backoff: number;
  /** A value beyond the range seen by more than this share of the range is a new extreme. */
  tolerance: number;
}

/**
 * The range seen so far is cut into `bins` levels; the table counts how often each level occurs and how often
 * each level follows each other level (fading counts, half-life `halfLife` samples). A value's probability is
 * that of its transition from the previous level, backed off to the level's own frequency. A value beyond the
 * range by more than `tolerance` of it (a level never reached before) is a new extreme. Numbers in the state:
 * 5 + bins + bins^2; O(1) per value, O(bins^2) when a new extreme widens the range.
 */
export class LevelTable {
  readonly size: number;
  private readonly bins: number;
  private readonly fade: number;
  private readonly backoff: number;
  private readonly tolerance: number;

  constructor(options: LevelTableOptions) {
    this.bins = options.bins;
    this.fade = Math.pow(2, 1 / options.halfLife);
    this.backoff = options.backoff;
    this.tolerance = options.tolerance;
    this.size = FIELDS + this.bins + this.bins * this.bins;
  }

  /** Keeps the `index`-th of the first values (the transition counts are still empty: they hold them). */
  collect(state: Float64Array, at: number, index: number, value: number): void {
    state[at + FIELDS + this.bins + index] = value;
  }

  /** Sets the range from the FIRST_VALUES collected values and counts them. */
  start(state: Float64Array, at: number): void {
    const transitions = at + FIELDS + this.bins;
    const first = Array.from(state.subarray(transitions, transitions + FIRST_VALUES));
    let low = Infinity;
    let high = -Infinity;
    for (const v of first) {
      if (v < low) low = v;
      if (v > high) high = v;
    }
    state.fill(0, transitions, at + this.size);
    const span = high - low;
    const pad = span > 0 ? span * MARGIN : Math.max(Math.abs(low) * 1e-3, 1e-9);
    state[at + LOW] = Math.max(low - pad, -Number.MAX_VALUE / 4);
    state[at + HIGH] = Math.min(high + pad, Number.MAX_VALUE / 4);
    state[at + PREVIOUS] = -1;
    state[at + WEIGHT] = 1;
    for (const v of first) this.learn(state, at, this.binOf(state, at, v));
  }

  /** -ln p of `value` after the previous one (Infinity for a new extreme), then learns it. */
  surprise(state: Float64Array, at: number, value: number): number {
    const bins = this.bins;
    let low = state[at + LOW]!;
    let high = state[at + HIGH]!;
    const span = high - low;
    let extreme = false;
    if (value < low || value > high) {
      const beyond = value < low ? low - value : value - high;
      extreme = beyond > this.tolerance * span;
      // Widen the range (at most MAX_GROWTH spans at once) with a margin, and re-bin the counts.
      const reach = Math.min(beyond, MAX_GROWTH * span);
      const grown = span + reach;
      if (value < low) low = Math.max(low - reach - MARGIN * grown, -Number.MAX_VALUE / 4);
      else high = Math.min(high + reach + MARGIN * grown, Number.MAX_VALUE / 4);
      this.rebin(state, at, low, high);
    }
    const bin = this.binOf(state, at, value);
    const levels = at + FIELDS;
    const weight = state[at + WEIGHT]!;
    // Counts are in units of `weight` (the newest count's weight); probabilities are ratios, so no rescaling.
    const level = (state[levels + bin]! + weight) / (state[at + TOTAL]! + bins * weight);
    const previous = state[at + PREVIOUS]!;
    let p = level;
    if (previous >= 0) {
      const row = levels + bins + previous * bins;
      const b = this.backoff * weight;
      p = (state[row + bin]! + b * level) / (state[levels + previous]! + b);
    }
    this.learn(state, at, bin);
    return extreme ? Infinity : -Math.log(p);
  }

  /** `value` within `reach` times the range's width beyond the range seen so far. */
  clamp(state: Float64Array, at: number, value: number, reach: number): number {
    const span = state[at + HIGH]! - state[at + LOW]!;
    const low = state[at + LOW]! - reach * span;
    const high = state[at + HIGH]! + reach * span;
    return value < low ? low : value > high ? high : value;
  }

  private binOf(state: Float64Array, at: number, value: number): number {
    const low = state[at + LOW]!;
    const bin = Math.floor(((value - low) / (state[at + HIGH]! - low)) * this.bins);
    return bin < 0 ? 0 : bin >= this.bins ? this.bins - 1 : bin;
  }

  /** Counts `bin` as a level and as the transition from the previous level, with the current weight. */
  private learn(state: Float64Array, at: number, bin: number): void {
    const bins = this.bins;
    let weight = state[at + WEIGHT]!;
    const previous = state[at + PREVIOUS]!;
    const levels = at + FIELDS;
    state[levels + bin] = state[levels + bin]! + weight;
    state[at + TOTAL] = state[at + TOTAL]! + weight;
    if (previous >= 0) {
      const cell = levels + bins + previous * bins + bin;
      state[cell] = state[cell]! + weight;
    }
    state[at + PREVIOUS] = bin;
    weight *= this.fade;
    if (weight > RESCALE_AT) {
      for (let i = levels; i < at + this.size; i++) state[i] = state[i]! / weight;
      state[at + TOTAL] = state[at + TOTAL]! / weight;
      weight = 1;
    }
    state[at + WEIGHT] = weight;
  }

  /** Moves every count to the bin its old bin's centre falls in under the new range. */
  private rebin(state: Float64Array, at: number, low: number, high: number): void {
    const bins = this.bins;
    const oldLow = state[at + LOW]!;
    const oldWidth = (state[at + HIGH]! - oldLow) / bins;
    state[at + LOW] = low;
    state[at + HIGH] = high;
    const map = new Int32Array(bins);
    for (let i = 0; i < bins; i++) map[i] = this.binOf(state, at, oldLow + (i + 0.5) * oldWidth);
    const size = bins + bins * bins;
    const levels = at + FIELDS;
    if (scratch.length < size) scratch = new Float64Array(size);
    scratch.fill(0, 0, size);
    for (let i = 0; i < bins; i++) {
      const to = map[i]!;
      scratch[to] = scratch[to]! + state[levels + i]!;
      for (let j = 0; j < bins; j++) {
        const cell = bins + to * bins + map[j]!;
        scratch[cell] = scratch[cell]! + state[levels + bins + i * bins + j]!;
      }
    }
    state.set(scratch.subarray(0, size), levels);
    const previous = state[at + PREVIOUS]!;
    if (previous >= 0) state[at + PREVIOUS] = map[previous]!;
  }
}

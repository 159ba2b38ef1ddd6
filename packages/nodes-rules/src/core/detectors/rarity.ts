import type { DetectorOptions, SeriesDetector } from './detector.js';

export interface RarityOptions extends DetectorOptions {
  /** Value levels: the series' range is cut into this many bins. */
  bins?: number;
  /** Samples over which counts fade to half (older levels and transitions weigh less). */
  halfLife?: number;
  /** Weight of the level distribution in a transition's probability (back-off to levels). */
  backoff?: number;
  /** A value beyond the range seen by more than this share of the range is a new extreme. */
  tolerance?: number;
  /** Probability that maps to score 1 (scores are log p / log floor). */
  floor?: number;
  /** After a score of at least `restLevel`, samples during which only a higher score is reported. */
  rest?: number;
  restLevel?: number;
  /** Weight of the recent values' excess surprise (a run of unlikely values); 0 scores values one by one. */
  run?: number;
  /** Values the recent surprise is averaged over (about). */
  runLength?: number;
}

// header layout of the state
const SAMPLES = 0;
const LOW = 1;
const HIGH = 2;
const PREVIOUS = 3;
/** The weight the next count gets (grows to fade older counts without touching them). */
const WEIGHT = 4;
/** Sum of every level count (in weights). */
const TOTAL = 5;
const REST_LEFT = 6;
const REST_SCORE = 7;
/** Surprise (-ln p) averaged over the last runLength values, and over the long run. */
const RECENT = 8;
const USUAL = 9;
const HEADER = 10;

/** Values collected before the range is set and the counts start (scores 0 meanwhile). */
const FIRST_VALUES = 32;
/** Room added beyond a new extreme, as a share of the new range (fewer re-binnings on trends). */
const MARGIN = 0.1;
/** The range grows by at most this many times its width at one value: one glitch cannot swallow every bin. */
const MAX_GROWTH = 2;
/** Counts are rescaled when the weight passes this (keeps every number finite). */
const RESCALE_AT = 1e100;

/** Shared scratch for re-binning (single-threaded: one re-binning at a time). */
let scratch = new Float64Array(0);

/**
 * How improbable a value is in its series' own history, in one calibrated scale: the range seen so far is cut
 * into `bins` value levels; the detector counts how often each level occurs and how often each level follows
 * each other level (fading counts, half-life `halfLife` samples). A value's probability is that of its
 * transition from the previous level, backed off to the level's own frequency; the score is log p / log floor,
 * so one threshold means one probability on every series. A value beyond the range by more than `tolerance`
 * of it (a level never reached before) scores 1. After a score of `restLevel` or more, only a higher score is
 * reported for `rest` samples (one event, one alert). With `run` > 0, a run of unlikely values also scores: the
 * recent mean surprise's excess over the long-run mean, times `run`.
 * State: one Float64Array of 10 + bins + bins^2 numbers (1,392 bytes at the default 12 bins); O(1) per value,
 * O(bins^2) when a new extreme widens the range.
 */
export class RarityDetector implements SeriesDetector<Float64Array> {
  readonly name = 'rarity';
  readonly warmup: number;
  readonly defaultThreshold: number;
  readonly bytesPerSeries: number;
  private readonly bins: number;
  private readonly fade: number;
  private readonly backoff: number;
  private readonly tolerance: number;
  private readonly logFloor: number;
  private readonly rest: number;
  private readonly restLevel: number;
  private readonly run: number;
  private readonly runRate: number;
  private readonly usualRate: number;

  constructor(options: RarityOptions = {}) {
    this.bins = options.bins ?? DEFAULTS.bins;
    const halfLife = options.halfLife ?? DEFAULTS.halfLife;
    this.backoff = options.backoff ?? DEFAULTS.backoff;
    this.tolerance = options.tolerance ?? DEFAULTS.tolerance;
    const floor = options.floor ?? DEFAULTS.floor;
    this.rest = options.rest ?? DEFAULTS.rest;
    this.restLevel = options.restLevel ?? DEFAULTS.restLevel;
    this.run = options.run ?? DEFAULTS.run;
    this.runRate = 1 / (options.runLength ?? DEFAULTS.runLength);
    this.usualRate = 1 / halfLife;
    this.warmup = Math.max(options.warmup ?? DEFAULTS.warmup, FIRST_VALUES);
    this.defaultThreshold = DEFAULTS.threshold;
    // The transition table holds the first FIRST_VALUES values: at least 6 x 6 numbers.
    if (!(Number.isInteger(this.bins) && this.bins >= 6 && this.bins <= 64))
      throw new RangeError('rarity: bins must be a whole number from 6 to 64');
    if (!(halfLife >= 10)) throw new RangeError('rarity: halfLife must be 10 or more');
    if (!(floor > 0 && floor < 1)) throw new RangeError('rarity: floor must lie in (0, 1)');
    if (!(this.tolerance >= 0)) throw new RangeError('rarity: tolerance must be 0 or more');
    this.fade = Math.pow(2, 1 / halfLife);
    this.logFloor = Math.log(floor);
    this.bytesPerSeries = 8 * (HEADER + this.bins + this.bins * this.bins) + 64;
  }

  create(): Float64Array {
    const state = new Float64Array(HEADER + this.bins + this.bins * this.bins);
    state[WEIGHT] = 1;
    return state;
  }

  update(state: Float64Array, value: number): number {
    const samples = state[SAMPLES]! + 1;
    state[SAMPLES] = samples;
    const transitions = HEADER + this.bins;
    if (samples <= FIRST_VALUES) {
      // The transition table is still empty: it holds the first values until the range is known.
      state[transitions + samples - 1] = value;
      if (samples === FIRST_VALUES) this.start(state);
      return 0;
    }
    const score = this.score(state, value);
    return this.rest > 0 ? this.rested(state, score) : score;
  }

  /** Sets the range from the first values and counts them. */
  private start(state: Float64Array): void {
    const transitions = HEADER + this.bins;
    let low = Infinity;
    let high = -Infinity;
    for (let i = 0; i < FIRST_VALUES; i++) {
      const v = state[transitions + i]!;
      if (v < low) low = v;
      if (v > high) high = v;
    }
    const first = Array.from(state.subarray(transitions, transitions + FIRST_VALUES));
    state.fill(0, transitions);
    const span = high - low;
    const pad = span > 0 ? span * MARGIN : Math.max(Math.abs(low) * 1e-3, 1e-9);
    state[LOW] = Math.max(low - pad, -Number.MAX_VALUE / 4);
    state[HIGH] = Math.min(high + pad, Number.MAX_VALUE / 4);
    state[PREVIOUS] = -1;
    for (const v of first) this.learn(state, this.binOf(state, v));
  }

  private binOf(state: Float64Array, value: number): number {
    const low = state[LOW]!;
    const at = Math.floor(((value - low) / (state[HIGH]! - low)) * this.bins);
    return at < 0 ? 0 : at >= this.bins ? this.bins - 1 : at;
  }

  private score(state: Float64Array, value: number): number {
    const bins = this.bins;
    let low = state[LOW]!;
    let high = state[HIGH]!;
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
      this.rebin(state, low, high);
    }
    const bin = this.binOf(state, value);
    const levels = HEADER;
    const transitions = HEADER + bins;
    const weight = state[WEIGHT]!;
    // Counts are in units of `weight` (the newest count's weight); probabilities are ratios, so no rescaling.
    const level = (state[levels + bin]! + weight) / (state[TOTAL]! + bins * weight);
    const previous = state[PREVIOUS]!;
    let p = level;
    if (previous >= 0) {
      const row = transitions + previous * bins;
      const seen = state[levels + previous]!;
      const b = this.backoff * weight;
      p = (state[row + bin]! + b * level) / (seen + b);
    }
    const surprise = -Math.log(p);
    this.learn(state, bin);
    const usual = state[USUAL]! + this.usualRate * (surprise - state[USUAL]!);
    const recent = state[RECENT]! + this.runRate * (surprise - state[RECENT]!);
    state[USUAL] = usual;
    state[RECENT] = recent;
    if (extreme) return 1;
    const excess = this.run * (recent - usual);
    const score = (surprise > excess ? surprise : excess) / -this.logFloor;
    return score <= 0 ? 0 : score >= 1 ? 1 : score;
  }

  /** Counts `bin` as a level and as the transition from the previous level, with the current weight. */
  private learn(state: Float64Array, bin: number): void {
    const bins = this.bins;
    let weight = state[WEIGHT]!;
    const previous = state[PREVIOUS]!;
    state[HEADER + bin] = state[HEADER + bin]! + weight;
    state[TOTAL] = state[TOTAL]! + weight;
    if (previous >= 0) {
      const at = HEADER + bins + previous * bins + bin;
      state[at] = state[at]! + weight;
    }
    state[PREVIOUS] = bin;
    weight *= this.fade;
    if (weight > RESCALE_AT) {
      for (let i = HEADER; i < state.length; i++) state[i] = state[i]! / weight;
      state[TOTAL] = state[TOTAL]! / weight;
      weight = 1;
    }
    state[WEIGHT] = weight;
  }

  /** Moves every count to the bin its old bin's centre falls in under the new range. */
  private rebin(state: Float64Array, low: number, high: number): void {
    const bins = this.bins;
    const oldLow = state[LOW]!;
    const oldWidth = (state[HIGH]! - oldLow) / bins;
    state[LOW] = low;
    state[HIGH] = high;
    const map = new Int32Array(bins);
    for (let i = 0; i < bins; i++) map[i] = this.binOf(state, oldLow + (i + 0.5) * oldWidth);
    const size = bins + bins * bins;
    if (scratch.length < size) scratch = new Float64Array(size);
    scratch.fill(0, 0, size);
    for (let i = 0; i < bins; i++) {
      const to = map[i]!;
      scratch[to] = scratch[to]! + state[HEADER + i]!;
      for (let j = 0; j < bins; j++) {
        const at = bins + to * bins + map[j]!;
        scratch[at] = scratch[at]! + state[HEADER + bins + i * bins + j]!;
      }
    }
    state.set(scratch.subarray(0, size), HEADER);
    const previous = state[PREVIOUS]!;
    if (previous >= 0) state[PREVIOUS] = map[previous]!;
  }

  /** Within `rest` samples of a score of restLevel or more, only a higher score is reported (others as 0). */
  private rested(state: Float64Array, score: number): number {
    const left = state[REST_LEFT]!;
    if (left > 0) {
      state[REST_LEFT] = left - 1;
      if (score <= state[REST_SCORE]!) return 0;
    }
    if (score >= this.restLevel) {
      state[REST_LEFT] = this.rest;
      state[REST_SCORE] = score;
    }
    return score;
  }
}

/**
 * The parameters and threshold chosen on the whole NAB development set (the grid in scripts/nab.mjs); what they
 * score on categories they were not chosen on is in the README's NAB section.
 */
export const DEFAULTS = {
  bins: 12,
  halfLife: 1000,
  backoff: 64,
  tolerance: 0.05,
  floor: 1e-6,
  rest: 100,
  restLevel: 0.5,
  run: 0,
  runLength: 10,
  warmup: 150,
  threshold: 0.49,
};

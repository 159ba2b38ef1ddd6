import {
  clipDeviation,
  learnMoments,
  spreadOf,
  type DetectorOptions,
  type SeriesDetector,
} from './detector.js';
import { likelihood, likelihoodState, type LikelihoodOptions } from './likelihood.js';

export interface EnsembleOptions extends DetectorOptions {
  /** Past values kept per series, searched for the nearest neighbour of the latest shape. */
  history?: number;
  /** Length of the shape (subsequence) compared. */
  shape?: number;
  /** After a score, samples during which only a higher score is reported (one alert per event). */
  holdoff?: number;
}

export interface EnsembleState {
  /** The last `history` values, a ring ending at `head - 1`. */
  values: Float64Array;
  /** Running statistics, see the index constants below. */
  stats: Float64Array;
  discordLikelihood: Float64Array;
  levelLikelihood: Float64Array;
}

// stats layout (each mean sits just before its variance, as learnMoments keeps them)
const SAMPLES = 0;
const HEAD = 1;
const VALUE_MEAN = 2;
const VALUE_VARIANCE = 3;
const DISTANCE_MEAN = 4;
const DISTANCE_VARIANCE = 5;
const DISTANCE_COUNT = 6;
const LEVEL_MEAN = 7;
const LEVEL_VARIANCE = 8;
const HELD = 9;
const HELD_AGE = 10;
const STATS = 11;

/** Spread of the values (for scaling distances): slow, about 100 samples. */
const SPREAD_ALPHA = 0.01;
/** Distance statistics: about 1,000 samples. */
const DISTANCE_ALPHA = 0.001;
/** The fast level model of the second member: about 10 samples. */
const LEVEL_ALPHA = 0.1;
/** Raw scores are z-scores capped here and scaled into [0, 1]. */
const DISCORD_Z_CAP = 6;
const LEVEL_Z_CAP = 10;
/** How much higher (in log10 p / 10) a score must be to be reported again within the hold-off. */
const HOLDOFF_MARGIN = 0.1;
const LIKELIHOOD: LikelihoodOptions = { shortWindow: 5, alpha: 0.0005, learning: 300 };

/**
 * The strong detector: an ensemble of two raw detectors, each turned into NAB's anomaly likelihood, then
 * combined by max with a hold-off so that one event raises one alert (scores held off are reported as 0).
 * - Discord: the distance from the latest `shape` values to their nearest neighbour among all earlier shapes
 *   in the last `history` values (a streaming matrix-profile discord, early abandoning); periodic and repeated
 *   patterns find a close neighbour, a new shape does not. The distance is scaled by the series' spread and
 *   compared, as a z-score, with the distances seen so far.
 * - Level: the distance of the value from a fast EWMA, in EWMA standard deviations (spikes, steps).
 * Running statistics learn deviations clipped to 20 spreads, and the history keeps values clipped the same way
 * (see clipDeviation): one glitch cannot blind the series.
 * Memory per series: `history` values plus about 30 numbers; time per update O(history * shape) at worst.
 */
export class EnsembleDetector implements SeriesDetector<EnsembleState> {
  readonly name = 'ensemble';
  readonly warmup: number;
  /** Near the best NAB threshold of every profile (0.67); white noise stays below 0.5. */
  readonly defaultThreshold = 0.6;
  readonly bytesPerSeries: number;
  private readonly history: number;
  private readonly shape: number;
  private readonly holdoff: number;

  constructor(options: EnsembleOptions = {}) {
    this.history = options.history ?? 1000;
    this.shape = options.shape ?? 16;
    this.holdoff = options.holdoff ?? 100;
    this.warmup = Math.max(options.warmup ?? 0, LIKELIHOOD.learning);
    if (!(Number.isInteger(this.shape) && this.shape >= 2))
      throw new RangeError('ensemble: shape must be an integer of 2 or more');
    if (!(Number.isInteger(this.history) && this.history >= 4 * this.shape))
      throw new RangeError('ensemble: history must be an integer of at least 4 shapes');
    this.bytesPerSeries = 8 * (this.history + STATS + 2 * (5 + LIKELIHOOD.shortWindow)) + 400;
  }

  create(): EnsembleState {
    return {
      values: new Float64Array(this.history),
      stats: new Float64Array(STATS),
      discordLikelihood: likelihoodState(LIKELIHOOD),
      levelLikelihood: likelihoodState(LIKELIHOOD),
    };
  }

  update(state: EnsembleState, value: number): number {
    const stats = state.stats;
    const samples = stats[SAMPLES]! + 1;
    stats[SAMPLES] = samples;
    const level = this.levelScore(stats, value, samples);
    const discord = this.discordScore(state, value, samples);
    const a = likelihood(state.discordLikelihood, discord, LIKELIHOOD);
    const b = likelihood(state.levelLikelihood, level, LIKELIHOOD);
    const score = a > b ? a : b;
    // Hold-off: within `holdoff` samples of the last score reported, only a clearly higher one is reported (by
    // HOLDOFF_MARGIN: ten times less probable), so a rising likelihood is one alert, not one per step.
    const held = stats[HELD]!;
    if (score > held) {
      stats[HELD] = score + HOLDOFF_MARGIN;
      stats[HELD_AGE] = 0;
      return score;
    }
    const age = stats[HELD_AGE]! + 1;
    if (age > this.holdoff) {
      stats[HELD] = 0;
      stats[HELD_AGE] = 0;
    } else {
      stats[HELD_AGE] = age;
    }
    return 0;
  }

  private levelScore(stats: Float64Array, value: number, samples: number): number {
    if (samples === 1) {
      stats[LEVEL_MEAN] = value;
      return 0;
    }
    const diff = value - stats[LEVEL_MEAN]!;
    const scale = spreadOf(stats[LEVEL_MEAN]!, stats[LEVEL_VARIANCE]!);
    const z = Math.abs(diff) / scale;
    // Statistics learn deviations clipped (the first one as is), so one glitch cannot blind the series.
    learnMoments(stats, LEVEL_MEAN, clipDeviation(diff, samples === 2 ? Infinity : scale), LEVEL_ALPHA);
    return (z < LEVEL_Z_CAP ? z : LEVEL_Z_CAP) / LEVEL_Z_CAP;
  }

  private discordScore(state: EnsembleState, value: number, samples: number): number {
    const { values, stats } = state;
    const size = this.history;
    const k = this.shape;
    // The value joins the history first: the latest shape ends with it, and is compared with older shapes only.
    // It is kept clipped like the statistics' deviations, so a glitch does not dominate the distances it is in.
    const last = stats[HEAD]!;
    let kept = value;
    if (samples === 1) stats[VALUE_MEAN] = value;
    else {
      const rate = samples * SPREAD_ALPHA < 1 ? 1 / samples : SPREAD_ALPHA;
      const mean = stats[VALUE_MEAN]!;
      const raw = value - mean;
      const diff = clipDeviation(raw, samples === 2 ? Infinity : spreadOf(mean, stats[VALUE_VARIANCE]!));
      if (diff !== raw) kept = mean + diff;
      learnMoments(stats, VALUE_MEAN, diff, rate);
    }
    values[last] = kept;
    stats[HEAD] = last + 1 === size ? 0 : last + 1;
    const have = samples < size ? samples : size;
    if (have < 2 * k + 10) return 0;
    const scale = spreadOf(stats[VALUE_MEAN]!, stats[VALUE_VARIANCE]!);
    const inverse = 1 / (scale * scale);
    let best = Infinity;
    for (let back = k; back <= have - k; back++) {
      let sum = 0;
      let i = last;
      let j = last - back;
      if (j < 0) j += size;
      for (let q = 0; q < k; q++) {
        const e = values[i]! - values[j]!;
        sum += e * e * inverse;
        if (sum >= best) break;
        if (--i < 0) i += size;
        if (--j < 0) j += size;
      }
      if (sum < best) best = sum;
    }
    const distance = Math.sqrt(best / k);
    const count = stats[DISTANCE_COUNT]! + 1;
    stats[DISTANCE_COUNT] = count;
    const distanceMean = stats[DISTANCE_MEAN]!;
    const distanceVariance = stats[DISTANCE_VARIANCE]!;
    const z = distanceVariance > 0 ? (distance - distanceMean) / Math.sqrt(distanceVariance) : 0;
    const rate = count * DISTANCE_ALPHA < 1 ? 1 / count : DISTANCE_ALPHA;
    // The first distance sets the mean (rate 1), the second the spread; later ones are learned clipped.
    const diff = clipDeviation(
      distance - distanceMean,
      count <= 2 ? Infinity : spreadOf(distanceMean, distanceVariance),
    );
    learnMoments(stats, DISTANCE_MEAN, diff, rate);
    return z <= 0 ? 0 : (z < DISCORD_Z_CAP ? z : DISCORD_Z_CAP) / DISCORD_Z_CAP;
  }
}

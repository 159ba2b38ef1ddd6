import {
  clipDeviation,
  deviationScore,
  learnMoments,
  spreadOf,
  type DetectorOptions,
  type SeriesDetector,
} from './detector.js';

export interface EwmaOptions extends DetectorOptions {
  /** Smoothing factor of the mean and variance (0 < alpha < 1); about 2/alpha samples of memory. */
  alpha?: number;
  /** The z-score that maps to 0.5. */
  z0?: number;
}

// [mean, variance, samples]: the moments first, as learnMoments keeps them
const MEAN = 0;
const VARIANCE = 1;
const SAMPLES = 2;

/**
 * EWMA z-score: an exponentially weighted mean and variance (West's incremental form); the score is the
 * distance of the new value from the mean, in standard deviations; the mean and variance learn the deviation
 * clipped to 20 standard deviations. O(1) time and 24 bytes of state per series.
 * It catches spikes and steps; a steady ramp it follows (the variance absorbs the lag), so drifts are the
 * median-mad and ensemble detectors' job.
 */
export class EwmaDetector implements SeriesDetector<Float64Array> {
  readonly name = 'ewma';
  readonly warmup: number;
  /** z of about 5.2. */
  readonly defaultThreshold = 0.9;
  readonly bytesPerSeries = 3 * 8 + 64;
  private readonly alpha: number;
  private readonly z0: number;

  constructor(options: EwmaOptions = {}) {
    this.alpha = options.alpha ?? 0.05;
    this.z0 = options.z0 ?? 3;
    this.warmup = options.warmup ?? 30;
    if (!(this.alpha > 0 && this.alpha < 1)) throw new RangeError(`ewma: alpha must lie in (0, 1)`);
  }

  create(): Float64Array {
    return new Float64Array(3);
  }

  update(state: Float64Array, value: number): number {
    const samples = state[SAMPLES]!;
    state[SAMPLES] = samples + 1;
    if (samples === 0) {
      state[MEAN] = value;
      return 0;
    }
    const diff = value - state[MEAN]!;
    const scale = spreadOf(state[MEAN]!, state[VARIANCE]!);
    const score = diff === 0 ? 0 : deviationScore(Math.abs(diff) / scale, this.z0);
    // The first deviation sets the spread; later ones are learned clipped (one glitch must not blind the series).
    learnMoments(state, MEAN, clipDeviation(diff, samples === 1 ? Infinity : scale), this.alpha);
    return score;
  }
}

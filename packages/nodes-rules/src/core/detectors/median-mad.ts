import {
  clipDeviation,
  deviationScore,
  learnMoments,
  spreadFloor,
  spreadOf,
  type DetectorOptions,
  type SeriesDetector,
} from './detector.js';

export interface MedianMadOptions extends DetectorOptions {
  /** Samples in the rolling window (the past the median and MAD are taken over). */
  window?: number;
  /** The robust z-score that maps to 0.5. */
  z0?: number;
}

/** The rolling window twice: in arrival order (to know what leaves) and sorted (for the order statistics). */
export interface MedianMadState {
  ring: Float64Array;
  sorted: Float64Array;
  size: number;
  head: number;
  /** Long-run [mean, variance] (about 1,000 samples, deviations clipped), the yardstick for a flat window. */
  long: Float64Array;
  samples: number;
}

/** Weight of each value in the long-run spread. */
const LONG_ALPHA = 0.001;
/**
 * The local spread is taken as at least this share of the long-run one: in a window that happens to be flat
 * (quantised or idle data), a step the size of ordinary noise elsewhere is not an extreme outlier.
 */
const FLOOR_SHARE = 0.1;
/** MAD to standard deviation for normal data. */
const MAD_TO_SIGMA = 1.4826;
/** Mean absolute deviation to standard deviation for normal data (sqrt(pi/2)), the fallback when MAD is 0. */
const MEAN_ABS_TO_SIGMA = 1.2533;

/**
 * Rolling median / MAD: the score is |x - median| / (1.4826 MAD) over the last `window` values, a z-score that
 * a burst of outliers cannot drag along (breakdown point 50%). The window is kept sorted by insertion, so an
 * update costs O(window) memory moves and no allocation; quantised or flat data whose MAD is 0 falls back to
 * the mean absolute deviation, and the spread is never taken below a tenth of the series' long-run spread.
 */
export class MedianMadDetector implements SeriesDetector<MedianMadState> {
  readonly name = 'median-mad';
  readonly warmup: number;
  /** Robust z of about 5.2. */
  readonly defaultThreshold = 0.9;
  readonly bytesPerSeries: number;
  private readonly window: number;
  private readonly z0: number;

  constructor(options: MedianMadOptions = {}) {
    this.window = options.window ?? 60;
    this.z0 = options.z0 ?? 3;
    this.warmup = options.warmup ?? Math.ceil(this.window / 2);
    if (!(Number.isInteger(this.window) && this.window >= 3))
      throw new RangeError('median-mad: window must be an integer of 3 or more');
    this.bytesPerSeries = 2 * 8 * this.window + 200;
  }

  create(): MedianMadState {
    return {
      ring: new Float64Array(this.window),
      sorted: new Float64Array(this.window),
      size: 0,
      head: 0,
      long: new Float64Array(2),
      samples: 0,
    };
  }

  update(state: MedianMadState, value: number): number {
    const score =
      state.size >= 3 ? this.score(state.sorted, state.size, value, Math.sqrt(state.long[1]!)) : 0;
    this.learn(state, value);
    const samples = ++state.samples;
    const long = state.long;
    if (samples === 1) {
      long[0] = value;
      return score;
    }
    const rate = samples * LONG_ALPHA < 1 ? 1 / samples : LONG_ALPHA;
    // Learned clipped (the first deviation sets the spread): one glitch must not raise the floor for good.
    const longSpread = spreadOf(long[0]!, long[1]!);
    learnMoments(long, 0, clipDeviation(value - long[0]!, samples === 2 ? Infinity : longSpread), rate);
    return score;
  }

  private score(s: Float64Array, n: number, value: number, longSigma: number): number {
    const half = n >> 1;
    const median = n & 1 ? s[half]! : (s[half - 1]! + s[half]!) / 2;
    const diff = Math.abs(value - median);
    if (diff === 0) return 0;
    // The deviations from the median grow outwards on both sides of it: merge the two runs up to the middle.
    let left = half - 1;
    let right = half;
    let previous = 0;
    let current = 0;
    const wanted = n >> 1; // deviations 0..wanted are enough for the median of n of them
    for (let taken = 0; taken <= wanted; taken++) {
      previous = current;
      const l = left >= 0 ? median - s[left]! : Infinity;
      const r = right < n ? s[right]! - median : Infinity;
      if (l <= r) {
        current = l;
        left--;
      } else {
        current = r;
        right++;
      }
    }
    const mad = n & 1 ? current : (previous + current) / 2;
    let sigma = MAD_TO_SIGMA * mad;
    if (sigma === 0) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.abs(s[i]! - median);
      sigma = (MEAN_ABS_TO_SIGMA * sum) / n;
    }
    const floor = Math.max(spreadFloor(median), FLOOR_SHARE * longSigma);
    return deviationScore(diff / (sigma > floor ? sigma : floor), this.z0);
  }

  private learn(state: MedianMadState, value: number): void {
    const { ring, sorted } = state;
    let n = state.size;
    if (n === this.window) {
      // Drop the oldest value from the sorted copy.
      const at = lowerBound(sorted, n, ring[state.head]!);
      sorted.copyWithin(at, at + 1, n);
      n--;
    } else {
      state.size = n + 1;
    }
    const at = lowerBound(sorted, n, value);
    sorted.copyWithin(at + 1, at, n);
    sorted[at] = value;
    ring[state.head] = value;
    state.head = state.head + 1 === this.window ? 0 : state.head + 1;
  }
}

/** The first index of `sorted[0..n)` whose value is >= `value`. */
function lowerBound(sorted: Float64Array, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

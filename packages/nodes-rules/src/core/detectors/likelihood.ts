// NAB's anomaly likelihood (Ahmad et al. 2017), streaming: how improbable the recent average of a raw score is
// under the distribution that raw score has had so far. The distribution is a running mean and variance
// (exponentially weighted after the first 1/alpha samples) rather than NAB's 8,640-sample window, so the state
// stays a few numbers.

/** Per-state layout: [sum of the short window, count, mean, variance, next slot], then the short window. */
const SUM = 0;
const COUNT = 1;
const MEAN = 2;
const VARIANCE = 3;
const SLOT = 4;
const HEADER = 5;

/** Tail probabilities below this are treated as this (NAB's 1e-10): the log score reaches 1 there. */
const P_FLOOR = 1e-10;
const LOG_P_FLOOR = Math.log(P_FLOOR);
/** The smallest variance the raw score may have (NAB uses the same kind of floor). */
const MIN_VARIANCE = 1e-4;
/**
 * Raw anomaly scores have a heavier upper tail than the normal distribution the test assumes: taken at face
 * value, white noise reaches 0.9 every few thousand samples. The normal tail is read at z / 1.5 instead, which
 * keeps white noise below 0.5 and changes no ranking (NAB scores are the same up to ties).
 */
const TAIL_WIDENING = 1.5;

export interface LikelihoodOptions {
  /** Raw scores averaged before the test (NAB: 10). */
  shortWindow: number;
  /** Weight of each new average in the running distribution once past 1/alpha samples. */
  alpha: number;
  /** Samples before any likelihood is reported (the distribution needs a past). */
  learning: number;
}

export function likelihoodState(options: LikelihoodOptions): Float64Array {
  return new Float64Array(HEADER + options.shortWindow);
}

/**
 * Feeds one raw score in [0, 1] and returns the log-scaled likelihood in [0, 1]: log(p) / log(1e-10), where p
 * is the upper tail probability of the short-window average (see TAIL_WIDENING). 0.5 means p = 1e-5.
 */
export function likelihood(state: Float64Array, raw: number, options: LikelihoodOptions): number {
  const window = options.shortWindow;
  const slot = state[SLOT]!;
  const count = state[COUNT]! + 1;
  state[COUNT] = count;
  const sum = state[SUM]! + raw - state[HEADER + slot]!;
  state[SUM] = sum;
  state[HEADER + slot] = raw;
  state[SLOT] = slot + 1 === window ? 0 : slot + 1;
  const average = sum / (count < window ? count : window);
  const mean = state[MEAN]!;
  const variance = state[VARIANCE]!;
  let score = 0;
  if (count > options.learning) {
    const z = (average - mean) / Math.sqrt(variance > MIN_VARIANCE ? variance : MIN_VARIANCE);
    const p = 0.5 * erfc(z / (TAIL_WIDENING * Math.SQRT2));
    score = Math.log(p + P_FLOOR) / LOG_P_FLOOR;
    score = score < 0 ? 0 : score > 1 ? 1 : score;
  }
  const rate = count * options.alpha < 1 ? 1 / count : options.alpha;
  const diff = average - mean;
  const step = rate * diff;
  state[MEAN] = mean + step;
  state[VARIANCE] = (1 - rate) * (variance + diff * step);
  return score;
}

/** The complementary error function (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

import { describeValue } from '@plantwire/telemetry';
import type { SeriesDetector } from './detectors/detector.js';
import { packState, restoreSeries, saveSeries, unpackState, type LearnedSeries } from './learned-state.js';
import { SeriesMap } from './series-map.js';

/** A value no detector can score (NaN, Infinity, a string, nothing): refused before it reaches any state. */
export class AnomalyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnomalyInputError';
  }
}

export interface AnomalyDetectorOptions {
  /** Most series kept at once; the least recently updated one is forgotten when a new one would exceed it. */
  maxSeries?: number;
  /** Samples per series before scores count (score 0, flag false, `warming` true); the detector's own default otherwise. */
  warmup?: number;
}

/**
 * Streaming anomaly scores for many series at once with bounded memory: one detector state per series key,
 * at most `maxSeries` of them, the least recently updated evicted first (LRU, see SeriesMap).
 * Values are taken in arrival order, whatever their timestamps say (gaps, repeats and steps backwards are
 * just the next sample); no state ever sees a future value.
 */
export class AnomalyDetector<State = unknown> {
  readonly maxSeries: number;
  readonly warmup: number;
  /** Whether the value scored last was still in its series' warm-up. */
  warming = false;
  private readonly series: SeriesMap<State>;

  constructor(
    readonly detector: SeriesDetector<State>,
    options: AnomalyDetectorOptions = {},
  ) {
    this.maxSeries = options.maxSeries ?? 10_000;
    this.warmup = options.warmup ?? detector.warmup;
    if (!(Number.isInteger(this.warmup) && this.warmup >= 0))
      throw new RangeError(`warmup must be a whole number of 0 or more (got ${options.warmup})`);
    this.series = new SeriesMap(this.maxSeries, () => detector.create());
  }

  /** Series forgotten to keep within maxSeries. */
  get evicted(): number {
    return this.series.evicted;
  }

  /** Series held now. */
  get size(): number {
    return this.series.size;
  }

  /** Upper bound of the detector state held at maxSeries, in bytes (the Map and keys come on top). */
  get maxStateBytes(): number {
    return this.maxSeries * this.detector.bytesPerSeries;
  }

  /**
   * The anomaly score in [0, 1] of `value` for series `key` (0 during warm-up, see `warming`). Throws an
   * AnomalyInputError, changing nothing, when `value` is not a finite number.
   */
  score(key: string, value: unknown): number {
    // value - value is 0 for every finite number and NaN for NaN and the infinities.
    if (typeof value !== 'number' || value - value !== 0) {
      throw new AnomalyInputError(`value must be a finite number (got ${describeValue(value)})`);
    }
    const entry = this.series.use(key);
    const score = this.detector.update(entry.state, value);
    const samples = ++entry.samples;
    this.warming = samples <= this.warmup;
    return this.warming ? 0 : score;
  }

  /** Forgets the series whose key passes `test` (they start a fresh warm-up); returns how many. */
  forget(test: (key: string) => boolean): number {
    return this.series.forget(test);
  }

  /** What every series has learned, to be restored after a restart (see learned-state.ts). */
  snapshot(): LearnedSeries[] {
    return saveSeries(this.series, packState);
  }

  /** Takes series from snapshot() of a detector with the same algorithm and settings. */
  restore(saved: unknown): void {
    restoreSeries(this.series, saved, (state, numbers) => unpackState(state as object, numbers));
  }

  clear(): void {
    this.series.clear();
  }
}

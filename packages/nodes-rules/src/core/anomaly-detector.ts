import { describeValue } from '@plantwire/telemetry';
import type { SeriesDetector } from './detectors/detector.js';

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

/** One series in the recency list: most recent at the head, least recent at the tail. */
interface Series<State> {
  key: string;
  state: State;
  samples: number;
  newer: Series<State> | undefined;
  older: Series<State> | undefined;
}

/**
 * Streaming anomaly scores for many series at once with bounded memory: one detector state per series key,
 * at most `maxSeries` of them, the least recently updated evicted first (LRU). One Map lookup per update; the
 * recency list is threaded through the series records, so a hit moves no Map entries and allocates nothing.
 * Values are taken in arrival order, whatever their timestamps say (gaps, repeats and steps backwards are
 * just the next sample); no state ever sees a future value.
 */
export class AnomalyDetector<State = unknown> {
  readonly maxSeries: number;
  readonly warmup: number;
  /** Whether the value scored last was still in its series' warm-up. */
  warming = false;
  /** Series forgotten to keep within maxSeries. */
  evicted = 0;
  private readonly series = new Map<string, Series<State>>();
  private newest: Series<State> | undefined;
  private oldest: Series<State> | undefined;

  constructor(
    readonly detector: SeriesDetector<State>,
    options: AnomalyDetectorOptions = {},
  ) {
    this.maxSeries = options.maxSeries ?? 10_000;
    this.warmup = options.warmup ?? detector.warmup;
    if (!(Number.isInteger(this.maxSeries) && this.maxSeries >= 1))
      throw new RangeError(`maxSeries must be a whole number of 1 or more (got ${options.maxSeries})`);
    if (!(Number.isInteger(this.warmup) && this.warmup >= 0))
      throw new RangeError(`warmup must be a whole number of 0 or more (got ${options.warmup})`);
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
    let entry = this.series.get(key);
    if (entry === undefined) entry = this.add(key);
    else if (entry !== this.newest) this.touch(entry);
    const score = this.detector.update(entry.state, value);
    const samples = ++entry.samples;
    this.warming = samples <= this.warmup;
    return this.warming ? 0 : score;
  }

  clear(): void {
    this.series.clear();
    this.newest = this.oldest = undefined;
  }

  private add(key: string): Series<State> {
    if (this.series.size >= this.maxSeries) {
      const victim = this.oldest!;
      this.unlink(victim);
      this.series.delete(victim.key);
      this.evicted++;
    }
    const entry: Series<State> = {
      key,
      state: this.detector.create(),
      samples: 0,
      newer: undefined,
      older: this.newest,
    };
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
    this.series.set(key, entry);
    return entry;
  }

  private touch(entry: Series<State>): void {
    this.unlink(entry);
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  private unlink(entry: Series<State>): void {
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    entry.newer = entry.older = undefined;
  }
}

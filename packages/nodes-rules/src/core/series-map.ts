/** One series in the recency list: most recent at the head, least recent at the tail. */
export interface SeriesEntry<State> {
  readonly key: string;
  readonly state: State;
  /** Values this series has taken since it was created. */
  samples: number;
  newer: SeriesEntry<State> | undefined;
  older: SeriesEntry<State> | undefined;
}

/**
 * Per-series state for many series with bounded memory: at most `maxSeries` states, the least recently used one
 * forgotten first (LRU). One Map lookup per use; the recency list is threaded through the entries, so a hit
 * moves no Map entries and allocates nothing.
 */
export class SeriesMap<State> {
  /** Series forgotten to keep within maxSeries. */
  evicted = 0;
  private readonly series = new Map<string, SeriesEntry<State>>();
  private newest: SeriesEntry<State> | undefined;
  private oldest: SeriesEntry<State> | undefined;

  constructor(
    readonly maxSeries: number,
    /** Makes the state of a new series `key`. */
    private readonly create: (key: string) => State,
  ) {
    if (!(Number.isInteger(maxSeries) && maxSeries >= 1))
      throw new RangeError(`maxSeries must be a whole number of 1 or more (got ${maxSeries})`);
  }

  get size(): number {
    return this.series.size;
  }

  /** The entry of `key`, made the most recent; created (evicting the least recent beyond the cap) when new. */
  use(key: string): SeriesEntry<State> {
    const entry = this.series.get(key);
    if (entry === undefined) return this.add(key);
    if (entry !== this.newest) this.touch(entry);
    return entry;
  }

  /** Every entry, the least recently used first: used again in this order, they keep their recency order. */
  *entries(): IterableIterator<SeriesEntry<State>> {
    for (let entry = this.oldest; entry !== undefined; entry = entry.newer) yield entry;
  }

  clear(): void {
    this.series.clear();
    this.newest = this.oldest = undefined;
  }

  /** Forgets every series whose key passes `test`; returns how many. */
  forget(test: (key: string) => boolean): number {
    let forgotten = 0;
    for (const entry of [...this.entries()]) {
      if (!test(entry.key)) continue;
      this.unlink(entry);
      this.series.delete(entry.key);
      forgotten++;
    }
    return forgotten;
  }

  /** A fresh state for series `key`, not yet held (see restore). */
  newState(key: string): State {
    return this.create(key);
  }

  /** Holds `state` (from newState) as series `key`, the most recent, with its count of values: as saved before. */
  restore(key: string, samples: number, state: State): void {
    const known = this.series.get(key);
    if (known !== undefined) {
      this.unlink(known);
      this.series.delete(key);
    }
    this.add(key, state).samples = samples;
  }

  private add(key: string, state = this.create(key)): SeriesEntry<State> {
    if (this.series.size >= this.maxSeries) {
      const victim = this.oldest!;
      this.unlink(victim);
      this.series.delete(victim.key);
      this.evicted++;
    }
    const entry: SeriesEntry<State> = {
      key,
      state,
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

  private touch(entry: SeriesEntry<State>): void {
    this.unlink(entry);
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  private unlink(entry: SeriesEntry<State>): void {
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    entry.newer = entry.older = undefined;
  }
}

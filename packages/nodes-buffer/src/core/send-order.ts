import type { ChunkRun } from './chunks.js';

export type OrderMode = 'fifo' | 'live-first';

/** Reads the chunks of one batch in the seq range (after, upTo]. */
type ReadRun = (after: number, upTo: number) => ChunkRun | undefined;

/**
 * Which stored rows go out next. fifo: oldest first. live-first: what was queued before this open, or while the
 * sink was down, is backlog, sent beside new rows, alternating, new rows first. "While the sink was down" ends at
 * the last row stored when a batch that then failed went out: rows stored after that may have come after the
 * sink was back (the retry that finds it back waits out its backoff), so they stay new rather than wait behind
 * the whole backlog.
 */
export class SendOrder {
  /** Highest seq handed out from the live end of the queue. */
  private cursor = 0;
  /** Highest seq stored. */
  private lastSeq: number;
  /** Rows up to here were queued before this open or while the sink was down: history. */
  private boundary: number;
  /** Rows up to here were stored when a batch that failed went out. */
  private downUpTo = 0;
  /** live-first: seq ranges (after, upTo] of backlog still to send, oldest first. */
  private backlog: { after: number; upTo: number }[] = [];
  private preferBacklog = false;
  private failing = false;

  constructor(
    private readonly order: OrderMode,
    lastSeq: number,
  ) {
    this.lastSeq = lastSeq;
    this.boundary = lastSeq;
    this.moveToBacklog(lastSeq);
  }

  /** Rows up to `lastSeq` are stored. */
  stored(lastSeq: number): void {
    this.lastSeq = lastSeq;
  }

  /** The next run of chunks to send, read with `read(after, upTo)`, and whether it is history. */
  next(read: ReadRun): { run: ChunkRun; historical: boolean } | undefined {
    const backlogFirst = this.order === 'live-first' && (this.preferBacklog || this.lastSeq <= this.cursor);
    const run = backlogFirst
      ? (this.readBacklog(read) ?? this.readLive(read))
      : (this.readLive(read) ?? this.readBacklog(read));
    if (!run) return undefined;
    const historical = run.firstSeq <= this.boundary;
    this.preferBacklog = !historical;
    return { run, historical };
  }

  /** A batch that went out with rows up to `storedAtSend` stored was not delivered: the sink is failing. */
  failed(storedAtSend: number): void {
    this.failing = true;
    if (storedAtSend > this.downUpTo) this.downUpTo = storedAtSend;
  }

  /** A batch was delivered: if the sink was failing, it is back, and what piled up while it was down is history. */
  delivered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.preferBacklog = false;
    if (this.downUpTo > this.boundary) this.boundary = this.downUpTo;
    this.moveToBacklog(this.downUpTo);
  }

  /** Everything stored was deleted. */
  purged(): void {
    this.backlog = [];
    this.cursor = this.lastSeq;
  }

  /** Rows up to here are history: queued before this open or while the sink was down. */
  get historyUpTo(): number {
    return this.boundary;
  }

  /** Rows up to here are stored. */
  get storedUpTo(): number {
    return this.lastSeq;
  }

  /** live-first: what is stored up to `upTo` and not yet handed out becomes backlog. */
  private moveToBacklog(upTo: number): void {
    if (this.order !== 'live-first' || upTo <= this.cursor) return;
    this.backlog.push({ after: this.cursor, upTo });
    this.cursor = upTo;
  }

  private readLive(read: ReadRun): ChunkRun | undefined {
    const run = read(this.cursor, Number.MAX_SAFE_INTEGER);
    if (run) this.cursor = run.lastSeq;
    return run;
  }

  private readBacklog(read: ReadRun): ChunkRun | undefined {
    while (this.backlog.length > 0) {
      const range = this.backlog[0]!;
      const run = read(range.after, range.upTo);
      if (run) {
        range.after = run.lastSeq;
        return run;
      }
      this.backlog.shift();
    }
    return undefined;
  }
}

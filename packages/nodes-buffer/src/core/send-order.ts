import type { ChunkRun } from './chunks.js';

export type OrderMode = 'fifo' | 'live-first';

/** Reads the chunks of one batch in the seq range (after, upTo]. */
type ReadRun = (after: number, upTo: number) => ChunkRun | undefined;

/**
 * Which stored rows go out next. fifo: oldest first. live-first: what was queued before this open or before
 * the sink last recovered is backlog, sent beside new rows, alternating, new rows first.
 */
export class SendOrder {
  /** Highest seq handed out from the live end of the queue. */
  private cursor = 0;
  /** Highest seq stored. */
  private lastSeq: number;
  /** Rows up to here were queued before this open or before the sink last recovered: history. */
  private boundary: number;
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
    this.moveToBacklog();
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

  /** A batch was not delivered: the sink is failing. */
  failed(): void {
    this.failing = true;
  }

  /** A batch was delivered: if the sink was failing, it is back, and what piled up meanwhile is history. */
  delivered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.preferBacklog = false;
    this.boundary = this.lastSeq;
    this.moveToBacklog();
  }

  /** Everything stored was deleted. */
  purged(): void {
    this.backlog = [];
    this.cursor = this.lastSeq;
  }

  /** live-first: what is stored and not yet handed out becomes backlog. */
  private moveToBacklog(): void {
    if (this.order !== 'live-first') return;
    if (this.lastSeq > this.cursor) this.backlog.push({ after: this.cursor, upTo: this.lastSeq });
    this.cursor = this.lastSeq;
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

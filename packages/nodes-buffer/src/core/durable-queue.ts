import type Database from 'better-sqlite3';
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { CHUNKS_SCHEMA, ChunkTable, encodeChunks, joinChunks, sumChunks } from './chunks.js';
import { Flights, type Batch } from './flights.js';
import { QUARANTINE_SCHEMA, QuarantineTable, type QuarantinedBatch } from './quarantine.js';
import { QueueRejectedError, QueueStorageError } from './queue-errors.js';
import { openQueueFile } from './queue-file.js';
import { SendOrder, type OrderMode } from './send-order.js';

// The store-forward shell takes the queue's types from here.
export type { Batch } from './flights.js';

export type FullPolicy = 'drop-oldest' | 'reject-new';
export type DropReason = 'full' | 'age' | 'purge';

export interface QueueOptions {
  /** The SQLite file; its folder is created when missing. */
  path: string;
  /** FULL (default): a commit survives power loss. NORMAL: faster, the last commits may be lost on power loss. */
  synchronous?: 'FULL' | 'NORMAL';
  maxRows?: number;
  maxBytes?: number;
  /** Rows older than this are dropped (reason "age"); 0 = keep forever. */
  maxAgeMs?: number;
  fullPolicy?: FullPolicy;
  /** Refuse new rows while the disk has less free space than this. */
  minFreeBytes?: number;
  /** Cap on the file's size (SQLite max_page_count); 0 = none. Reaching it is handled like a full disk. */
  maxFileBytes?: number;
  batchRows?: number;
  batchBytes?: number;
  /** How long rows fewer than a batch wait for more before they go out (ms); 0 = at once. */
  maxWaitMs?: number;
  /** Batches in flight at once. */
  window?: number;
  order?: OrderMode;
  backoff?: BackoffOptions;
  /** Longest Retry-After honoured (ms). */
  maxRetryAfterMs?: number;
  /** Wall clock (ms): stamps rows and measures their age. */
  now?: () => number;
  /** Monotonic clock (ms): schedules retries and ack deadlines, so a wall clock that jumps cannot stall them. */
  monotonic?: () => number;
  random?: () => number;
}

export interface QueueStats {
  rows: number;
  bytes: number;
  oldestAgeMs: number;
  inFlight: number;
  inFlightRows: number;
  waitingRetry: number;
  acked: number;
  retries: number;
  drops: Record<DropReason, number>;
  quarantined: number;
  quarantinedRows: number;
  fileBytes: number;
  lastError: string | null;
}

/**
 * A durable FIFO of JSON objects in SQLite: an item is stored when `enqueue` returns (its transaction has
 * committed), leaves only when its batch is acked, and goes out in batches with retries, backoff, quarantine
 * and bounds. Pure: no Node-RED, no timers; the caller drives it with `enqueue`, `takeBatch`, `ack`, `nack`,
 * `quarantine` and `expire`. This class keeps the counts and bounds; the parts are the file (queue-file.ts),
 * its two tables (chunks.ts, quarantine.ts), the batches out (flights.ts) and what goes next (send-order.ts).
 */
export class DurableQueue<T = unknown> {
  readonly path: string;
  /** Set when the file failed its check on open and was moved aside. */
  readonly recovered: { movedTo: string; reason: string } | undefined;
  private readonly db: Database.Database;
  private readonly options: Required<Omit<QueueOptions, 'path'>>;
  private readonly chunks: ChunkTable;
  private readonly quarantined: QuarantineTable;
  private readonly syncNormal: Database.Statement;
  private readonly syncFull: Database.Statement;
  private readonly pageCount: Database.Statement;
  private readonly pageSize: number;
  private readonly order: SendOrder;
  private readonly flights = new Flights();
  /** Items (not chunks) stored, and their bytes. */
  private rows = 0;
  private bytes = 0;
  private acked = 0;
  private retries = 0;
  private readonly drops: Record<DropReason, number> = { full: 0, age: 0, purge: 0 };
  private lastError: string | null = null;
  /** The last answer was a connection never made (refused, no route): one batch at a time probes the sink. */
  private unreachable = false;
  /**
   * When the rows not yet sent began waiting for a batch to fill (monotonic clock). Undefined: they go at once
   * (a backlog found on open, or a flush).
   */
  private waitingSince: number | undefined;

  /** Throws QueueStorageError when the file cannot be opened (a corrupt one is moved aside instead). */
  constructor(options: QueueOptions) {
    this.path = options.path;
    this.options = {
      synchronous: 'FULL',
      maxRows: 10_000_000,
      maxBytes: 2 * 1024 ** 3,
      maxAgeMs: 0,
      fullPolicy: 'drop-oldest',
      minFreeBytes: 64 * 1024 ** 2,
      maxFileBytes: 0,
      batchRows: 1000,
      batchBytes: 1024 ** 2,
      maxWaitMs: 0,
      window: 1,
      order: 'fifo',
      backoff: { baseMs: 1000, maxMs: 60_000 },
      maxRetryAfterMs: 3_600_000,
      now: Date.now,
      monotonic: () => performance.now(),
      random: Math.random,
      ...options,
    };
    const file = openQueueFile(this.path, CHUNKS_SCHEMA + QUARANTINE_SCHEMA, this.options);
    this.db = file.db;
    this.recovered = file.recovered;
    this.pageSize = file.pageSize;
    this.chunks = new ChunkTable(this.db);
    this.quarantined = new QuarantineTable(this.db);
    this.syncNormal = this.db.prepare('PRAGMA synchronous = NORMAL');
    this.syncFull = this.db.prepare('PRAGMA synchronous = FULL');
    this.pageCount = this.db.prepare('PRAGMA page_count').pluck();
    const totals = this.chunks.totals();
    this.rows = totals.rows;
    this.bytes = totals.bytes;
    this.order = new SendOrder(this.options.order, totals.last);
  }

  /**
   * Stores items in one transaction; when it returns they are on disk. Throws QueueRejectedError (reject-new
   * policy, the disk floor, an item that is not a JSON object) or QueueStorageError (disk full, I/O): then
   * nothing of this call was stored, and everything stored before is intact.
   */
  enqueue(items: readonly T[]): void {
    if (items.length === 0) return;
    const now = this.options.now();
    const { maxRows, maxBytes, fullPolicy, batchRows, batchBytes } = this.options;
    const chunks = encodeChunks(items, batchRows, batchBytes);
    const bytes = chunks.reduce((sum, chunk) => sum + chunk.text.length, 0);
    this.checkDiskFloor();
    if (items.length > maxRows || bytes > maxBytes) {
      throw new QueueRejectedError(
        `${items.length} items (${bytes} bytes) do not fit a queue of ${maxRows} items / ${maxBytes} bytes`,
        'too-large',
      );
    }
    const overRows = this.rows + items.length - maxRows;
    const overBytes = this.bytes + bytes - maxBytes;
    if ((overRows > 0 || overBytes > 0) && fullPolicy === 'reject-new') {
      throw new QueueRejectedError(
        `queue full (${this.rows} items, ${this.bytes} bytes; limits ${maxRows} items, ${maxBytes} bytes): ${items.length} new items refused`,
        'full',
      );
    }
    const idle = this.unsentRows() === 0;
    const write = this.db.transaction(() => {
      const dropped = { rows: 0, bytes: 0 };
      // drop-oldest: whole chunks, oldest first, until the new items fit.
      while (dropped.rows < overRows || dropped.bytes < overBytes) {
        const gone = this.chunks.deleteOldest();
        if (!gone) break;
        dropped.rows += gone.rows;
        dropped.bytes += gone.bytes;
      }
      let last = 0;
      for (const chunk of chunks) last = this.chunks.insert(now, chunk.count, chunk.text.length, chunk.text);
      return { ...dropped, last };
    });
    try {
      const written = write();
      this.order.stored(written.last);
      this.rows += items.length - written.rows;
      this.bytes += bytes - written.bytes;
      this.drops.full += written.rows;
      if (idle) this.waitingSince = this.options.monotonic();
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      const what = code === 'SQLITE_FULL' ? 'storage full' : `storage error ${code}`;
      const message = `${what} (${(error as Error).message}): ${items.length} new items refused; everything accepted before is kept`;
      this.lastError = message;
      throw new QueueStorageError(message, code);
    }
  }

  private checkDiskFloor(): void {
    const { minFreeBytes } = this.options;
    if (minFreeBytes <= 0) return;
    const disk = statfsSync(dirname(this.path));
    const free = disk.bavail * disk.bsize;
    if (free < minFreeBytes) {
      const message = `disk almost full: ${Math.floor(free / 1024 ** 2)} MB free, the floor is ${Math.floor(minFreeBytes / 1024 ** 2)} MB; new items refused`;
      this.lastError = message;
      throw new QueueRejectedError(message, 'full');
    }
  }

  /**
   * The next batch to send: a batch whose retry is due, then new rows if the window has room (once a batch of
   * them is waiting or the first has waited maxWaitMs). In live-first mode new rows go ahead of the backlog, which
   * drains beside them; a backlog batch's retry, too, goes after new rows (it needs no room in the window, so it
   * follows at once), so live data leads right after an outage. While the sink cannot be reached, one at a time.
   */
  takeBatch(): Batch | undefined {
    if (this.unreachable && this.flights.awaitingAnswer() > 0) return undefined;
    if (this.options.order === 'fifo') return this.takeRetry() ?? this.takeNew();
    return this.takeRetry(false) ?? this.takeNew() ?? this.takeRetry(true);
  }

  /** A batch whose retry is due: of the backlog or not, or either. */
  private takeRetry(historical?: boolean): Batch | undefined {
    const due = this.flights.takeDue(this.options.monotonic(), this.order.storedUpTo, historical);
    if (!due) return undefined;
    // Re-read what is left of it: drop-oldest or max age may have removed chunks while it waited.
    const left = this.chunks.chunksIn(due.firstSeq, due.lastSeq);
    if (left.texts.length === 0) {
      this.flights.delete(due.id);
      return this.takeRetry(historical);
    }
    due.json = joinChunks(left.texts);
    due.count = left.count;
    due.attempt += 1;
    return due;
  }

  private takeNew(): Batch | undefined {
    if (this.flights.size >= this.options.window || !this.newRowsDue()) return undefined;
    const { batchRows, batchBytes } = this.options;
    const next = this.order.next((after, upTo) => this.chunks.readRun(after, upTo, batchRows, batchBytes));
    if (!next) return undefined;
    const { run, historical } = next;
    const batch: Batch = {
      id: `${run.firstSeq}-${run.lastSeq}`,
      json: joinChunks(run.texts),
      count: run.count,
      firstSeq: run.firstSeq,
      lastSeq: run.lastSeq,
      bytes: run.bytes,
      attempt: 1,
      failures: 0,
      historical,
    };
    this.flights.add(batch, this.order.storedUpTo);
    return batch;
  }

  /** Lets the rows waiting for a batch to fill go out at the next takeBatch, as if they had waited maxWaitMs. */
  flush(): void {
    this.waitingSince = undefined;
  }

  private newRowsDue(): boolean {
    return (
      this.waitingSince === undefined ||
      this.unsentRows() >= this.options.batchRows ||
      this.options.monotonic() - this.waitingSince >= this.options.maxWaitMs
    );
  }

  /** Rows stored and not in a batch in flight: what the next batches would carry. Cheap: no SQL. */
  unsentRows(): number {
    return this.rows - this.flights.rows();
  }

  /** Marks a batch as sent; its answer is due within `timeoutMs`. */
  sent(batchId: string, timeoutMs: number): void {
    this.flights.sent(batchId, this.options.monotonic() + timeoutMs);
  }

  /** The sink has it: the batch's rows are deleted in one transaction. False for an unknown (stale) batch. */
  ack(batchId: string): boolean {
    const batch = this.flights.batch(batchId);
    if (!batch) return false;
    const { firstSeq, lastSeq } = batch;
    // An ack needs no fsync of its own: if power fails before the next FULL commit syncs it, the batch is only
    // sent again, and the sink deduplicates. Accepting new items stays FULL.
    const relax = this.options.synchronous === 'FULL';
    if (relax) this.syncNormal.run();
    let gone: { rows: number; bytes: number };
    try {
      gone = this.db.transaction(() => this.chunks.deleteRange(firstSeq, lastSeq))();
    } finally {
      if (relax) this.syncFull.run();
    }
    this.flights.delete(batchId);
    this.rows -= gone.rows;
    this.bytes -= gone.bytes;
    this.acked += gone.rows;
    this.order.delivered();
    // The batches that failed with the sink down are history now too: new rows go ahead of their retries.
    this.flights.markHistory(this.order.historyUpTo);
    // The sink is back: the batches that waited behind the probe go now.
    if (this.unreachable) this.flights.releaseAll(this.options.monotonic());
    this.unreachable = false;
    if (this.rows === 0) this.vacuum();
    return true;
  }

  /**
   * Not delivered: retry after backoff, or after `retryAfterMs` when the sink said so (429). False, and nothing
   * moves, for a batch not awaiting an answer: a second answer to one send (the http request node passing its
   * error on and a Catch node handing it back too) counts once.
   */
  nack(batchId: string, reason: string, retryAfterMs?: number): boolean {
    const batch = this.flights.batch(batchId);
    if (!batch || !this.flights.awaiting(batchId)) return false;
    batch.failures += 1;
    const wait =
      retryAfterMs !== undefined
        ? Math.min(retryAfterMs, this.options.maxRetryAfterMs)
        : backoffDelay(batch.failures, this.options.backoff, this.options.random);
    this.unreachable = false;
    this.failed(batchId, reason, this.options.monotonic() + wait);
    return true;
  }

  /**
   * Not delivered, and the sink never saw it: no connection could be made. Trying again costs the sink nothing,
   * so the backoff does not grow: every batch waits at least the base delay again (a Retry-After still holds),
   * one of them then probes, and its ack sends the others. A link that comes back is found within the base
   * delay, not a grown backoff.
   */
  couldNotConnect(batchId: string, reason: string): boolean {
    if (!this.flights.awaiting(batchId)) return false;
    this.unreachable = true;
    const dueAt = this.options.monotonic() + backoffDelay(1, this.options.backoff, this.options.random);
    this.failed(batchId, reason, dueAt);
    this.flights.holdAll(dueAt);
    return true;
  }

  private failed(batchId: string, reason: string, dueAt: number): void {
    this.flights.retryAt(batchId, dueAt);
    this.retries++;
    this.order.failed(this.flights.storedAtSend(batchId));
    this.lastError = reason;
  }

  /** Batches whose answer is overdue are nacked ("no answer within ..."); returns their ids. */
  expire(): string[] {
    const late = this.flights.late(this.options.monotonic());
    for (const id of late) this.nack(id, 'no answer within the ack timeout');
    return late;
  }

  /** The earliest time something is due (a retry or an ack deadline), on the monotonic clock. */
  nextDue(): number {
    return this.flights.nextDue();
  }

  /** The sink refused the data itself (4xx): the batch moves to the quarantine table and the queue goes on. */
  quarantine(batchId: string, status: number | null, reason: string): boolean {
    const batch = this.flights.batch(batchId);
    if (!batch) return false;
    const { firstSeq, lastSeq } = batch;
    const now = this.options.now();
    const moved = this.db.transaction(() => {
      this.quarantined.copyFromQueue(batchId, status, reason, now, firstSeq, lastSeq);
      return this.chunks.deleteRange(firstSeq, lastSeq);
    })();
    this.unreachable = false;
    this.flights.delete(batchId);
    this.rows -= moved.rows;
    this.bytes -= moved.bytes;
    this.lastError = reason;
    return true;
  }

  listQuarantine(): QuarantinedBatch[] {
    return this.quarantined.list();
  }

  /** Puts quarantined items (one batch, or all) back at the end of the queue. Returns how many items. */
  retryQuarantine(batch?: string): number {
    const moved = this.db.transaction(() => {
      const chunks = this.quarantined.take(batch);
      const now = this.options.now();
      for (const chunk of chunks)
        this.order.stored(this.chunks.insert(now, chunk.count, chunk.bytes, chunk.items));
      return sumChunks(chunks);
    })();
    this.rows += moved.rows;
    this.bytes += moved.bytes;
    return moved.rows;
  }

  /** Deletes quarantined items (one batch, or all). Returns how many items. */
  purgeQuarantine(batch?: string): number {
    const gone = this.quarantined.purge(batch);
    this.vacuum();
    return gone.rows;
  }

  /** Deletes every queued item (counted as dropped, reason "purge") and forgets batches in flight. */
  purge(): number {
    const gone = this.chunks.deleteAll();
    this.drops.purge += gone.rows;
    this.rows = 0;
    this.bytes = 0;
    this.flights.clear();
    this.order.purged();
    this.vacuum();
    return gone.rows;
  }

  /** How often to call dropExpired so that no item outlives the max age by more than 1% (0: no max age). */
  get expiryIntervalMs(): number {
    const { maxAgeMs } = this.options;
    return maxAgeMs > 0 ? Math.min(60_000, Math.max(1_000, maxAgeMs / 100)) : 0;
  }

  /** Drops items older than maxAgeMs (reason "age"); batches in flight keep their place. Returns how many. */
  dropExpired(): number {
    if (this.options.maxAgeMs <= 0) return 0;
    const gone = this.chunks.deleteEnqueuedBefore(this.options.now() - this.options.maxAgeMs);
    this.rows -= gone.rows;
    this.bytes -= gone.bytes;
    this.drops.age += gone.rows;
    return gone.rows;
  }

  stats(): QueueStats {
    const oldest = this.chunks.oldestEnqueuedAt();
    const quarantine = this.quarantined.totals();
    const pages = this.pageCount.get() as number;
    return {
      rows: this.rows,
      bytes: this.bytes,
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, this.options.now() - oldest),
      inFlight: this.flights.size,
      inFlightRows: this.flights.rows(),
      waitingRetry: this.flights.waitingRetry(),
      acked: this.acked,
      retries: this.retries,
      drops: { ...this.drops },
      quarantined: quarantine.batches,
      quarantinedRows: quarantine.rows,
      fileBytes: pages * this.pageSize,
      lastError: this.lastError,
    };
  }

  /** Forgets batches in flight (their rows stay queued and go out again) and closes the file. */
  close(): void {
    this.flights.clear();
    if (this.db.open) this.db.close();
  }

  private vacuum(): void {
    this.db.pragma('incremental_vacuum');
  }
}

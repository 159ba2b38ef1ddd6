import Database from 'better-sqlite3';
import { existsSync, mkdirSync, renameSync, statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { backoffDelay, type BackoffOptions } from './backoff.js';

export type FullPolicy = 'drop-oldest' | 'reject-new';
export type OrderMode = 'fifo' | 'live-first';
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

export interface Batch<T = unknown> {
  /** Stable across retries. */
  id: string;
  items: T[];
  firstSeq: number;
  lastSeq: number;
  bytes: number;
  /** 1 on the first send, 2 on the first retry, ... */
  attempt: number;
  /** Older than the last recovery (live-first mode): backlog. */
  historical: boolean;
}

export interface QuarantinedBatch {
  batch: string;
  rows: number;
  status: number | null;
  reason: string;
  quarantinedAt: number;
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

/** A refusal the caller should pass on to the sender (done(err)): nothing of that call was stored. */
export class QueueRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueRejectedError';
  }
}

/** SQLite could not write (disk full, I/O error): the transaction rolled back, nothing of that call was stored. */
export class QueueStorageError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'QueueStorageError';
  }
}

interface Flight<T> {
  batch: Batch<T>;
  /** When it may be sent (again); Infinity while it waits for its answer. */
  dueAt: number;
  /** When its answer is late. */
  deadline: number;
}

// One row per chunk: the items of one message (up to a batch's worth) as one JSON array. Arrays are the fast
// path end to end: a message of 1,000 points costs one insert, one read and one delete, not 1,000 of each.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS chunks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    enqueued_at INTEGER NOT NULL,
    count INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    items TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS quarantine (
    seq INTEGER PRIMARY KEY,
    batch TEXT NOT NULL,
    status INTEGER,
    reason TEXT NOT NULL,
    quarantined_at INTEGER NOT NULL,
    enqueued_at INTEGER NOT NULL,
    count INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    items TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS quarantine_batch ON quarantine (batch);
`;

/**
 * A durable FIFO of JSON objects in SQLite: an item is stored when `enqueue` returns (its transaction has
 * committed), leaves only when its batch is acked, and goes out in batches with retries, backoff, quarantine
 * and bounds. Pure: no Node-RED, no timers; the caller drives it with `enqueue`, `takeBatch`, `ack`, `nack`,
 * `quarantine` and `expire`.
 */
export class DurableQueue<T = unknown> {
  readonly path: string;
  /** Set when the file failed its check on open and was moved aside. */
  readonly recovered: { movedTo: string; reason: string } | undefined;
  private readonly db: Database.Database;
  private readonly options: Required<Omit<QueueOptions, 'path'>>;
  private readonly insert: Database.Statement;
  private readonly selectAfter: Database.Statement;
  private readonly selectRange: Database.Statement;
  private readonly deleteRange: Database.Statement;
  private readonly oldest: Database.Statement;
  private readonly deleteOldest: Database.Statement;
  private readonly syncNormal: Database.Statement;
  private readonly syncFull: Database.Statement;
  private readonly quarantineTotals: Database.Statement;
  private readonly pageCount: Database.Statement;
  private readonly pageSize: number;
  /** Items (not chunks) stored, and their bytes. */
  private rows = 0;
  private bytes = 0;
  /** Highest seq handed out in a batch from the live end of the queue. */
  private cursor = 0;
  /** Highest seq stored. */
  private lastSeq = 0;
  /** Rows up to here were queued before this open or before the sink last recovered: history. */
  private boundary = 0;
  /** live-first: seq ranges (after, upTo] of backlog still to send, oldest first. */
  private backlog: { after: number; upTo: number }[] = [];
  private preferBacklog = false;
  private failing = false;
  private readonly flights = new Map<string, Flight<T>>();
  private acked = 0;
  private retries = 0;
  private readonly drops: Record<DropReason, number> = { full: 0, age: 0, purge: 0 };
  private lastError: string | null = null;

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
      window: 1,
      order: 'fifo',
      backoff: { baseMs: 1000, maxMs: 60_000 },
      maxRetryAfterMs: 3_600_000,
      now: Date.now,
      monotonic: () => performance.now(),
      random: Math.random,
      ...options,
    };
    mkdirSync(dirname(this.path), { recursive: true });
    const opened = openChecked(this.path);
    this.db = opened.db;
    this.recovered = opened.recovered;
    const db = this.db;
    db.pragma(`synchronous = ${this.options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma('busy_timeout = 5000');
    // Checkpoint often and cap what the WAL keeps after a checkpoint, so it stays small.
    db.pragma('wal_autocheckpoint = 1000');
    db.pragma(`journal_size_limit = ${64 * 1024 ** 2}`);
    db.exec(SCHEMA);
    this.pageSize = db.pragma('page_size', { simple: true }) as number;
    if (this.options.maxFileBytes > 0) {
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(this.options.maxFileBytes / this.pageSize))}`);
    }
    this.insert = db.prepare('INSERT INTO chunks (enqueued_at, count, bytes, items) VALUES (?, ?, ?, ?)');
    // Rows as arrays, not objects: less to allocate on the drain's hot path.
    this.selectAfter = db
      .prepare('SELECT seq, count, bytes, items FROM chunks WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?')
      .raw();
    this.selectRange = db
      .prepare('SELECT items FROM chunks WHERE seq >= ? AND seq <= ? ORDER BY seq')
      .pluck();
    this.deleteRange = db.prepare('DELETE FROM chunks WHERE seq >= ? AND seq <= ? RETURNING count, bytes');
    this.oldest = db.prepare('SELECT enqueued_at FROM chunks ORDER BY seq LIMIT 1').pluck();
    this.deleteOldest = db.prepare(
      'DELETE FROM chunks WHERE seq = (SELECT seq FROM chunks ORDER BY seq LIMIT 1) RETURNING count, bytes',
    );
    this.syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
    this.syncFull = db.prepare('PRAGMA synchronous = FULL');
    this.quarantineTotals = db.prepare(
      'SELECT count(DISTINCT batch) AS batches, coalesce(sum(count), 0) AS rows FROM quarantine',
    );
    this.pageCount = db.prepare('PRAGMA page_count').pluck();
    const totals = db
      .prepare(
        'SELECT coalesce(sum(count), 0) AS rows, coalesce(sum(bytes), 0) AS bytes, coalesce(max(seq), 0) AS last FROM chunks',
      )
      .get() as { rows: number; bytes: number; last: number };
    this.rows = totals.rows;
    this.bytes = totals.bytes;
    this.lastSeq = totals.last;
    this.boundary = totals.last;
    // In live-first mode what was queued before this open is backlog, sent beside new rows.
    if (this.options.order === 'live-first') this.moveToBacklog();
  }

  private moveToBacklog(): void {
    if (this.lastSeq > this.cursor) this.backlog.push({ after: this.cursor, upTo: this.lastSeq });
    this.cursor = this.lastSeq;
  }

  /**
   * Stores items in one transaction; when it returns they are on disk. Throws QueueRejectedError (reject-new
   * policy, the disk floor, an item that is not a JSON object) or QueueStorageError (disk full, I/O): then
   * nothing of this call was stored, and everything stored before is intact.
   */
  enqueue(items: readonly T[]): void {
    if (items.length === 0) return;
    const now = this.options.now();
    const chunks = this.encode(items);
    const bytes = chunks.reduce((sum, chunk) => sum + chunk.text.length, 0);
    this.checkDiskFloor();
    const { maxRows, maxBytes, fullPolicy } = this.options;
    if (items.length > maxRows || bytes > maxBytes) {
      throw new QueueRejectedError(
        `${items.length} items (${bytes} bytes) do not fit a queue of ${maxRows} items / ${maxBytes} bytes`,
      );
    }
    const overRows = this.rows + items.length - maxRows;
    const overBytes = this.bytes + bytes - maxBytes;
    if ((overRows > 0 || overBytes > 0) && fullPolicy === 'reject-new') {
      throw new QueueRejectedError(
        `queue full (${this.rows} items, ${this.bytes} bytes; limits ${maxRows} items, ${maxBytes} bytes): ${items.length} new items refused`,
      );
    }
    const write = this.db.transaction(() => {
      const dropped = { rows: 0, bytes: 0 };
      // drop-oldest: whole chunks, oldest first, until the new items fit.
      while (dropped.rows < overRows || dropped.bytes < overBytes) {
        const gone = this.deleteOldest.get() as { count: number; bytes: number } | undefined;
        if (!gone) break;
        dropped.rows += gone.count;
        dropped.bytes += gone.bytes;
      }
      let last = 0;
      for (const chunk of chunks)
        last = Number(this.insert.run(now, chunk.count, chunk.text.length, chunk.text).lastInsertRowid);
      return { ...dropped, last };
    });
    try {
      const written = write();
      this.lastSeq = written.last;
      this.rows += items.length - written.rows;
      this.bytes += bytes - written.bytes;
      this.drops.full += written.rows;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      const what = code === 'SQLITE_FULL' ? 'storage full' : `storage error ${code}`;
      const message = `${what} (${(error as Error).message}): ${items.length} new items refused; everything accepted before is kept`;
      this.lastError = message;
      throw new QueueStorageError(message, code);
    }
  }

  /** Items as JSON arrays of at most a batch each (rows and bytes), so a chunk never has to be split later. */
  private encode(items: readonly T[]): { count: number; text: string }[] {
    for (let index = 0; index < items.length; index++) {
      const item = items[index];
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        const got = item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item;
        throw new QueueRejectedError(`item ${index} must be an object (got ${got}); nothing was stored`);
      }
    }
    const chunks: { count: number; text: string }[] = [];
    const add = (slice: readonly T[]) => {
      let text: string;
      try {
        text = JSON.stringify(slice);
      } catch (error) {
        throw new QueueRejectedError(
          `items cannot be stored as JSON (${(error as Error).message}); nothing was stored`,
        );
      }
      if (text.length > this.options.batchBytes && slice.length > 1) {
        const half = Math.ceil(slice.length / 2);
        add(slice.slice(0, half));
        add(slice.slice(half));
      } else {
        chunks.push({ count: slice.length, text });
      }
    };
    const size = this.options.batchRows;
    for (let start = 0; start < items.length; start += size)
      add(items.length <= size ? items : items.slice(start, start + size));
    return chunks;
  }

  private checkDiskFloor(): void {
    const { minFreeBytes } = this.options;
    if (minFreeBytes <= 0) return;
    const disk = statfsSync(dirname(this.path));
    const free = disk.bavail * disk.bsize;
    if (free < minFreeBytes) {
      const message = `disk almost full: ${Math.floor(free / 1024 ** 2)} MB free, the floor is ${Math.floor(minFreeBytes / 1024 ** 2)} MB; new items refused`;
      this.lastError = message;
      throw new QueueRejectedError(message);
    }
  }

  /**
   * The next batch to send, if the window has room: a batch whose retry is due first, then new rows. In
   * live-first mode new rows go ahead of the backlog, which drains beside them.
   */
  takeBatch(): Batch<T> | undefined {
    const now = this.options.monotonic();
    let due: Flight<T> | undefined;
    for (const flight of this.flights.values()) {
      if (flight.dueAt <= now && (!due || flight.batch.firstSeq < due.batch.firstSeq)) due = flight;
    }
    if (due) {
      // Re-read what is left of it: drop-oldest or max age may have removed chunks while it waited.
      const left = this.selectRange.all(due.batch.firstSeq, due.batch.lastSeq) as string[];
      if (left.length === 0) {
        this.flights.delete(due.batch.id);
        return this.takeBatch();
      }
      due.batch.items = joinChunks<T>(left);
      due.batch.attempt += 1;
      due.dueAt = Infinity;
      due.deadline = Infinity;
      return due.batch;
    }
    if (this.flights.size >= this.options.window) return undefined;
    const backlogFirst = this.options.order === 'live-first' && (this.preferBacklog || !this.hasLive());
    const batch = backlogFirst
      ? (this.readBacklog() ?? this.readLive())
      : (this.readLive() ?? this.readBacklog());
    if (!batch) return undefined;
    this.preferBacklog = !batch.historical;
    this.flights.set(batch.id, { batch, dueAt: Infinity, deadline: Infinity });
    return batch;
  }

  /** Rows stored and not in a batch in flight: what the next batches would carry. Cheap: no SQL. */
  unsentRows(): number {
    return this.rows - this.inFlightRows();
  }

  /** Marks a batch as sent; its answer is due within `timeoutMs`. */
  sent(batchId: string, timeoutMs: number): void {
    const flight = this.flights.get(batchId);
    if (flight) flight.deadline = this.options.monotonic() + timeoutMs;
  }

  private hasLive(): boolean {
    return this.lastSeq > this.cursor;
  }

  private readLive(): Batch<T> | undefined {
    const batch = this.read(this.cursor, Number.MAX_SAFE_INTEGER);
    if (batch) this.cursor = batch.lastSeq;
    return batch;
  }

  private readBacklog(): Batch<T> | undefined {
    while (this.backlog.length > 0) {
      const range = this.backlog[0]!;
      const batch = this.read(range.after, range.upTo);
      if (batch) {
        range.after = batch.lastSeq;
        return batch;
      }
      this.backlog.shift();
    }
    return undefined;
  }

  private read(after: number, upTo: number): Batch<T> | undefined {
    const { batchRows, batchBytes } = this.options;
    // Chunks are read one at a time and only as many as the batch takes: each may hold up to a batch.
    const texts: string[] = [];
    let count = 0;
    let bytes = 0;
    let firstSeq = 0;
    let lastSeq = after;
    for (const [seq, chunkCount, chunkBytes, text] of this.selectAfter.iterate(
      after,
      upTo,
      batchRows,
    ) as IterableIterator<[number, number, number, string]>) {
      if (texts.length > 0 && (count + chunkCount > batchRows || bytes + chunkBytes > batchBytes)) break;
      if (texts.length === 0) firstSeq = seq;
      texts.push(text);
      count += chunkCount;
      bytes += chunkBytes;
      lastSeq = seq;
    }
    if (texts.length === 0) return undefined;
    return {
      id: `${firstSeq}-${lastSeq}`,
      items: joinChunks<T>(texts),
      firstSeq,
      lastSeq,
      bytes,
      attempt: 1,
      historical: firstSeq <= this.boundary,
    };
  }

  /** The sink has it: the batch's rows are deleted in one transaction. False for an unknown (stale) batch. */
  ack(batchId: string): boolean {
    const flight = this.flights.get(batchId);
    if (!flight) return false;
    const { firstSeq, lastSeq } = flight.batch;
    // An ack needs no fsync of its own: if power fails before the next FULL commit syncs it, the batch is only
    // sent again, and the sink deduplicates. Accepting new items stays FULL.
    const relax = this.options.synchronous === 'FULL';
    if (relax) this.syncNormal.run();
    let gone: { rows: number; bytes: number };
    try {
      gone = this.db.transaction(() => sumChunks(this.deleteRange.all(firstSeq, lastSeq)))();
    } finally {
      if (relax) this.syncFull.run();
    }
    this.flights.delete(batchId);
    this.rows -= gone.rows;
    this.bytes -= gone.bytes;
    this.acked += gone.rows;
    if (this.failing) {
      // The sink is back: what piled up meanwhile is history, and in live-first mode it becomes backlog.
      this.failing = false;
      this.preferBacklog = false;
      this.boundary = this.lastSeq;
      if (this.options.order === 'live-first') this.moveToBacklog();
    }
    if (this.rows === 0) this.vacuum();
    return true;
  }

  /** Not delivered: retry after backoff, or after `retryAfterMs` when the sink said so (429). */
  nack(batchId: string, reason: string, retryAfterMs?: number): boolean {
    const flight = this.flights.get(batchId);
    if (!flight) return false;
    const wait =
      retryAfterMs !== undefined
        ? Math.min(retryAfterMs, this.options.maxRetryAfterMs)
        : backoffDelay(flight.batch.attempt, this.options.backoff, this.options.random);
    flight.dueAt = this.options.monotonic() + wait;
    flight.deadline = Infinity;
    this.retries++;
    this.failing = true;
    this.lastError = reason;
    return true;
  }

  /** Batches whose answer is overdue are nacked ("no answer within ..."); returns their ids. */
  expire(): string[] {
    const now = this.options.monotonic();
    const late = [...this.flights.values()].filter((f) => f.deadline <= now).map((f) => f.batch.id);
    for (const id of late) this.nack(id, 'no answer within the ack timeout');
    return late;
  }

  /** The earliest time something is due (a retry or an ack deadline), on the monotonic clock. */
  nextDue(): number {
    let next = Infinity;
    for (const flight of this.flights.values()) next = Math.min(next, flight.dueAt, flight.deadline);
    return next;
  }

  /** The sink refused the data itself (4xx): the batch moves to the quarantine table and the queue goes on. */
  quarantine(batchId: string, status: number | null, reason: string): boolean {
    const flight = this.flights.get(batchId);
    if (!flight) return false;
    const { firstSeq, lastSeq } = flight.batch;
    const now = this.options.now();
    const moved = this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO quarantine (seq, batch, status, reason, quarantined_at, enqueued_at, count, bytes, items)
           SELECT seq, ?, ?, ?, ?, enqueued_at, count, bytes, items FROM chunks WHERE seq >= ? AND seq <= ?`,
        )
        .run(batchId, status, reason, now, firstSeq, lastSeq);
      return sumChunks(this.deleteRange.all(firstSeq, lastSeq));
    })();
    this.flights.delete(batchId);
    this.rows -= moved.rows;
    this.bytes -= moved.bytes;
    this.lastError = reason;
    return true;
  }

  listQuarantine(): QuarantinedBatch[] {
    return this.db
      .prepare(
        `SELECT batch, sum(count) AS rows, max(status) AS status, max(reason) AS reason, max(quarantined_at) AS quarantinedAt
           FROM quarantine GROUP BY batch ORDER BY min(seq)`,
      )
      .all() as QuarantinedBatch[];
  }

  /** Puts quarantined items (one batch, or all) back at the end of the queue. Returns how many items. */
  retryQuarantine(batch?: string): number {
    const where = batch === undefined ? '' : 'WHERE batch = ?';
    const args = batch === undefined ? [] : [batch];
    const moved = this.db.transaction(() => {
      const chunks = this.db
        .prepare(`SELECT count, bytes, items FROM quarantine ${where} ORDER BY seq`)
        .all(...args) as { count: number; bytes: number; items: string }[];
      const now = this.options.now();
      for (const chunk of chunks)
        this.lastSeq = Number(this.insert.run(now, chunk.count, chunk.bytes, chunk.items).lastInsertRowid);
      this.db.prepare(`DELETE FROM quarantine ${where}`).run(...args);
      return sumChunks(chunks);
    })();
    this.rows += moved.rows;
    this.bytes += moved.bytes;
    return moved.rows;
  }

  /** Deletes quarantined items (one batch, or all). Returns how many items. */
  purgeQuarantine(batch?: string): number {
    const where = batch === undefined ? '' : 'WHERE batch = ?';
    const gone = this.db
      .prepare(`DELETE FROM quarantine ${where} RETURNING count, bytes`)
      .all(...(batch === undefined ? [] : [batch]));
    this.vacuum();
    return sumChunks(gone).rows;
  }

  /** Deletes every queued item (counted as dropped, reason "purge") and forgets batches in flight. */
  purge(): number {
    const gone = sumChunks(this.db.prepare('DELETE FROM chunks RETURNING count, bytes').all());
    this.drops.purge += gone.rows;
    this.rows = 0;
    this.bytes = 0;
    this.flights.clear();
    this.backlog = [];
    this.cursor = this.lastSeq;
    this.vacuum();
    return gone.rows;
  }

  /** Drops items older than maxAgeMs (reason "age"); batches in flight keep their place. Returns how many. */
  dropExpired(): number {
    if (this.options.maxAgeMs <= 0) return 0;
    const before = this.options.now() - this.options.maxAgeMs;
    const gone = sumChunks(
      this.db.prepare('DELETE FROM chunks WHERE enqueued_at < ? RETURNING count, bytes').all(before),
    );
    this.rows -= gone.rows;
    this.bytes -= gone.bytes;
    this.drops.age += gone.rows;
    return gone.rows;
  }

  stats(): QueueStats {
    const oldest = this.oldest.get() as number | undefined;
    const quarantine = this.quarantineTotals.get() as { batches: number; rows: number };
    const pages = this.pageCount.get() as number;
    let waitingRetry = 0;
    for (const flight of this.flights.values()) if (flight.dueAt !== Infinity) waitingRetry++;
    return {
      rows: this.rows,
      bytes: this.bytes,
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, this.options.now() - oldest),
      inFlight: this.flights.size,
      inFlightRows: this.inFlightRows(),
      waitingRetry,
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

  private inFlightRows(): number {
    let rows = 0;
    for (const flight of this.flights.values()) rows += flight.batch.items.length;
    return rows;
  }

  private vacuum(): void {
    this.db.pragma('incremental_vacuum');
  }
}

/** Items of JSON array chunks, in order, with one parse. */
function joinChunks<T>(texts: string[]): T[] {
  return JSON.parse(
    texts.length === 1 ? texts[0]! : `[${texts.map((text) => text.slice(1, -1)).join(',')}]`,
  ) as T[];
}

function sumChunks(chunks: unknown[]): { rows: number; bytes: number } {
  let rows = 0;
  let bytes = 0;
  for (const chunk of chunks as { count: number; bytes: number }[]) {
    rows += chunk.count;
    bytes += chunk.bytes;
  }
  return { rows, bytes };
}

/**
 * Opens the file and checks it (PRAGMA quick_check). A corrupt file is renamed aside with a timestamp, with its
 * WAL and shared-memory files, and a fresh one takes its place: the node keeps running and says so.
 */
function openChecked(path: string): {
  db: Database.Database;
  recovered?: { movedTo: string; reason: string };
} {
  let reason: string;
  try {
    const db = open(path);
    const check = db.pragma('quick_check', { simple: true });
    if (check === 'ok') return { db };
    reason = `quick_check: ${String(check)}`;
    db.close();
  } catch (error) {
    reason = (error as Error).message;
  }
  const movedTo = `${path}.corrupt-${new Date().toISOString().replaceAll(':', '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  }
  return { db: open(path), recovered: { movedTo, reason } };
}

function open(path: string): Database.Database {
  const db = new Database(path);
  // auto_vacuum must be set before the first table exists; on an existing file this is a no-op.
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  return db;
}

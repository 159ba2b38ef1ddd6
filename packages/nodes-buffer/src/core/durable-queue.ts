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

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    enqueued_at INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    item TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS quarantine (
    seq INTEGER PRIMARY KEY,
    batch TEXT NOT NULL,
    status INTEGER,
    reason TEXT NOT NULL,
    quarantined_at INTEGER NOT NULL,
    enqueued_at INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    item TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS quarantine_batch ON quarantine (batch);
`;

/**
 * A durable FIFO of JSON items in SQLite: an item is stored when `enqueue` returns (its transaction has
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
  private readonly countRange: Database.Statement;
  private readonly oldest: Database.Statement;
  private readonly deleteOldest: Database.Statement;
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
    if (this.options.maxFileBytes > 0) {
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(this.options.maxFileBytes / pageSize))}`);
    }
    this.insert = db.prepare('INSERT INTO queue (enqueued_at, bytes, item) VALUES (?, ?, ?)');
    // Rows as arrays, not objects: less to allocate on the drain's hot path.
    this.selectAfter = db
      .prepare('SELECT seq, bytes, item FROM queue WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?')
      .raw();
    this.selectRange = db.prepare('SELECT item FROM queue WHERE seq >= ? AND seq <= ? ORDER BY seq');
    this.deleteRange = db.prepare('DELETE FROM queue WHERE seq >= ? AND seq <= ?');
    this.countRange = db.prepare(
      'SELECT count(*) AS rows, coalesce(sum(bytes), 0) AS bytes FROM queue WHERE seq >= ? AND seq <= ?',
    );
    this.oldest = db.prepare('SELECT seq, enqueued_at FROM queue ORDER BY seq LIMIT 1');
    this.deleteOldest = db.prepare(
      'DELETE FROM queue WHERE seq IN (SELECT seq FROM queue ORDER BY seq LIMIT ?) RETURNING bytes',
    );
    const totals = db
      .prepare(
        'SELECT count(*) AS rows, coalesce(sum(bytes), 0) AS bytes, coalesce(max(seq), 0) AS last FROM queue',
      )
      .get() as {
      rows: number;
      bytes: number;
      last: number;
    };
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
   * policy, the disk floor, an item that is not JSON) or the SQLite error (disk full, I/O): then nothing of
   * this call was stored, and everything stored before is intact.
   */
  enqueue(items: readonly T[]): void {
    if (items.length === 0) return;
    const now = this.options.now();
    const encoded = items.map((item, index) => encode(item, index));
    const bytes = encoded.reduce((sum, text) => sum + text.length, 0);
    this.checkDiskFloor();
    const { maxRows, maxBytes, fullPolicy } = this.options;
    if (encoded.length > maxRows || bytes > maxBytes) {
      throw new QueueRejectedError(
        `${encoded.length} items (${bytes} bytes) do not fit a queue of ${maxRows} rows / ${maxBytes} bytes`,
      );
    }
    const overRows = this.rows + encoded.length - maxRows;
    const overBytes = this.bytes + bytes - maxBytes;
    if ((overRows > 0 || overBytes > 0) && fullPolicy === 'reject-new') {
      throw new QueueRejectedError(
        `queue full (${this.rows} rows, ${this.bytes} bytes; limits ${maxRows} rows, ${maxBytes} bytes): ${encoded.length} new items refused`,
      );
    }
    const write = this.db.transaction(() => {
      let dropped = { rows: 0, bytes: 0 };
      if (overRows > 0 || overBytes > 0) dropped = this.dropOldest(overRows, overBytes);
      let last = 0;
      for (let i = 0; i < encoded.length; i++)
        last = Number(this.insert.run(now, encoded[i]!.length, encoded[i]).lastInsertRowid);
      return { ...dropped, last };
    });
    try {
      const dropped = write();
      this.lastSeq = dropped.last;
      this.rows += encoded.length - dropped.rows;
      this.bytes += bytes - dropped.bytes;
      this.drops.full += dropped.rows;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      const message =
        code === 'SQLITE_FULL'
          ? `storage full (${(error as Error).message}): ${encoded.length} new items refused; everything accepted before is kept`
          : `storage error ${code} (${(error as Error).message}): ${encoded.length} new items refused; everything accepted before is kept`;
      this.lastError = message;
      throw new QueueStorageError(message, code);
    }
  }

  /** Inside a transaction: deletes the oldest rows until `rows` and `bytes` more fit. */
  private dropOldest(rows: number, bytes: number): { rows: number; bytes: number } {
    let droppedRows = 0;
    let droppedBytes = 0;
    const averageBytes = this.rows > 0 ? Math.max(1, this.bytes / this.rows) : 1;
    while (droppedRows < rows || droppedBytes < bytes) {
      const chunk = Math.max(1, rows - droppedRows, Math.ceil((bytes - droppedBytes) / averageBytes));
      const gone = this.deleteOldest.all(chunk) as { bytes: number }[];
      if (gone.length === 0) break;
      droppedRows += gone.length;
      for (const row of gone) droppedBytes += row.bytes;
    }
    return { rows: droppedRows, bytes: droppedBytes };
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
      // Re-read what is left of it: drop-oldest or max age may have removed rows while it waited.
      const left = this.selectRange.all(due.batch.firstSeq, due.batch.lastSeq) as { item: string }[];
      if (left.length === 0) {
        this.flights.delete(due.batch.id);
        return this.takeBatch();
      }
      due.batch.items = JSON.parse(`[${left.map((row) => row.item).join(',')}]`) as T[];
      due.batch.attempt += 1;
      due.dueAt = Infinity;
      due.deadline = Infinity;
      return due.batch;
    }
    if (this.inFlightCount() >= this.options.window) return undefined;
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
    let inFlightRows = 0;
    for (const flight of this.flights.values()) inFlightRows += flight.batch.items.length;
    return this.rows - inFlightRows;
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
    const rows = this.selectAfter.all(after, upTo, this.options.batchRows) as [number, number, string][];
    if (rows.length === 0) return undefined;
    const texts: string[] = [];
    let bytes = 0;
    let lastSeq = after;
    for (const [seq, size, item] of rows) {
      if (texts.length > 0 && bytes + size > this.options.batchBytes) break;
      texts.push(item);
      bytes += size;
      lastSeq = seq;
    }
    const firstSeq = rows[0]![0];
    // One parse of the whole batch is much cheaper than one per row.
    const items = JSON.parse(`[${texts.join(',')}]`) as T[];
    return { id: `${firstSeq}-${lastSeq}`, items, firstSeq, lastSeq, bytes, attempt: 1, historical: firstSeq <= this.boundary };
  }

  /** The sink has it: the batch's rows are deleted in one transaction. False for an unknown (stale) batch. */
  ack(batchId: string): boolean {
    const flight = this.flights.get(batchId);
    if (!flight) return false;
    const { firstSeq, lastSeq, items, bytes } = flight.batch;
    // An ack needs no fsync of its own: if power fails before the next FULL commit syncs it, the batch is only
    // sent again, and the sink deduplicates. Accepting new rows stays FULL.
    if (this.options.synchronous === 'FULL') this.db.pragma('synchronous = NORMAL');
    let gone: { rows: number; bytes: number };
    try {
      gone = this.db.transaction(() => {
        const { changes } = this.deleteRange.run(firstSeq, lastSeq);
        if (changes === items.length) return { rows: changes, bytes };
        // Rows of this batch were dropped meanwhile (drop-oldest, max age): those were counted already.
        return { rows: changes, bytes: Math.round((bytes * changes) / Math.max(1, items.length)) };
      })();
    } finally {
      if (this.options.synchronous === 'FULL') this.db.pragma('synchronous = FULL');
    }
    this.flights.delete(batchId);
    this.rows -= gone.rows;
    this.bytes = this.rows === 0 ? 0 : Math.max(0, this.bytes - gone.bytes);
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
      const counted = this.countRange.get(firstSeq, lastSeq) as { rows: number; bytes: number };
      this.db
        .prepare(
          `INSERT INTO quarantine (seq, batch, status, reason, quarantined_at, enqueued_at, bytes, item)
           SELECT seq, ?, ?, ?, ?, enqueued_at, bytes, item FROM queue WHERE seq >= ? AND seq <= ?`,
        )
        .run(batchId, status, reason, now, firstSeq, lastSeq);
      this.deleteRange.run(firstSeq, lastSeq);
      return counted;
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
        `SELECT batch, count(*) AS rows, max(status) AS status, max(reason) AS reason, max(quarantined_at) AS quarantinedAt
           FROM quarantine GROUP BY batch ORDER BY min(seq)`,
      )
      .all() as QuarantinedBatch[];
  }

  /** Puts quarantined rows (one batch, or all) back at the end of the queue. Returns how many. */
  retryQuarantine(batch?: string): number {
    const where = batch === undefined ? '' : 'WHERE batch = ?';
    const args = batch === undefined ? [] : [batch];
    const moved = this.db.transaction(() => {
      const rows = this.db
        .prepare(`SELECT bytes, item FROM quarantine ${where} ORDER BY seq`)
        .all(...args) as { bytes: number; item: string }[];
      const now = this.options.now();
      for (const row of rows) this.insert.run(now, row.bytes, row.item);
      this.db.prepare(`DELETE FROM quarantine ${where}`).run(...args);
      return rows;
    })();
    this.rows += moved.length;
    this.bytes += moved.reduce((sum, row) => sum + row.bytes, 0);
    return moved.length;
  }

  /** Deletes quarantined rows (one batch, or all). Returns how many. */
  purgeQuarantine(batch?: string): number {
    const result =
      batch === undefined
        ? this.db.prepare('DELETE FROM quarantine').run()
        : this.db.prepare('DELETE FROM quarantine WHERE batch = ?').run(batch);
    this.vacuum();
    return result.changes;
  }

  /** Deletes every queued row (counted as dropped, reason "purge") and forgets batches in flight. */
  purge(): number {
    const { changes } = this.db.prepare('DELETE FROM queue').run();
    this.drops.purge += changes;
    this.rows = 0;
    this.bytes = 0;
    this.flights.clear();
    this.backlog = [];
    this.cursor = this.lastSeq;
    this.vacuum();
    return changes;
  }

  /** Drops rows older than maxAgeMs (reason "age"); batches in flight keep their place. Returns how many. */
  dropExpired(): number {
    if (this.options.maxAgeMs <= 0) return 0;
    const before = this.options.now() - this.options.maxAgeMs;
    const gone = this.db.prepare('DELETE FROM queue WHERE enqueued_at < ? RETURNING bytes').all(before) as {
      bytes: number;
    }[];
    this.rows -= gone.length;
    this.bytes -= gone.reduce((sum, row) => sum + row.bytes, 0);
    this.drops.age += gone.length;
    return gone.length;
  }

  stats(): QueueStats {
    const oldest = this.oldest.get() as { enqueued_at: number } | undefined;
    const quarantine = this.db
      .prepare('SELECT count(DISTINCT batch) AS batches, count(*) AS rows FROM quarantine')
      .get() as {
      batches: number;
      rows: number;
    };
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    let inFlightRows = 0;
    let waitingRetry = 0;
    for (const flight of this.flights.values()) {
      inFlightRows += flight.batch.items.length;
      if (flight.dueAt !== Infinity) waitingRetry++;
    }
    return {
      rows: this.rows,
      bytes: this.bytes,
      oldestAgeMs: oldest ? Math.max(0, this.options.now() - oldest.enqueued_at) : 0,
      inFlight: this.inFlightCount(),
      inFlightRows,
      waitingRetry,
      acked: this.acked,
      retries: this.retries,
      drops: { ...this.drops },
      quarantined: quarantine.batches,
      quarantinedRows: quarantine.rows,
      fileBytes: pages * pageSize,
      lastError: this.lastError,
    };
  }

  /** Forgets batches in flight (their rows stay queued and go out again) and closes the file. */
  close(): void {
    this.flights.clear();
    if (this.db.open) this.db.close();
  }

  private inFlightCount(): number {
    return this.flights.size;
  }

  private vacuum(): void {
    this.db.pragma('incremental_vacuum');
  }
}

function encode(item: unknown, index: number): string {
  if (typeof item !== 'object' || item === null) {
    throw new QueueRejectedError(
      `item ${index} must be an object (got ${item === null ? 'null' : typeof item}); nothing was stored`,
    );
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(item);
  } catch (error) {
    throw new QueueRejectedError(
      `item ${index} cannot be stored as JSON (${(error as Error).message}); nothing was stored`,
    );
  }
  return text;
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

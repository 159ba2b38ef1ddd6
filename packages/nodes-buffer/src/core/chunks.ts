import type Database from 'better-sqlite3';
import { QueueRejectedError } from './queue-errors.js';

// One row per chunk: the items of one message (up to a batch's worth) as one JSON array. Arrays are the fast
// path end to end: a message of 1,000 points costs one insert, one read and one delete, not 1,000 of each.
export const CHUNKS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS chunks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    enqueued_at INTEGER NOT NULL,
    count INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    items TEXT NOT NULL
  );
`;

/** A chunk's item count and its JSON text. */
export interface Chunk {
  count: number;
  text: string;
}

/** Items and bytes: what a set of chunks holds. */
export interface ChunkTotals {
  rows: number;
  bytes: number;
}

/** Consecutive chunks read as one batch's content. */
export interface ChunkRun {
  texts: string[];
  count: number;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
}

/** The chunks table: the queued items in seq order. Every method is one statement; callers own transactions. */
export class ChunkTable {
  private readonly insertChunk: Database.Statement;
  private readonly selectAfter: Database.Statement;
  private readonly selectRange: Database.Statement;
  private readonly deleteRangeReturning: Database.Statement;
  private readonly selectOldest: Database.Statement;
  private readonly deleteOldestReturning: Database.Statement;
  private readonly deleteBeforeReturning: Database.Statement;
  private readonly deleteAllReturning: Database.Statement;
  private readonly selectTotals: Database.Statement;

  constructor(db: Database.Database) {
    this.insertChunk = db.prepare(
      'INSERT INTO chunks (enqueued_at, count, bytes, items) VALUES (?, ?, ?, ?)',
    );
    // Rows as arrays, not objects: less to allocate on the drain's hot path.
    this.selectAfter = db
      .prepare('SELECT seq, count, bytes, items FROM chunks WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?')
      .raw();
    this.selectRange = db
      .prepare('SELECT count, items FROM chunks WHERE seq >= ? AND seq <= ? ORDER BY seq')
      .raw();
    this.deleteRangeReturning = db.prepare(
      'DELETE FROM chunks WHERE seq >= ? AND seq <= ? RETURNING count, bytes',
    );
    this.selectOldest = db.prepare('SELECT enqueued_at FROM chunks ORDER BY seq LIMIT 1').pluck();
    this.deleteOldestReturning = db.prepare(
      'DELETE FROM chunks WHERE seq = (SELECT seq FROM chunks ORDER BY seq LIMIT 1) RETURNING count, bytes',
    );
    this.deleteBeforeReturning = db.prepare(
      'DELETE FROM chunks WHERE enqueued_at < ? RETURNING count, bytes',
    );
    this.deleteAllReturning = db.prepare('DELETE FROM chunks RETURNING count, bytes');
    this.selectTotals = db.prepare(
      'SELECT coalesce(sum(count), 0) AS rows, coalesce(sum(bytes), 0) AS bytes, coalesce(max(seq), 0) AS last FROM chunks',
    );
  }

  /** Stores one chunk; returns its seq. `bytes` may differ from the text's length for a chunk stored before. */
  insert(enqueuedAt: number, count: number, bytes: number, text: string): number {
    return Number(this.insertChunk.run(enqueuedAt, count, bytes, text).lastInsertRowid);
  }

  /**
   * The chunks after `after` (up to `upTo`) that fit one batch: at least one, then as many as stay within
   * `batchRows` and `batchBytes`. Read one at a time and only as many as the batch takes: each may hold up to a
   * batch.
   */
  readRun(after: number, upTo: number, batchRows: number, batchBytes: number): ChunkRun | undefined {
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
    return texts.length === 0 ? undefined : { texts, count, bytes, firstSeq, lastSeq };
  }

  /** The chunks still stored in firstSeq..lastSeq: their texts and item count. */
  chunksIn(firstSeq: number, lastSeq: number): { texts: string[]; count: number } {
    const texts: string[] = [];
    let count = 0;
    for (const [chunkCount, text] of this.selectRange.all(firstSeq, lastSeq) as [number, string][]) {
      texts.push(text);
      count += chunkCount;
    }
    return { texts, count };
  }

  deleteRange(firstSeq: number, lastSeq: number): ChunkTotals {
    return sumChunks(this.deleteRangeReturning.all(firstSeq, lastSeq));
  }

  /** Deletes the oldest chunk; undefined when there is none. */
  deleteOldest(): ChunkTotals | undefined {
    const gone = this.deleteOldestReturning.get() as { count: number; bytes: number } | undefined;
    return gone && { rows: gone.count, bytes: gone.bytes };
  }

  deleteEnqueuedBefore(ts: number): ChunkTotals {
    return sumChunks(this.deleteBeforeReturning.all(ts));
  }

  deleteAll(): ChunkTotals {
    return sumChunks(this.deleteAllReturning.all());
  }

  /** When the oldest chunk was stored; undefined when the table is empty. */
  oldestEnqueuedAt(): number | undefined {
    return this.selectOldest.get() as number | undefined;
  }

  /** What is stored, and the highest seq. */
  totals(): ChunkTotals & { last: number } {
    return this.selectTotals.get() as ChunkTotals & { last: number };
  }
}

/**
 * Items as JSON arrays of at most a batch each (rows and bytes), so a chunk never has to be split later.
 * Throws QueueRejectedError for an item that is not a JSON object, or items JSON cannot hold.
 */
export function encodeChunks<T>(items: readonly T[], batchRows: number, batchBytes: number): Chunk[] {
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      const got = item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item;
      throw new QueueRejectedError(
        `item ${index} must be an object (got ${got}); nothing was stored`,
        'bad-items',
      );
    }
  }
  const chunks: Chunk[] = [];
  const add = (slice: readonly T[]) => {
    let text: string;
    try {
      text = JSON.stringify(slice);
    } catch (error) {
      throw new QueueRejectedError(
        `items cannot be stored as JSON (${(error as Error).message}); nothing was stored`,
        'bad-items',
      );
    }
    if (text.length > batchBytes && slice.length > 1) {
      const half = Math.ceil(slice.length / 2);
      add(slice.slice(0, half));
      add(slice.slice(half));
    } else {
      chunks.push({ count: slice.length, text });
    }
  };
  for (let start = 0; start < items.length; start += batchRows)
    add(items.length <= batchRows ? items : items.slice(start, start + batchRows));
  return chunks;
}

/** JSON array chunks, in order, as one JSON array text: no parse, so a batch can go out as the text it is. */
export function joinChunks(texts: string[]): string {
  return texts.length === 1 ? texts[0]! : `[${texts.map((text) => text.slice(1, -1)).join(',')}]`;
}

/** Adds up rows (count) and bytes of chunks as SQLite returns them. */
export function sumChunks(chunks: unknown[]): ChunkTotals {
  let rows = 0;
  let bytes = 0;
  for (const chunk of chunks as { count: number; bytes: number }[]) {
    rows += chunk.count;
    bytes += chunk.bytes;
  }
  return { rows, bytes };
}

import type Database from 'better-sqlite3';
import { sumChunks, type ChunkTotals } from './chunks.js';

// Refused chunks keep their seq, batch and the sink's answer, so a person can look, retry or purge per batch.
export const QUARANTINE_SCHEMA = `
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

export interface QuarantinedBatch {
  batch: string;
  rows: number;
  status: number | null;
  reason: string;
  quarantinedAt: number;
}

/** A quarantined chunk as it goes back to the queue. */
export interface QuarantinedChunk {
  count: number;
  bytes: number;
  items: string;
}

/** The quarantine table: batches the sink refused, set aside. Every method is one statement or two. */
export class QuarantineTable {
  private readonly copyIn: Database.Statement;
  private readonly totalsQuery: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.copyIn = db.prepare(
      `INSERT INTO quarantine (seq, batch, status, reason, quarantined_at, enqueued_at, count, bytes, items)
       SELECT seq, ?, ?, ?, ?, enqueued_at, count, bytes, items FROM chunks WHERE seq >= ? AND seq <= ?`,
    );
    this.totalsQuery = db.prepare(
      'SELECT count(DISTINCT batch) AS batches, coalesce(sum(count), 0) AS rows FROM quarantine',
    );
  }

  /** Copies the chunks firstSeq..lastSeq in as batch `batch`; the caller deletes them from the queue. */
  copyFromQueue(
    batch: string,
    status: number | null,
    reason: string,
    at: number,
    firstSeq: number,
    lastSeq: number,
  ): void {
    this.copyIn.run(batch, status, reason, at, firstSeq, lastSeq);
  }

  list(): QuarantinedBatch[] {
    return this.db
      .prepare(
        `SELECT batch, sum(count) AS rows, max(status) AS status, max(reason) AS reason, max(quarantined_at) AS quarantinedAt
           FROM quarantine GROUP BY batch ORDER BY min(seq)`,
      )
      .all() as QuarantinedBatch[];
  }

  /** Removes the chunks of one batch (or all) and returns them, oldest first, to be queued again. */
  take(batch?: string): QuarantinedChunk[] {
    const { where, args } = ofBatch(batch);
    const chunks = this.db
      .prepare(`SELECT count, bytes, items FROM quarantine ${where} ORDER BY seq`)
      .all(...args) as QuarantinedChunk[];
    this.db.prepare(`DELETE FROM quarantine ${where}`).run(...args);
    return chunks;
  }

  /** Deletes one batch (or all); returns what it held. */
  purge(batch?: string): ChunkTotals {
    const { where, args } = ofBatch(batch);
    return sumChunks(this.db.prepare(`DELETE FROM quarantine ${where} RETURNING count, bytes`).all(...args));
  }

  totals(): { batches: number; rows: number } {
    return this.totalsQuery.get() as { batches: number; rows: number };
  }
}

function ofBatch(batch: string | undefined): { where: string; args: string[] } {
  return batch === undefined ? { where: '', args: [] } : { where: 'WHERE batch = ?', args: [batch] };
}

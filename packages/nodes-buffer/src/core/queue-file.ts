import Database from 'better-sqlite3';
import { closeSync, existsSync, mkdirSync, openSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { QueueStorageError } from './queue-errors.js';

export interface QueueFile {
  db: Database.Database;
  /** Set when the file failed its check on open and was moved aside. */
  recovered: { movedTo: string; reason: string } | undefined;
  pageSize: number;
}

/**
 * Opens the queue's SQLite file, creating its folder when missing, and sets it up: WAL, the durability asked
 * for, a small WAL, the tables (`schema`), then the size cap (max_page_count) when there is one, so a small
 * cap cannot refuse the tables themselves. The file holds buffered telemetry and events: folders it creates are
 * the user's only (0700), and so is a new file (0600), whose WAL and shared-memory files SQLite gives the same
 * mode. An existing folder or file keeps the mode it has.
 */
export function openQueueFile(
  path: string,
  schema: string,
  { synchronous, maxFileBytes }: { synchronous: 'FULL' | 'NORMAL'; maxFileBytes: number },
): QueueFile {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { db, recovered } = openChecked(path);
  try {
    db.pragma(`synchronous = ${synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma('busy_timeout = 5000');
    // Checkpoint often and cap what the WAL keeps after a checkpoint, so it stays small.
    db.pragma('wal_autocheckpoint = 1000');
    db.pragma(`journal_size_limit = ${64 * 1024 ** 2}`);
    db.exec(schema);
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    if (maxFileBytes > 0) db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxFileBytes / pageSize))}`);
    return { db, recovered, pageSize };
  } catch (error) {
    db.close();
    throw unopenable(path, error);
  }
}

/**
 * Opens the file and checks it (PRAGMA quick_check). A corrupt file is renamed aside with a timestamp, with its
 * WAL and shared-memory files, and a fresh one takes its place: the node keeps running and says so. Any other
 * failure (a file this user may not write, a lock held by another program, a full disk) throws and leaves the
 * file as it is: its backlog is sound and waits for the cause to be fixed.
 */
function openChecked(path: string): Pick<QueueFile, 'db' | 'recovered'> {
  let db: Database.Database | undefined;
  let reason: string;
  try {
    db = open(path);
    const check = db.pragma('quick_check', { simple: true });
    if (check === 'ok') return { db, recovered: undefined };
    reason = `quick_check: ${String(check)}`;
  } catch (error) {
    if (!isCorruption(error)) {
      db?.close();
      throw unopenable(path, error);
    }
    reason = (error as Error).message;
  }
  db?.close();
  const movedTo = `${path}.corrupt-${new Date().toISOString().replaceAll(':', '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  }
  return { db: open(path), recovered: { movedTo, reason } };
}

/** SQLite's word that the file itself is damaged or is no database (extended codes: SQLITE_CORRUPT_VTAB, ...). */
function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)(_|$)/.test(code);
}

function unopenable(path: string, error: unknown): QueueStorageError {
  const code = String((error as { code?: unknown }).code ?? '');
  return new QueueStorageError(
    `cannot open the queue file ${path} (${(error as Error).message}); it is left as it is, with its items`,
    code,
  );
}

/**
 * Opens the file in WAL mode; closes it again when that fails, so no handle is left behind. A missing file is
 * created first, empty and for this user only (SQLite would create it 0644 under the usual umask 022).
 */
function open(path: string): Database.Database {
  createPrivate(path);
  const db = new Database(path);
  try {
    // auto_vacuum must be set before the first table exists; on an existing file this is a no-op.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Creates the file, empty and 0600, unless it exists (then it is left as it is, for SQLite to open or refuse). */
function createPrivate(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

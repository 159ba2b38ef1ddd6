import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  batchItems,
  DurableQueue,
  parseRetryAfter,
  QueueRejectedError,
  QueueStorageError,
  type Batch,
  type QueueOptions,
} from '../src/index.js';

const openQueue = fileURLToPath(new URL('./fixtures/open-queue.cjs', import.meta.url));
let dir: string;
let now: number;
const open: DurableQueue[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'plantwire-queue-'));
  now = 1_767_225_600_000;
});
afterEach(() => {
  for (const queue of open.splice(0)) queue.close();
  rmSync(dir, { recursive: true, force: true });
});

function queue(options: Partial<QueueOptions> = {}) {
  const q = new DurableQueue<{ n: number }>({
    path: join(dir, 'q.db'),
    now: () => now,
    monotonic: () => now,
    random: () => 0.5,
    minFreeBytes: 0,
    ...options,
  });
  open.push(q);
  return q;
}
const items = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ n: from + i }));
const ns = (batch: Batch | undefined) => batch && batchItems<{ n: number }>(batch).map((i) => i.n);

describe('DurableQueue', () => {
  it('stores in WAL mode with synchronous FULL and incremental auto-vacuum', () => {
    queue();
    const db = new Database(join(dir, 'q.db'), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    db.close();
    const q = queue({ path: join(dir, 'normal.db'), synchronous: 'NORMAL' });
    expect(q).toBeDefined();
  });

  it('keeps its folder and files to this user under umask 022: folders it creates 0700, the file, WAL and SHM 0600', () => {
    const umask = process.umask(0o022);
    try {
      const q = queue({ path: join(dir, 'buffer', 'sub', 'q.db') });
      q.enqueue(items(1, 3));
      const mode = (path: string) => statSync(join(dir, path)).mode & 0o777;
      expect(mode('buffer')).toBe(0o700);
      expect(mode('buffer/sub')).toBe(0o700);
      expect(existsSync(join(dir, 'buffer/sub/q.db-wal'))).toBe(true);
      expect(existsSync(join(dir, 'buffer/sub/q.db-shm'))).toBe(true);
      for (const file of ['q.db', 'q.db-wal', 'q.db-shm'])
        expect(mode(`buffer/sub/${file}`), file).toBe(0o600);
      // A folder the user chose keeps its mode; a file moved aside as corrupt is replaced by a 0600 one.
      mkdirSync(join(dir, 'chosen'), { mode: 0o755 });
      writeFileSync(join(dir, 'chosen', 'q.db'), 'not a database, '.repeat(100), { mode: 0o644 });
      expect(queue({ path: join(dir, 'chosen', 'q.db') }).recovered).toBeDefined();
      expect(mode('chosen')).toBe(0o755);
      expect(mode('chosen/q.db')).toBe(0o600);
    } finally {
      process.umask(umask);
    }
  });

  it('hands out FIFO batches by rows and bytes, one in flight by default', () => {
    const q = queue({ batchRows: 3 });
    q.enqueue(items(1, 7));
    const first = q.takeBatch()!;
    expect(ns(first)).toEqual([1, 2, 3]);
    expect(first).toMatchObject({ id: '1-1', attempt: 1, historical: false });
    expect(q.takeBatch()).toBeUndefined();
    expect(q.ack(first.id)).toBe(true);
    expect(ns(q.takeBatch())).toEqual([4, 5, 6]);
    const small = queue({ path: join(dir, 'bytes.db'), batchRows: 100, batchBytes: 20 });
    small.enqueue(items(1, 5));
    expect(ns(small.takeBatch())).toEqual([1, 2]);
  });

  it('lets a window of batches fly at once', () => {
    const q = queue({ batchRows: 2, window: 3 });
    q.enqueue(items(1, 10));
    expect([q.takeBatch(), q.takeBatch(), q.takeBatch(), q.takeBatch()].map(ns)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
      undefined,
    ]);
  });

  it('deletes a batch only when acked, and keeps everything else across a close and reopen', () => {
    const q = queue({ batchRows: 2 });
    q.enqueue(items(1, 5));
    q.ack(q.takeBatch()!.id);
    const inFlight = q.takeBatch()!;
    expect(ns(inFlight)).toEqual([3, 4]);
    q.close();
    const again = queue({ batchRows: 10 });
    expect(again.stats().rows).toBe(3);
    expect(ns(again.takeBatch())).toEqual([3, 4, 5]);
    expect(again.ack(inFlight.id)).toBe(false);
  });

  it('retries a nacked batch with the same id after capped exponential backoff with jitter', () => {
    const q = queue({ batchRows: 2, backoff: { baseMs: 1000, maxMs: 4000 } });
    q.enqueue(items(1, 4));
    const batch = q.takeBatch()!;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      q.nack(batch.id, 'HTTP 503');
      const due = q.nextDue() - now;
      delays.push(due);
      now += due - 1;
      expect(q.takeBatch()).toBeUndefined();
      now += 1;
      const again = q.takeBatch()!;
      expect(again).toMatchObject({ id: batch.id, attempt: attempt + 1 });
    }
    // Equal jitter with random 0.5: 3/4 of 1, 2, 4, 4 s.
    expect(delays).toEqual([750, 1500, 3000, 3000]);
    expect(q.stats()).toMatchObject({ retries: 4, lastError: 'HTTP 503' });
  });

  it('probes a sink it cannot connect to with one batch every base delay, and sends the rest at its first ack', () => {
    const q = queue({ batchRows: 2, window: 3, backoff: { baseMs: 1000, maxMs: 60_000 } });
    q.enqueue(items(1, 6));
    const sent = [q.takeBatch()!, q.takeBatch()!, q.takeBatch()!];
    expect(sent.map(ns)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    for (const batch of sent) q.couldNotConnect(batch.id, 'ECONNREFUSED');
    // Many refusals later the delay has not grown, and only one batch is out at a time.
    for (let attempt = 2; attempt <= 6; attempt++) {
      now = q.nextDue();
      const probe = q.takeBatch()!;
      expect(probe).toMatchObject({ id: sent[0]!.id, attempt });
      expect(q.takeBatch()).toBeUndefined();
      q.couldNotConnect(probe.id, 'ECONNREFUSED');
      expect(q.nextDue() - now).toBe(750);
    }
    expect(q.stats()).toMatchObject({ waitingRetry: 3, lastError: 'ECONNREFUSED' });
    now = q.nextDue();
    q.ack(q.takeBatch()!.id);
    // The link is back: the two behind the probe go at once, not on their own timers.
    expect([q.takeBatch(), q.takeBatch()].map(ns)).toEqual([
      [3, 4],
      [5, 6],
    ]);
  });

  it("a refused connection does not bring a 429's Retry-After forward", () => {
    const q = queue({ batchRows: 2, window: 2, backoff: { baseMs: 1000, maxMs: 60_000 } });
    q.enqueue(items(1, 4));
    const [limited, refused] = [q.takeBatch()!, q.takeBatch()!];
    q.nack(limited.id, 'HTTP 429', 30_000);
    q.couldNotConnect(refused.id, 'ECONNREFUSED');
    now += 750;
    expect(q.takeBatch()).toMatchObject({ id: refused.id });
    expect(q.takeBatch()).toBeUndefined();
    q.couldNotConnect(refused.id, 'ECONNREFUSED');
    now += 750;
    expect(q.takeBatch()).toMatchObject({ id: refused.id });
    expect(q.takeBatch()).toBeUndefined();
  });

  it('backs off as usual once the sink answers again, even with an error', () => {
    const q = queue({ batchRows: 2, window: 2, backoff: { baseMs: 1000, maxMs: 60_000 } });
    q.enqueue(items(1, 4));
    const [first, second] = [q.takeBatch()!, q.takeBatch()!];
    q.couldNotConnect(first.id, 'ECONNREFUSED');
    q.couldNotConnect(second.id, 'ECONNREFUSED');
    now = q.nextDue();
    const probe = q.takeBatch()!;
    expect(q.takeBatch()).toBeUndefined();
    // An answer, even a 503, shows the sink reachable: the window fills again, and the 503 backs off as usual.
    q.nack(probe.id, 'HTTP 503');
    expect(q.nextDue() - now).toBe(0);
    expect(q.takeBatch()).toMatchObject({ id: second.id, attempt: 2 });
    q.nack(second.id, 'HTTP 503');
    expect(q.nextDue() - now).toBe(750); // its first failed answer: the refused connection did not count
  });

  it('starts the backoff afresh for the first answer after many refused connections (a cloud restarting)', () => {
    const q = queue({ backoff: { baseMs: 1000, maxMs: 60_000 } });
    q.enqueue(items(1, 1));
    q.couldNotConnect(q.takeBatch()!.id, 'ECONNREFUSED');
    for (let probe = 2; probe <= 10; probe++) {
      now = q.nextDue();
      q.couldNotConnect(q.takeBatch()!.id, 'ECONNREFUSED');
    }
    // It listens again, but its flows are still starting: a 404 waits the base delay, not a grown backoff.
    now = q.nextDue();
    const batch = q.takeBatch()!;
    expect(batch.attempt).toBe(11);
    q.nack(batch.id, 'HTTP 404');
    expect(q.nextDue() - now).toBe(750);
    now = q.nextDue();
    q.nack(q.takeBatch()!.id, 'HTTP 404');
    expect(q.nextDue() - now).toBe(1500);
  });

  it('counts a second failure answer to one send once: the batch already waits to retry', () => {
    const q = queue({ backoff: { baseMs: 1000, maxMs: 60_000 } });
    q.enqueue(items(1, 1));
    const batch = q.takeBatch()!;
    expect(q.couldNotConnect(batch.id, 'RequestError: connect ECONNREFUSED')).toBe(true);
    const due = q.nextDue();
    expect(q.couldNotConnect(batch.id, 'ECONNREFUSED')).toBe(false);
    expect(q.nack(batch.id, 'HTTP 503')).toBe(false);
    expect(q.nextDue()).toBe(due);
    expect(q.stats()).toMatchObject({ retries: 1, lastError: 'RequestError: connect ECONNREFUSED' });
  });

  it('honours Retry-After', () => {
    const q = queue();
    q.enqueue(items(1, 1));
    q.nack(q.takeBatch()!.id, 'HTTP 429', 30_000);
    expect(q.nextDue() - now).toBe(30_000);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(['5'], now)).toBe(5000);
    expect(parseRetryAfter(new Date(now + 60_000).toUTCString(), now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(backoffDelay(40, { baseMs: 1000, maxMs: 60_000 }, () => 1)).toBe(60_000);
  });

  it('nacks a batch whose answer is overdue', () => {
    const q = queue();
    q.enqueue(items(1, 1));
    const batch = q.takeBatch()!;
    q.sent(batch.id, 5000);
    now += 4999;
    expect(q.expire()).toEqual([]);
    now += 1;
    expect(q.expire()).toEqual([batch.id]);
    expect(q.stats().lastError).toBe('no answer within the ack timeout');
  });

  it('quarantines a refused batch, goes on, and can retry or purge it', () => {
    const q = queue({ batchRows: 2 });
    q.enqueue(items(1, 4));
    const bad = q.takeBatch()!;
    q.quarantine(bad.id, 400, 'HTTP 400: bad point');
    expect(ns(q.takeBatch())).toEqual([3, 4]);
    expect(q.listQuarantine()).toEqual([
      { batch: '1-1', rows: 2, status: 400, reason: 'HTTP 400: bad point', quarantinedAt: now },
    ]);
    expect(q.stats()).toMatchObject({ rows: 2, quarantined: 1, quarantinedRows: 2 });
    expect(q.retryQuarantine('1-1')).toBe(2);
    expect(q.stats()).toMatchObject({ rows: 4, quarantined: 0 });
    q.ack('2-2');
    const retried = q.takeBatch()!;
    expect(ns(retried)).toEqual([1, 2]);
    q.quarantine(retried.id, 422, 'again');
    expect(q.purgeQuarantine()).toBe(2);
    expect(q.stats()).toMatchObject({ rows: 0, quarantined: 0 });
  });

  it('drops the oldest messages when full, counting every item', () => {
    const q = queue({ maxRows: 5 });
    q.enqueue(items(1, 4));
    q.enqueue(items(5, 3));
    // Whole messages go: the 4 oldest items leave together to make room for 3.
    expect(q.stats()).toMatchObject({ rows: 3, drops: { full: 4, age: 0, purge: 0 } });
    expect(ns(q.takeBatch())).toEqual([5, 6, 7]);
  });

  it('refuses new rows when full under reject-new, keeping what it has', () => {
    const q = queue({ maxRows: 5, fullPolicy: 'reject-new' });
    q.enqueue(items(1, 4));
    expect(() => q.enqueue(items(5, 2))).toThrow(QueueRejectedError);
    expect(() => q.enqueue(items(5, 2))).toThrow(
      /queue full \(4 items, .*limits 5 items.*2 new items refused/,
    );
    expect(q.stats().rows).toBe(4);
    expect(() => q.enqueue(items(1, 6))).toThrow(/6 items .* do not fit a queue of 5 items/);
  });

  it('bounds by bytes too', () => {
    const q = queue({ maxBytes: 50 });
    q.enqueue(items(1, 5));
    q.enqueue(items(6, 5));
    expect(q.stats().bytes).toBeLessThanOrEqual(50);
    expect(q.stats().drops.full).toBeGreaterThan(0);
  });

  it('drops rows older than the max age', () => {
    const q = queue({ maxAgeMs: 60_000 });
    q.enqueue(items(1, 2));
    now += 30_000;
    q.enqueue(items(3, 1));
    now += 40_000;
    expect(q.dropExpired()).toBe(2);
    expect(q.stats()).toMatchObject({ rows: 1, drops: { age: 2 } });
  });

  it('asks for expiry often enough that an item outlives the max age by at most 1%', () => {
    expect(queue().expiryIntervalMs).toBe(0);
    expect(queue({ maxAgeMs: 3_600_000 }).expiryIntervalMs).toBe(36_000);
    expect(queue({ maxAgeMs: 60_000 }).expiryIntervalMs).toBe(1_000);
    expect(queue({ maxAgeMs: 7 * 86_400_000 }).expiryIntervalMs).toBe(60_000);
  });

  it('refuses anything that is not a JSON object, storing nothing of that call', () => {
    const q = queue();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => q.enqueue([{ n: 1 }, 5 as never])).toThrow(
      /item 1 must be an object \(got number\); nothing was stored/,
    );
    expect(() => q.enqueue([circular as never])).toThrow(/items cannot be stored as JSON/);
    expect(q.stats().rows).toBe(0);
  });

  it('refuses new rows below the free-disk floor', () => {
    const q = queue({ minFreeBytes: Number.MAX_SAFE_INTEGER });
    expect(() => q.enqueue(items(1, 1))).toThrow(/disk almost full: .* MB free, the floor is/);
  });

  it('on a full disk refuses the new rows with a clear error and keeps every accepted one', () => {
    const q = queue({ maxFileBytes: 256 * 1024 });
    let accepted = 0;
    let error: unknown;
    const big = (n: number) => Array.from({ length: 100 }, (_, i) => ({ n: n + i, pad: 'x'.repeat(200) }));
    for (let n = 0; n < 10_000 && !error; n += 100) {
      try {
        q.enqueue(big(n));
        accepted += 100;
      } catch (caught) {
        error = caught;
      }
    }
    expect(error).toBeInstanceOf(QueueStorageError);
    expect((error as Error).message).toMatch(
      /storage full .* 100 new items refused; everything accepted before is kept/,
    );
    expect(q.stats()).toMatchObject({ rows: accepted });
    q.close();
    const reopened = queue({ batchRows: 100_000, batchBytes: 1e9 });
    const all = reopened.takeBatch()!;
    const items = batchItems<{ n: number }>(all);
    expect(items).toHaveLength(accepted);
    expect(items.every((item, i) => item.n === i)).toBe(true);
  });

  it.each([
    ['is no database at all', (path: string) => writeFileSync(path, Buffer.alloc(8192, 0x5a))],
    [
      'has a damaged page (quick_check)',
      (path: string) => {
        const before = queue({ batchRows: 10 });
        before.enqueue(Array.from({ length: 2000 }, (_, n) => ({ n, pad: 'x'.repeat(100) })));
        before.close();
        const fd = openSync(path, 'r+');
        writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 9 * 4096);
        closeSync(fd);
      },
    ],
  ])('moves a file that %s aside with a timestamp, starts fresh and says so', (_, damage) => {
    const path = join(dir, 'q.db');
    damage(path);
    const q = queue();
    expect(q.recovered?.movedTo).toMatch(/q\.db\.corrupt-\d{4}-\d{2}-\d{2}T/);
    expect(q.recovered?.reason).toMatch(/not a database|malformed|quick_check/);
    expect(existsSync(q.recovered!.movedTo)).toBe(true);
    q.enqueue(items(1, 1));
    expect(q.stats().rows).toBe(1);
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toHaveLength(1);
  });

  /** A queue file holding 3 items, closed: its path. */
  const savedQueue = () => {
    const saved = queue();
    saved.enqueue(items(1, 3));
    saved.close();
    return join(dir, 'q.db');
  };

  it('leaves a sound file it cannot open where it is, with its items, and says why: locked by another program', () => {
    const path = savedQueue();
    const other = new Database(path);
    other.pragma('locking_mode = EXCLUSIVE');
    other.exec('BEGIN EXCLUSIVE; COMMIT'); // holds the lock until it closes (the open waits 5 s for it)
    expect(() => queue()).toThrow(
      /cannot open the queue file .*q\.db \(database is locked\); it is left as it is, with its items/,
    );
    other.close();
    expect(readdirSync(dir)).toEqual(['q.db']);
    expect(queue().stats().rows).toBe(3);
  });

  it('leaves a file this user may not write where it is, with its items, and says why', () => {
    const path = savedQueue();
    // Rollback-journal mode, so that opening it writes (the switch to WAL); the folder stays writable, so moving
    // the file aside would succeed.
    const db = new Database(path);
    db.pragma('journal_mode = DELETE');
    db.close();
    chmodSync(path, 0o444);
    chmodSync(dir, 0o777);
    // The queue loads from dist in a child: root writes any file, so as root the child runs as nobody.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const opened = spawnSync(process.execPath, [openQueue, path], { encoding: 'utf8', ...asNobody });
    expect(JSON.parse(opened.stdout)).toEqual({
      name: 'QueueStorageError',
      error: expect.stringMatching(
        /cannot open the queue file .*q\.db \(attempt to write a readonly database\); it is left as it is/,
      ),
    });
    expect(readdirSync(dir)).toEqual(['q.db']);
    chmodSync(path, 0o644);
    expect(queue().stats().rows).toBe(3);
  });

  it('holds rows fewer than a batch until the first has waited the max wait; a full batch, a flush or a retry goes at once', () => {
    const q = queue({ batchRows: 3, maxWaitMs: 1000, window: 2 });
    q.enqueue(items(1, 2));
    expect(q.takeBatch()).toBeUndefined();
    now += 999;
    expect(q.takeBatch()).toBeUndefined();
    now += 1;
    const waited = q.takeBatch()!;
    expect(ns(waited)).toEqual([1, 2]);
    q.ack(waited.id);
    q.enqueue(items(10, 3));
    const full = q.takeBatch()!;
    expect(ns(full)).toEqual([10, 11, 12]);
    q.ack(full.id);
    q.enqueue(items(20, 1));
    expect(q.takeBatch()).toBeUndefined();
    q.flush();
    const flushed = q.takeBatch()!;
    expect(ns(flushed)).toEqual([20]);
    q.nack(flushed.id, 'down');
    now = q.nextDue();
    q.enqueue(items(30, 1));
    expect(q.takeBatch()).toMatchObject({ id: flushed.id, attempt: 2 });
    expect(q.takeBatch()).toBeUndefined();
    now += 1000;
    expect(ns(q.takeBatch())).toEqual([30]);
  });

  it('shrinks the file after draining (incremental vacuum)', () => {
    const q = queue({ batchRows: 5000, batchBytes: 1e9 });
    q.enqueue(Array.from({ length: 5000 }, (_, n) => ({ n, pad: 'y'.repeat(500) })));
    const full = q.stats().fileBytes;
    q.ack(q.takeBatch()!.id);
    expect(q.stats().fileBytes).toBeLessThan(full / 10);
  });

  it('live-first: new rows go out ahead of the backlog, which drains beside them as historical', () => {
    const first = queue({ batchRows: 2 });
    first.enqueue(items(1, 4));
    first.close();
    const q = queue({ batchRows: 2, order: 'live-first' });
    q.enqueue(items(100, 2));
    const sent: [number[] | undefined, boolean][] = [];
    for (let i = 0; i < 3; i++) {
      const batch = q.takeBatch()!;
      sent.push([ns(batch), batch.historical]);
      q.ack(batch.id);
    }
    expect(sent).toEqual([
      [[100, 101], false],
      [[1, 2], true],
      [[3, 4], true],
    ]);
  });

  /** Takes and acks every batch there is; their items in the order they went out. */
  const drain = (q: DurableQueue<{ n: number }>): (number[] | undefined)[] => {
    const order: (number[] | undefined)[] = [];
    for (let batch = q.takeBatch(); batch; batch = q.takeBatch()) {
      order.push(ns(batch));
      q.ack(batch.id);
    }
    return order;
  };

  it('live-first: after an outage the pile-up becomes backlog and new rows overtake it', () => {
    const q = queue({ batchRows: 2, order: 'live-first' });
    q.enqueue(items(1, 2));
    q.nack(q.takeBatch()!.id, 'down');
    q.enqueue(items(3, 4));
    now = q.nextDue();
    q.nack(q.takeBatch()!.id, 'still down'); // the sink was down with 3-6 stored: they piled up in the outage
    now = q.nextDue();
    q.ack(q.takeBatch()!.id); // the next retry gets through: recovered
    q.enqueue(items(50, 1));
    expect(drain(q)).toEqual([[50], [3, 4], [5, 6]]);
  });

  it('live-first: rows stored after the last failed send go out as new, not behind the backlog', () => {
    const q = queue({ batchRows: 2, order: 'live-first' });
    q.enqueue(items(1, 6));
    q.nack(q.takeBatch()!.id, 'down'); // down with 1-6 stored
    q.enqueue(items(50, 2)); // stored while the retry waits out its backoff: the sink may be back already
    now = q.nextDue();
    q.ack(q.takeBatch()!.id); // it was
    q.enqueue(items(60, 1));
    expect(drain(q)).toEqual([[50, 51], [3, 4], [60], [5, 6]]);
  });

  it('live-first: a backlog batch due for a retry goes after the new rows, a live one before them', () => {
    const first = queue({ batchRows: 2 });
    first.enqueue(items(1, 2));
    first.close();
    const q = queue({ batchRows: 2, window: 3, order: 'live-first' });
    const backlog = q.takeBatch()!;
    q.enqueue(items(10, 2));
    const live = q.takeBatch()!;
    expect([backlog.historical, live.historical]).toEqual([true, false]);
    q.nack(backlog.id, 'HTTP 503');
    q.nack(live.id, 'HTTP 503');
    q.enqueue(items(20, 1));
    now = q.nextDue();
    expect([q.takeBatch(), q.takeBatch(), q.takeBatch()].map(ns)).toEqual([[10, 11], [20], [1, 2]]);
  });

  it('live-first: once a refused sink is back, new rows go ahead of the batches that failed in the outage', () => {
    const q = queue({ batchRows: 2, window: 3, order: 'live-first' });
    q.enqueue(items(1, 6));
    const sent = [q.takeBatch()!, q.takeBatch()!, q.takeBatch()!];
    for (const batch of sent) q.couldNotConnect(batch.id, 'ECONNREFUSED');
    q.enqueue(items(50, 1)); // stored after the last failed send: it may have come after the link was back
    now = q.nextDue();
    q.ack(q.takeBatch()!.id); // the probe gets through
    const next = [q.takeBatch()!, q.takeBatch()!, q.takeBatch()!];
    expect(next.map((batch) => [ns(batch), batch.historical])).toEqual([
      [[50], false],
      [[3, 4], true],
      [[5, 6], true],
    ]);
  });

  it('purge drops everything queued, counted, and stale acks are ignored', () => {
    const q = queue();
    q.enqueue(items(1, 3));
    const batch = q.takeBatch()!;
    expect(q.purge()).toBe(3);
    expect(q.ack(batch.id)).toBe(false);
    expect(q.stats()).toMatchObject({ rows: 0, inFlight: 0, drops: { purge: 3 } });
  });

  it('keeps retrying on schedule when the wall clock jumps back or forward', () => {
    let wall = now;
    let steady = 0;
    const q = queue({
      path: join(dir, 'clock.db'),
      now: () => wall,
      monotonic: () => steady,
      maxAgeMs: 3_600_000,
    });
    q.enqueue(items(1, 2));
    const batch = q.takeBatch()!;
    q.nack(batch.id, 'HTTP 503');
    wall -= 86_400_000; // NTP steps the clock back a day
    steady += 1000;
    expect(q.takeBatch()).toMatchObject({ id: batch.id, attempt: 2 });
    q.nack(batch.id, 'HTTP 503');
    wall += 2 * 86_400_000; // and forward two days: ages jump, retries do not
    expect(q.takeBatch()).toBeUndefined();
    steady += 2000;
    expect(q.takeBatch()).toMatchObject({ id: batch.id, attempt: 3 });
    expect(q.dropExpired()).toBe(2);
    expect(q.stats()).toMatchObject({ rows: 0, drops: { age: 2 } });
  });
});

// The store-forward node: a thin Node-RED shell over DurableQueue (src/core). Group commit on input, batches
// out on output 1, results back on the input, stats on output 2.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { join } from 'node:path';
import { parseRetryAfter } from '../../core/backoff.js';
import {
  DurableQueue,
  type Batch,
  type FullPolicy,
  type OrderMode,
  type QueueStats,
} from '../../core/durable-queue.js';

interface StoreForwardDef extends NodeDef {
  storeName: string;
  directory: string;
  synchronous: 'FULL' | 'NORMAL';
  maxRows: string;
  maxMB: string;
  maxAgeHours: string;
  fullPolicy: FullPolicy;
  minFreeMB: string;
  batchRows: string;
  batchKB: string;
  maxWaitMs: string;
  window: string;
  order: OrderMode;
  ackTimeoutS: string;
  backoffBaseS: string;
  backoffMaxS: string;
  statsIntervalS: string;
}

interface StoreForwardMessage extends NodeMessage {
  control?: unknown;
  batch?: unknown;
  sf?: { store?: unknown; batch?: unknown };
  statusCode?: unknown;
  error?: { message?: unknown } | unknown;
  headers?: Record<string, unknown>;
}

type Send = (msg: (NodeMessage | null)[]) => void;
type Done = (error?: Error) => void;

const CONTROLS = ['pause', 'resume', 'flush', 'purge', 'stats', 'quarantine-retry', 'quarantine-purge'];
const STORE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const STATS_THROTTLE_MS = 250;

export = function register(RED: NodeAPI) {
  function StoreForwardNode(this: Node, def: StoreForwardDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const store = def.storeName?.trim() || node.id;
    const number = (value: string | undefined, fallback: number) => {
      const parsed = value === undefined || value === '' ? fallback : Number(value);
      if (!Number.isFinite(parsed) || parsed < 0)
        throw new Error(`store-forward: ${value} is not a number of 0 or more`);
      return parsed;
    };
    let queue: DurableQueue | undefined;
    let paused = false;
    let pump: NodeJS.Timeout | undefined;
    let statsTimer: NodeJS.Timeout | undefined;
    let pending: { items: unknown[]; done: Done }[] = [];
    let commitScheduled = false;
    let lastStatus = '';

    let ackTimeoutMs = 30_000;
    let maxWaitMs = 200;
    let batchRows = 1000;
    let ackRate = { at: Date.now(), acked: 0, perS: 0 };
    try {
      if (!STORE_NAME.test(store))
        throw new Error(`store name "${store}" must be letters, digits, '.', '_' or '-'`);
      const directory = def.directory?.trim() || join(RED.settings.userDir ?? '.', 'plantwire-buffer');
      ackTimeoutMs = number(def.ackTimeoutS, 30) * 1000;
      maxWaitMs = number(def.maxWaitMs, 200);
      batchRows = Math.max(1, number(def.batchRows, 1000));
      queue = new DurableQueue({
        path: join(directory, `${store}.db`),
        synchronous: def.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL',
        maxRows: number(def.maxRows, 10_000_000),
        maxBytes: number(def.maxMB, 2048) * 1024 ** 2,
        maxAgeMs: number(def.maxAgeHours, 0) * 3_600_000,
        fullPolicy: def.fullPolicy === 'reject-new' ? 'reject-new' : 'drop-oldest',
        minFreeBytes: number(def.minFreeMB, 64) * 1024 ** 2,
        batchRows,
        batchBytes: number(def.batchKB, 1024) * 1024,
        window: Math.max(1, number(def.window, 1)),
        order: def.order === 'live-first' ? 'live-first' : 'fifo',
        backoff: { baseMs: number(def.backoffBaseS, 1) * 1000, maxMs: number(def.backoffMaxS, 60) * 1000 },
      });
      if (queue.recovered) {
        node.warn(
          `store-forward: ${queue.path} was corrupt (${queue.recovered.reason}); moved to ${queue.recovered.movedTo}, started a fresh file`,
        );
      }
    } catch (error) {
      node.error(`store-forward: ${(error as Error).message}`);
      node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
    }

    const stats = (): QueueStats & { paused: boolean; ackedPerS: number; store: string; path: string } => {
      const now = Date.now();
      const current = queue!.stats();
      if (now - ackRate.at >= 1000)
        ackRate = {
          at: now,
          acked: current.acked,
          perS: ((current.acked - ackRate.acked) * 1000) / (now - ackRate.at),
        };
      return { ...current, paused, ackedPerS: Math.round(ackRate.perS), store, path: queue!.path };
    };

    // Status and stats cost a few SQL reads: at most one of each every STATS_THROTTLE_MS, the last change
    // always shown (a trailing update), so a fast drain is not slowed by its own bookkeeping.
    let reportedAt = 0;
    let reportTimer: NodeJS.Timeout | undefined;
    const report = (force = false) => {
      const wait = reportedAt + STATS_THROTTLE_MS - Date.now();
      if (!force && wait > 0) {
        reportTimer ??= setTimeout(() => {
          reportTimer = undefined;
          report(true);
        }, wait);
        return;
      }
      reportedAt = Date.now();
      const current = stats();
      node.send([null, { topic: 'stats', payload: current }]);
      const parts = [`${current.rows.toLocaleString('en-US')} queued`];
      if (current.rows > 0) parts.push(`oldest ${age(current.oldestAgeMs)}`);
      if (paused) parts.push('paused');
      if (current.waitingRetry > 0) parts.push(`retrying (${current.lastError})`);
      if (current.quarantined > 0) parts.push(`${current.quarantined} quarantined`);
      const text = parts.join(', ');
      if (text === lastStatus) return;
      lastStatus = text;
      const fill = current.waitingRetry > 0 || current.quarantined > 0 ? 'yellow' : paused ? 'grey' : 'green';
      node.status({ fill, shape: 'dot', text });
    };

    const emit = (batch: Batch) => {
      queue!.sent(batch.id, ackTimeoutMs);
      // The batch goes alone in its own send(): Node-RED clones every message after the first one of a send().
      node.send([
        {
          payload: batch.items,
          sf: {
            store,
            batch: batch.id,
            count: batch.items.length,
            attempt: batch.attempt,
            historical: batch.historical,
          },
        } as NodeMessage,
        null,
      ]);
    };

    const forward = () => {
      if (!queue || paused) return;
      const expired = queue.expire();
      if (expired.length > 0)
        node.warn(
          `store-forward: no answer for batch ${expired.join(', ')} within ${ackTimeoutMs / 1000} s: will retry`,
        );
      for (let batch = queue.takeBatch(); batch; batch = queue.takeBatch()) emit(batch);
    };

    const commit = () => {
      commitScheduled = false;
      const group = pending;
      pending = [];
      const write = (part: typeof group) =>
        queue!.enqueue(part.length === 1 ? part[0]!.items : part.flatMap((entry) => entry.items));
      try {
        // Group commit: every message of this turn in one transaction; each done() only after it commits.
        write(group);
        for (const entry of group) entry.done();
      } catch (error) {
        if (group.length === 1) {
          node.status({ fill: 'red', shape: 'ring', text: (error as Error).message.slice(0, 60) });
          group[0]!.done(error as Error);
        } else {
          // Keep one bad message from failing the others: commit them one by one.
          for (const entry of group) {
            try {
              write([entry]);
              entry.done();
            } catch (single) {
              node.status({ fill: 'red', shape: 'ring', text: (single as Error).message.slice(0, 60) });
              entry.done(single as Error);
            }
          }
        }
      }
      if (queue!.unsentRows() >= batchRows) forward();
      report();
    };

    const result = (msg: StoreForwardMessage, done: Done) => {
      const batch = String(msg.sf!.batch);
      const status = typeof msg.statusCode === 'number' ? msg.statusCode : Number(msg.statusCode);
      const hasStatus = msg.statusCode !== undefined && Number.isFinite(status);
      const errorText = msg.error
        ? String((msg.error as { message?: unknown }).message ?? msg.error)
        : undefined;
      if (msg.statusCode !== undefined && !hasStatus) {
        // The http request node puts a network error's code (ECONNREFUSED, ETIMEDOUT) in msg.statusCode.
        queue!.nack(batch, `${String(msg.statusCode)}${errorText ? `: ${errorText}` : ''}`);
      } else if (hasStatus && status >= 200 && status < 300) queue!.ack(batch);
      else if (hasStatus && status === 429) {
        queue!.nack(
          batch,
          'HTTP 429 Too Many Requests',
          parseRetryAfter(msg.headers?.['retry-after'], Date.now()),
        );
      } else if (hasStatus && (status >= 500 || status === 408)) queue!.nack(batch, `HTTP ${status}`);
      else if (hasStatus && status >= 400) {
        const body = typeof msg.payload === 'string' ? msg.payload : JSON.stringify(msg.payload ?? '');
        queue!.quarantine(batch, status, `HTTP ${status}: ${body.slice(0, 200)}`);
        node.warn(`store-forward: batch ${batch} refused with HTTP ${status}: moved to quarantine`);
      } else if (hasStatus) queue!.nack(batch, `HTTP ${status}`);
      else if (errorText !== undefined) queue!.nack(batch, errorText);
      else queue!.ack(batch); // passed on by a node that only passes on what it delivered (questdb-write)
      done();
      forward();
      report();
    };

    const control = (msg: StoreForwardMessage, done: Done) => {
      const command = String(msg.control);
      const target = typeof msg.batch === 'string' ? msg.batch : undefined;
      if (!CONTROLS.includes(command)) {
        return done(new Error(`store-forward: unknown control "${command}": use ${CONTROLS.join(', ')}`));
      }
      if (command === 'pause') paused = true;
      else if (command === 'resume') paused = false;
      else if (command === 'purge') node.warn(`store-forward: purged ${queue!.purge()} queued items`);
      else if (command === 'quarantine-retry') queue!.retryQuarantine(target);
      else if (command === 'quarantine-purge') queue!.purgeQuarantine(target);
      if (command !== 'pause') forward();
      report(true);
      done();
    };

    node.on('input', (msg: StoreForwardMessage, _send: Send, done: Done) => {
      if (!queue) return done(new Error('store-forward: not configured (see the error logged at deploy)'));
      if (msg.control !== undefined) return control(msg, done);
      if (msg.sf !== undefined && msg.sf !== null) {
        if (msg.sf.store !== store) {
          return done(
            new Error(
              `store-forward: msg.sf belongs to store "${String(msg.sf.store)}", not "${store}"; not stored again`,
            ),
          );
        }
        return result(msg, done);
      }
      const items = Array.isArray(msg.payload) ? msg.payload : [msg.payload];
      pending.push({ items, done });
      if (!commitScheduled) {
        commitScheduled = true;
        setImmediate(commit);
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(pump);
      clearInterval(statsTimer);
      clearTimeout(reportTimer);
      // Accepted messages waiting for this turn's commit are committed now, not dropped.
      if (pending.length > 0) commit();
      // Batches in flight keep their rows on disk: they go out again after the redeploy.
      queue?.close();
      done();
    });

    if (queue) {
      pump = setInterval(forward, Math.max(20, Math.min(maxWaitMs, 250)));
      const statsEvery = number(def.statsIntervalS, 10) * 1000;
      if (statsEvery > 0) {
        statsTimer = setInterval(() => {
          queue!.dropExpired();
          report(true);
        }, statsEvery);
      }
      report(true);
    }
  }

  RED.nodes.registerType('store-forward', StoreForwardNode);
};

function age(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}

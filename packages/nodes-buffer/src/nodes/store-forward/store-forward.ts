// The store-forward node: a thin Node-RED shell over DurableQueue (src/core). Group commit on input, batches
// out on output 1, results back on the input, stats on output 2.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { join, resolve } from 'node:path';
import {
  fileNameFor,
  nodeShell,
  registerNode,
  setting,
  SettingError,
  Throttle,
  type Done,
  type Send,
  type Settings,
} from '@plantwire/node-shell';
import { describeValue } from '@plantwire/telemetry';
import { batchOutcome, type BatchAnswer } from '../../core/batch-outcome.js';
import { DurableQueue, type Batch, type QueueStats } from '../../core/durable-queue.js';
import { batchItems } from '../../core/flights.js';
import { GroupCommit } from '../../core/group-commit.js';
import { refusalStatus } from '../../core/queue-errors.js';

const SETTINGS = {
  storeName: setting.identifier(),
  directory: setting.text(),
  synchronous: setting.choice('FULL', ['FULL', 'NORMAL']),
  maxRows: setting.integer(10_000_000, { min: 1 }),
  maxMB: setting.number(2048, { min: 1 }),
  maxAgeHours: setting.number(0),
  fullPolicy: setting.choice('drop-oldest', ['drop-oldest', 'reject-new']),
  minFreeMB: setting.number(64),
  batchRows: setting.integer(1000, { min: 1 }),
  batchKB: setting.number(1024, { min: 1 }),
  // Timers: Node runs a longer one at once (2^31 ms is 24.8 days); these maxima are far past any use.
  maxWaitMs: setting.number(200, { max: 3_600_000 }),
  window: setting.integer(1, { min: 1 }),
  order: setting.choice('fifo', ['fifo', 'live-first']),
  batchPayload: setting.choice('array', ['array', 'json']),
  // 0 would time out every batch at once and send it again and again.
  ackTimeoutS: setting.number(30, { min: 0.1, max: 86_400 }),
  backoffBaseS: setting.number(1, { min: 0.01, max: 86_400 }),
  backoffMaxS: setting.number(60, { min: 0.01, max: 86_400 }),
  statsIntervalS: setting.number(10, { max: 86_400 }),
};

interface StoreForwardMessage extends NodeMessage, BatchAnswer {
  control?: unknown;
  batch?: unknown;
  sf?: { store?: unknown; batch?: unknown };
}

const CONTROLS = ['pause', 'resume', 'flush', 'purge', 'stats', 'quarantine-retry', 'quarantine-purge'];
const STATS_THROTTLE_MS = 250;
/**
 * The queue files open in this process (resolved path -> the node's id): two nodes on one file would take and
 * delete each other's items, and their counts would go wrong.
 */
const storesInUse = new Map<string, string>();

export = function register(RED: NodeAPI) {
  function StoreForwardNode(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const shell = nodeShell(RED, node, 'store-forward');
    let queue: DurableQueue | undefined;
    let store = node.id;
    let paused = false;
    let pump: NodeJS.Timeout | undefined;
    let statsTimer: NodeJS.Timeout | undefined;
    let expiryTimer: NodeJS.Timeout | undefined;
    let ackRate = { at: Date.now(), acked: 0, perS: 0 };
    /** Why the last message was refused: red in the status until a message is stored again. */
    let refusal = '';
    let settings: Settings<typeof SETTINGS> | undefined;
    try {
      settings = shell.settings(def, SETTINGS);
      store = settings.storeName || node.id;
      // The first retry waiting longer than the longest wait: the cap would silently win over the base.
      if (settings.backoffBaseS > settings.backoffMaxS)
        throw new SettingError(
          'backoffBaseS',
          shell.text('errors.backoffOrder', { base: settings.backoffBaseS, max: settings.backoffMaxS }),
        );
      // A relative folder is the userDir's, not the working directory's (a service's is often /).
      const userDir = RED.settings.userDir ?? process.cwd();
      const directory = resolve(userDir, settings.directory || 'plantwire-buffer');
      const path = join(directory, `${fileNameFor(store)}.db`);
      const user = storesInUse.get(path);
      if (user !== undefined) throw new Error(shell.text('errors.storeInUse', { store, path, node: user }));
      queue = new DurableQueue({
        path,
        synchronous: settings.synchronous,
        maxRows: settings.maxRows,
        maxBytes: settings.maxMB * 1024 ** 2,
        maxAgeMs: settings.maxAgeHours * 3_600_000,
        fullPolicy: settings.fullPolicy,
        minFreeBytes: settings.minFreeMB * 1024 ** 2,
        batchRows: settings.batchRows,
        batchBytes: settings.batchKB * 1024,
        maxWaitMs: settings.maxWaitMs,
        window: settings.window,
        order: settings.order,
        backoff: { baseMs: settings.backoffBaseS * 1000, maxMs: settings.backoffMaxS * 1000 },
      });
      storesInUse.set(path, node.id);
      if (queue.recovered) {
        shell.warn('warnings.recovered', {
          path: queue.path,
          reason: queue.recovered.reason,
          movedTo: queue.recovered.movedTo,
        });
      }
    } catch (error) {
      shell.refuseSetup(error);
    }
    const ackTimeoutMs = (settings?.ackTimeoutS ?? 0) * 1000;

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

    // Status and stats cost a few SQL reads: throttled, so a fast drain is not slowed by its own bookkeeping.
    // Guarded: the reads can fail (an I/O error), and the throttle runs the report from a timer too.
    const report = new Throttle(
      STATS_THROTTLE_MS,
      shell.guard(() => {
        const current = stats();
        node.send([null, { topic: 'stats', payload: current }]);
        const parts = [shell.text('status.queued', { rows: current.rows.toLocaleString('en-US') })];
        if (current.rows > 0) parts.push(shell.text('status.oldest', { age: age(current.oldestAgeMs) }));
        if (paused) parts.push(shell.text('status.paused'));
        if (current.waitingRetry > 0)
          parts.push(shell.text('status.retrying', { error: current.lastError ?? '' }));
        if (current.quarantined > 0)
          parts.push(shell.text('status.quarantined', { count: current.quarantined }));
        const text = parts.join(', ');
        if (refusal) shell.status.error(refusal);
        else if (current.waitingRetry > 0 || current.quarantined > 0) shell.status.warn(text);
        else if (paused) shell.status.idle(text);
        else shell.status.ok(text);
      }),
    );

    // JSON text skips a parse here and a stringify in the http request node: the batch goes out as stored.
    const payloadOf = (batch: Batch): unknown =>
      settings!.batchPayload === 'json' ? batch.json : batchItems(batch);

    const emit = (batch: Batch) => {
      queue!.sent(batch.id, ackTimeoutMs);
      // The batch goes alone in its own send(): Node-RED clones every message after the first one of a send().
      node.send([
        {
          payload: payloadOf(batch),
          sf: {
            store,
            batch: batch.id,
            count: batch.count,
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
        shell.warn('warnings.noAnswer', { batches: expired.join(', '), seconds: ackTimeoutMs / 1000 });
      for (let batch = queue.takeBatch(); batch; batch = queue.takeBatch()) emit(batch);
    };

    // Runs from the group commit's setImmediate, where a thrown SQLite error would stop Node-RED: guarded.
    const forwardCommitted = shell.guard(() => {
      forward();
      report.request();
    });
    const commits = new GroupCommit(
      (items) => queue!.enqueue(items),
      (error) => {
        refusal = error?.message ?? '';
        forwardCommitted();
      },
    );

    const result = (msg: StoreForwardMessage, done: Done) => {
      const id = msg.sf!.batch;
      // A batch id is what this node sent out; anything else matches no batch (and must not throw).
      const batch = typeof id === 'string' || typeof id === 'number' ? String(id) : '';
      const outcome = batchOutcome(msg, Date.now());
      if (outcome.kind === 'ack') queue!.ack(batch);
      else if (outcome.kind === 'nack') queue!.nack(batch, outcome.reason, outcome.retryAfterMs);
      else if (outcome.kind === 'unreachable') queue!.couldNotConnect(batch, outcome.reason);
      // A stale batch (answered already, or sent before a redeploy) moves nowhere, and is not said to.
      else if (queue!.quarantine(batch, outcome.status, outcome.reason))
        shell.warn('warnings.quarantined', { batch, status: outcome.status });
      done();
      forward();
      report.request();
    };

    /**
     * quarantine-retry or quarantine-purge of the batch `given` names, or of every batch when it is absent. A
     * batch that is not an id, or names no quarantined batch, is refused: taken for "every batch", or answered
     * with success, it would act on the wrong items or hide a typo.
     */
    const quarantineControl = (command: string, given: unknown): Error | undefined => {
      const batch = typeof given === 'string' ? given : undefined;
      if (given !== undefined && batch === undefined)
        return shell.error('errors.batchNotId', { given: describeValue(given) });
      const rows =
        command === 'quarantine-retry' ? queue!.retryQuarantine(batch) : queue!.purgeQuarantine(batch);
      if (batch !== undefined && rows === 0) return shell.error('errors.noQuarantinedBatch', { batch });
      return undefined;
    };

    const control = (msg: StoreForwardMessage, done: Done) => {
      const command = typeof msg.control === 'string' ? msg.control : '';
      if (!CONTROLS.includes(command)) {
        const given = describeValue(msg.control);
        return done(shell.error('errors.unknownControl', { command: given, controls: CONTROLS.join(', ') }));
      }
      if (command === 'pause') paused = true;
      else if (command === 'resume') paused = false;
      else if (command === 'flush') queue!.flush();
      else if (command === 'purge') shell.warn('warnings.purged', { count: queue!.purge() });
      else if (command.startsWith('quarantine-')) {
        const refused = quarantineControl(command, msg.batch);
        if (refused) return done(refused);
      }
      if (command !== 'pause') forward();
      report.now();
      done();
    };

    node.on('input', (msg: StoreForwardMessage, _send: Send, done: Done) => {
      if (!queue) return done(shell.notConfigured());
      if (msg.control !== undefined) return control(msg, done);
      if (msg.sf !== undefined && msg.sf !== null) {
        if (msg.sf.store !== store)
          return done(shell.error('errors.foreignBatch', { other: describeValue(msg.sf.store), store }));
        return result(msg, done);
      }
      commits.add({
        items: Array.isArray(msg.payload) ? msg.payload : [msg.payload],
        done: (error) => {
          // For a Catch node answering the sender: whether sending the same again can work (see refusalStatus).
          if (error) msg.statusCode = refusalStatus(error);
          done(error);
        },
      });
    });

    shell.onClose(() => {
      clearInterval(pump);
      clearInterval(statsTimer);
      clearInterval(expiryTimer);
      // Accepted messages waiting for this turn's commit are committed now, not dropped.
      if (queue) commits.commit();
      report.cancel();
      // Batches in flight keep their rows on disk: they go out again after the redeploy.
      if (queue) {
        queue.close();
        storesInUse.delete(queue.path);
      }
    });

    if (queue && settings) {
      // The timers touch SQLite, which can fail (a full disk): guarded, the node says so and Node-RED runs on.
      // The pump also sends retries that came due and notices overdue answers: it ticks at least every 250 ms
      // whatever the max wait, which the queue applies to new rows (takeBatch).
      pump = setInterval(shell.guard(forward), Math.max(20, Math.min(settings.maxWaitMs, 250)));
      const statsEvery = settings.statsIntervalS * 1000;
      if (statsEvery > 0) statsTimer = setInterval(() => report.now(), statsEvery);
      // The max age holds whether or not stats are sent.
      if (queue.expiryIntervalMs > 0) {
        expiryTimer = setInterval(
          shell.guard(() => {
            if (queue!.dropExpired() > 0) report.request();
          }),
          queue.expiryIntervalMs,
        );
      }
      report.now();
    }
  }

  registerNode(RED, 'store-forward', StoreForwardNode, SETTINGS);
};

function age(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}

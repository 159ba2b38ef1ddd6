// What anomaly-detect and forecast do alike with a message of telemetry points (one point or an array): each
// goes to the node's core on its own, and a point the core refuses is counted with its reason (the first few
// quoted) while the others go on. A message that is not points, or that had points refused, ends with an error
// for Catch nodes and a red status until the next good one; otherwise the status shows the node's counts.
// What the core learned is kept in a file under the userDir, so a restart or a redeploy does not start every
// series afresh (a seasonal model learns over days, a detector's warm-up takes 150 samples or more); a message
// with msg.reset forgets the series it names (true: all), as after a repair.
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { join } from 'node:path';
import { describeValue } from '@plantwire/telemetry';
import { fileNameFor, Throttle, type Done, type NodeShell, type Send } from '@plantwire/node-shell';
import { AnomalyInputError } from '../core/anomaly-detector.js';
import { version } from '../../package.json';

const REASONS_SHOWN = 3;
/** At most one status update a second, the last change always shown. */
const STATUS_EVERY_MS = 1000;
/**
 * What was learned is saved at most once a minute while points come (written in the background), and on close:
 * a crash loses at most a minute of learning, and a plant's thousands of series cost one write a minute.
 */
const LEARNED_SAVE_EVERY_MS = 60_000;

/** A core whose series' learning outlives the process. */
export interface Learner {
  snapshot(): unknown;
  /** Takes what snapshot() gave; throws, taking nothing, on anything else. */
  restore(saved: unknown): void;
  /** Lets go of every series. */
  clear(): void;
  /**
   * Forgets the series msg.reset names (true: all; a pattern: those it matches, perhaps none) and says how many;
   * throws an AnomalyInputError, forgetting nothing, for a reset that is neither.
   */
  forget(reset: unknown): number;
}

export interface PointsNode<Core> {
  /** The node's counts for its status (`status.counts`); a warning is shown yellow, not green. */
  status(core: Core): { counts: string; warning: boolean };
  /**
   * Takes the points of msg.payload (an object: one point or an array) with eachPoint and sends what came of
   * them; returns eachPoint's error, if any.
   */
  input(core: Core, msg: NodeMessage, payload: object, send: Send): Error | undefined;
  /**
   * The core's learning, kept across restarts and redeploys and let go of on close, and the settings that shape
   * it: what was saved with other ones is not restored.
   */
  learning(core: Core): { learner: Learner; settings: Record<string, unknown> };
}

/**
 * Handles a points node's input, status and close. `core` is what its settings built, undefined when they were
 * refused (the node then answers each message with the not-configured error).
 */
export function takePoints<Core>(
  RED: NodeAPI,
  node: Node,
  shell: NodeShell,
  core: Core | undefined,
  handler: PointsNode<Core>,
): void {
  let failing = '';
  const status = new Throttle(STATUS_EVERY_MS, () => {
    const { counts, warning } = handler.status(core!);
    if (failing) shell.status.error(shell.text('status.failing', { counts, error: failing }));
    else if (warning) shell.status.warn(counts);
    else shell.status.ok(counts);
  });
  const end = (done: Done, error?: Error) => {
    failing = error?.message ?? '';
    status.request();
    done(error);
  };

  const { learner, settings } = core === undefined ? {} : handler.learning(core);
  const learned =
    learner &&
    shell.keepState(join(RED.settings.userDir ?? '.', 'plantwire-learned', `${fileNameFor(node.id)}.json`), {
      snapshot: () => learner.snapshot(),
      restore: (saved) => learner.restore(saved),
      // The next save is tried on the next points (and on close); the log says why it failed.
      saveEveryMs: LEARNED_SAVE_EVERY_MS,
      validFor: { version, settings },
    });

  node.on('input', (msg: NodeMessage & { reset?: unknown }, send: Send, done: Done) => {
    if (core === undefined) return done(shell.notConfigured());
    // As Node-RED's own filter and smooth nodes: a message with msg.reset clears state, and goes no further.
    if (msg.reset !== undefined) return end(done, forget(msg.reset));
    const payload = msg.payload;
    if (payload === null || typeof payload !== 'object')
      return end(done, shell.error('errors.notPoints', { got: describeValue(payload) }));
    end(done, handler.input(core, msg, payload, send));
    learned!.saveSoon();
  });

  /** Forgets the series `reset` names; returns the error to end the message with for a reset that is not one. */
  const forget = (reset: unknown): Error | undefined => {
    try {
      learner!.forget(reset);
    } catch (error) {
      if (!(error instanceof AnomalyInputError)) throw error;
      return shell.error('errors.reset', { reason: error.message });
    }
    learned!.saveSoon();
    return undefined;
  };

  shell.onClose(async () => {
    status.cancel();
    await learned?.save();
    learner?.clear();
  });
}

/**
 * Runs `step` on every point of `payload` (one point or an array). Returns the error to end the message with when
 * any was refused (`errors.refusedThePoint` / `errors.refused` in the node's catalogue), else undefined.
 */
export function eachPoint(
  shell: NodeShell,
  payload: object,
  step: (item: unknown) => void,
): Error | undefined {
  const items = Array.isArray(payload) ? (payload as unknown[]) : [payload];
  const reasons: string[] = [];
  let refused = 0;
  for (let i = 0; i < items.length; i++) {
    try {
      step(items[i]);
    } catch (error) {
      if (!(error instanceof AnomalyInputError)) throw error;
      refused++;
      if (reasons.length < REASONS_SHOWN)
        reasons.push(`${Array.isArray(payload) ? `payload[${i}]` : 'payload'}: ${error.message}`);
    }
  }
  if (refused === 0) return undefined;
  const listed = `${reasons.join('; ')}${refused > reasons.length ? '; ...' : ''}`;
  const key = items.length === 1 ? 'errors.refusedThePoint' : 'errors.refused';
  return shell.error(key, { refused, count: items.length, reasons: listed });
}

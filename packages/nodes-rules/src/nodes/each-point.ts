// What anomaly-detect and forecast do alike with a message's points: each goes to the core on its own; a point
// the core refuses is counted with its reason (the first few quoted) and the others go on.
import type { NodeShell } from '@plantwire/node-shell';
import { AnomalyInputError } from '../core/anomaly-detector.js';

const REASONS_SHOWN = 3;

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

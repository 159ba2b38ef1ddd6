// Work a node does once every flow has started, when its messages reach their wires (a restored alarm list, a
// notification that came due while Node-RED was down). One listener per runtime for all nodes: a listener per
// node would trip Node's warning at more than ten.
import type { EventEmitter } from 'node:events';

const startQueues = new WeakMap<EventEmitter, Set<() => void>>();

/** The runtime's queue of work waiting for its next 'flows:started'. */
export function startQueue(events: EventEmitter): Set<() => void> {
  let queue = startQueues.get(events);
  if (!queue) {
    const waiting = new Set<() => void>();
    events.on('flows:started', () => {
      // Each taken off before it runs, so none runs twice. What one throws is its node's to report
      // (shell.afterFlowsStart guards it): thrown here, it would stop the others and escape Node-RED's flow start.
      for (const start of [...waiting]) {
        waiting.delete(start);
        start();
      }
    });
    startQueues.set(events, waiting);
    queue = waiting;
  }
  return queue;
}

// The node status under a node in the editor, in six states, each with one look in every Plantwire node.
import type { Node, NodeStatus } from 'node-red';

/** Longer status texts are cut here (the editor draws them on the canvas, under the node). */
export const STATUS_TEXT_MAX = 60;

const LOOKS = {
  ok: { fill: 'green', shape: 'dot' },
  warn: { fill: 'yellow', shape: 'dot' },
  error: { fill: 'red', shape: 'ring' },
  // Running well, but a person is needed (unacknowledged alarms): red, yet not the ring of a failure.
  alert: { fill: 'red', shape: 'dot' },
  // Not failed yet: waiting for something outside to come back (a server being retried, unreachable meanwhile).
  waiting: { fill: 'yellow', shape: 'ring' },
  idle: { fill: 'grey', shape: 'ring' },
  busy: { fill: 'blue', shape: 'dot' },
} as const;
export type StatusKind = keyof typeof LOOKS;

export function statusOf(kind: StatusKind, text: string): NodeStatus {
  return { ...LOOKS[kind], text: text.length > STATUS_TEXT_MAX ? text.slice(0, STATUS_TEXT_MAX) : text };
}

/** Shows a node's status; a status equal to the one shown is not sent again (each costs a message to editors). */
export class StatusLight {
  private shown = '';

  constructor(private readonly node: Pick<Node, 'status'>) {}

  show(kind: StatusKind, text: string): void {
    const status = statusOf(kind, text);
    const key = `${kind}:${status.text}`;
    if (key === this.shown) return;
    this.shown = key;
    this.node.status(status);
  }

  ok(text: string): void {
    this.show('ok', text);
  }
  warn(text: string): void {
    this.show('warn', text);
  }
  error(text: string): void {
    this.show('error', text);
  }
  alert(text: string): void {
    this.show('alert', text);
  }
  waiting(text: string): void {
    this.show('waiting', text);
  }
  idle(text: string): void {
    this.show('idle', text);
  }
  busy(text: string): void {
    this.show('busy', text);
  }
}

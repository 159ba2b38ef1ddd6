// What the answer to a forwarded batch means for it: the store-and-forward contract (docs/architecture.md, 3)
// as one decision, from what the http request node (or a Catch node, or questdb-write) hands back.
import { parseRetryAfter } from './backoff.js';

/** The parts of a returned message that decide a batch's fate. */
export interface BatchAnswer {
  statusCode?: unknown;
  error?: unknown;
  payload?: unknown;
  headers?: Record<string, unknown>;
}

export type BatchOutcome =
  | { kind: 'ack' }
  /** Retry later: after retryAfterMs when the server said when (429 or 503 Retry-After), else on the backoff. */
  | { kind: 'nack'; reason: string; retryAfterMs?: number }
  /** Retry soon: no connection could be made (refused, no route), so the sink never saw it and trying costs it nothing. */
  | { kind: 'unreachable'; reason: string }
  /** The server refused the data itself (4xx but 404, 408, 429): set aside, the queue goes on. */
  | { kind: 'quarantine'; status: number; reason: string };

/** A connection never made (refused, no route): nothing reached the sink. */
const NO_CONNECTION = /\b(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENETDOWN)\b/;

/** How much of a refusing server's answer a quarantined batch keeps. */
const QUARANTINE_BODY_CHARS = 200;

export function batchOutcome(answer: BatchAnswer, now: number): BatchOutcome {
  const status = typeof answer.statusCode === 'number' ? answer.statusCode : Number(answer.statusCode);
  const hasStatus = answer.statusCode !== undefined && Number.isFinite(status);
  const errorText = answer.error
    ? String((answer.error as { message?: unknown }).message ?? answer.error)
    : undefined;
  if (answer.statusCode !== undefined && !hasStatus) {
    // The http request node puts a network error's code (ECONNREFUSED, ETIMEDOUT) in msg.statusCode.
    const reason = `${String(answer.statusCode)}${errorText ? `: ${errorText}` : ''}`;
    return { kind: NO_CONNECTION.test(String(answer.statusCode)) ? 'unreachable' : 'nack', reason };
  }
  if (hasStatus) {
    if (status >= 200 && status < 300) return { kind: 'ack' };
    if (status === 429) {
      return {
        kind: 'nack',
        reason: 'HTTP 429 Too Many Requests',
        retryAfterMs: parseRetryAfter(answer.headers?.['retry-after'], now),
      };
    }
    // 404 is the endpoint, not the data: a Node-RED that is starting answers it until its flows run (found by
    // the chaos run: a restarted cloud's first seconds), and a wrong URL is fixed by its owner, not by a quarantine.
    if (status === 404) return { kind: 'nack', reason: 'HTTP 404: no such endpoint (yet)' };
    if (status >= 400 && status < 500 && status !== 408) {
      const body = typeof answer.payload === 'string' ? answer.payload : JSON.stringify(answer.payload ?? '');
      return {
        kind: 'quarantine',
        status,
        reason: `HTTP ${status}: ${body.slice(0, QUARANTINE_BODY_CHARS)}`,
      };
    }
    // A 503's Retry-After is how long the service expects to be down (RFC 9110): trying sooner only adds load.
    const retryAfterMs = status === 503 ? parseRetryAfter(answer.headers?.['retry-after'], now) : undefined;
    return { kind: 'nack', reason: `HTTP ${status}`, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }
  // A Catch node's copy of the http request node's message has no code yet, but the error text names it.
  if (errorText !== undefined)
    return { kind: NO_CONNECTION.test(errorText) ? 'unreachable' : 'nack', reason: errorText };
  // Passed on by a node that only passes on what it delivered (questdb-write).
  return { kind: 'ack' };
}

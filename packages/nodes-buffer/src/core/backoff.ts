/** Retry timing: capped exponential backoff with jitter, and the HTTP Retry-After header. */
export interface BackoffOptions {
  /** First retry after about this long (ms). */
  baseMs: number;
  /** Never wait longer than this (ms). */
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (1 = first retry): base * 2^(attempt-1), capped, with "equal jitter"
 * (half fixed, half random) so many edges that failed together do not retry together.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Retry-After as ms from `now`: delta-seconds or an HTTP-date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text === 'number' && Number.isFinite(text) && text >= 0) return text * 1000;
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

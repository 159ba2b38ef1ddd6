// Node's setTimeout holds at most 2^31-1 ms (24.8 days): a longer delay overflows and runs at once.

export const MAX_TIMER_MS = 2_147_483_647;

/** The delay for a timer due at `due`: 0 if it is due already, at most MAX_TIMER_MS (re-arm when it fires). */
export function delayUntil(due: number, now: number): number {
  return Math.min(Math.max(0, due - now), MAX_TIMER_MS);
}

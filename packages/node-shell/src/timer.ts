// Node's setTimeout holds at most 2^31-1 ms (24.8 days): a longer delay overflows and runs at once.

export const MAX_TIMER_MS = 2_147_483_647;

/** The delay for a timer due at `due`: 0 if it is due already, at most MAX_TIMER_MS (re-arm when it fires). */
export function delayUntil(due: number, now: number): number {
  return Math.min(Math.max(0, due - now), MAX_TIMER_MS);
}

/**
 * Waits for `work` to settle, at most `ms`: a node's close must end before Node-RED's own close timeout (15 s),
 * whatever a server it waits on does.
 */
export async function settledWithin(work: Promise<unknown>[], ms = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([Promise.allSettled(work), timeout]);
  clearTimeout(timer);
}

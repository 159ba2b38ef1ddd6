// Shift pattern (UTC hours): early and late shifts at full and 90% load, the night shift at 60%, weekends 50%.
const SHIFT_LOAD = [
  0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 1, 1, 1, 1, 1, 1, 1, 1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.6, 0.6,
];

/** Plant load 0..1 at `ts`: shift and weekday pattern with a gentle daily swing. */
export function loadFactor(ts: number): number {
  const date = new Date(ts);
  const day = date.getUTCDay();
  const hours = date.getUTCHours() + date.getUTCMinutes() / 60;
  const weekday = day === 0 || day === 6 ? 0.5 : 1;
  return SHIFT_LOAD[date.getUTCHours()]! * weekday * (1 + 0.05 * Math.sin((2 * Math.PI * hours) / 24));
}

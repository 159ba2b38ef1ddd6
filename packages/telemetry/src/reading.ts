/**
 * A reading as messages for people show it (alarm and anomaly texts): at most 3 decimals, so a sensor's
 * 44.002920883055126 reads 44.003; NaN and the infinities as themselves.
 */
export function formatReading(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 1000) / 1000) : String(value);
}

import { TelemetryError } from './errors.js';
import { describeValue } from './identifier.js';

/** 2000-01-01T00:00:00Z: earlier epoch values are almost always seconds sent where milliseconds belong. */
export const MIN_TS_MS = 946_684_800_000;
/** 2100-01-01T00:00:00Z. */
export const MAX_TS_MS = 4_102_444_800_000;

/**
 * Event time to integer epoch milliseconds: a number (fractions are floored) or an ISO-8601 date-time that
 * names its zone. Throws a TelemetryError naming the rule otherwise.
 */
export function normaliseTs(ts: unknown): number {
  let ms: number;
  if (typeof ts === 'number') {
    ms = Math.floor(ts);
  } else if (typeof ts === 'string' && ISO_WITH_ZONE.test(ts) && isCalendarDate(ts)) {
    ms = Date.parse(ts);
  } else {
    throw new TelemetryError({
      field: 'ts',
      rule: 'type',
      reason: `ts must be epoch milliseconds or an ISO-8601 date-time with a zone (got ${describeValue(ts)})`,
    });
  }
  if (Number.isNaN(ms)) {
    // The shape of a date-time, but no time of day there is (25:00, an offset of +05:60).
    throw new TelemetryError({
      field: 'ts',
      rule: 'type',
      reason: `ts is not a valid date-time (got ${describeValue(ts)})`,
    });
  }
  if (!(ms >= MIN_TS_MS && ms <= MAX_TS_MS)) {
    throw new TelemetryError({
      field: 'ts',
      rule: 'range',
      reason:
        typeof ts === 'number' && ts > 0 && ts < MIN_TS_MS
          ? `ts ${ts} is before 2000-01-01 as milliseconds: send epoch milliseconds, not seconds`
          : `ts must be a real time between 2000-01-01 and 2100-01-01 (got ${describeValue(ts)})`,
    });
  }
  return ms;
}

/** The same shape the schema checks: a date, a time and a zone (Z or an offset); no local times. */
export const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}:?\d{2})$/;

/** Date.parse rolls 2024-02-30 over into March: refuse days the month does not have. */
function isCalendarDate(iso: string): boolean {
  const year = Number(iso.slice(0, 4));
  const month = Number(iso.slice(5, 7));
  const day = Number(iso.slice(8, 10));
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

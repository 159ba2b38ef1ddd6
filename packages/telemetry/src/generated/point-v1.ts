/* Generated from schema/point.v1.json by scripts/gen-types.mjs: do not edit. */

/**
 * 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit.
 */
export type Identifier = string;

/**
 * One telemetry point, schema v1, as a sender may write it. Inside Plantwire ts is normalised to integer epoch milliseconds, unit defaults to "" and q to 100.
 */
export interface PointInput {
  /**
   * Event time at the source: epoch milliseconds (2000-01-01 to 2100-01-01; seconds are refused) or an ISO-8601 date-time with a zone.
   */
  ts: number | string;
  /**
   * UUID made once at the source (UUIDv7 from the SDK); the idempotency key end to end.
   */
  id: string;
  tenant: Identifier;
  plant: Identifier;
  line: Identifier;
  machine: Identifier;
  metric: Identifier;
  /**
   * The measured value: a finite number.
   */
  value: number;
  /**
   * Engineering unit, for example degC, mm/s, kW.
   */
  unit?: string;
  /**
   * Quality 0..100, 100 = good.
   */
  q?: number;
}

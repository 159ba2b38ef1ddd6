import { TelemetryError } from './errors.js';
import { IDENTIFIER_SOURCE, matchesIdentifier } from './patterns.js';

/** The identifier rule of schema v1 (tenant, plant, line, machine, metric); it keeps MQTT wildcards and '/' out. */
export const IDENTIFIER_PATTERN = new RegExp(IDENTIFIER_SOURCE);
export const IDENTIFIER_RULE =
  "1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit";

export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && matchesIdentifier(value);
}

export function assertIdentifier(field: string, value: unknown): string {
  if (!isIdentifier(value)) {
    throw new TelemetryError({
      field,
      rule: 'pattern',
      reason: `${field} must be ${IDENTIFIER_RULE} (got ${describeValue(value)})`,
    });
  }
  return value;
}

/** A short, safe rendering of a bad value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number') return String(value);
  if (value === null || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

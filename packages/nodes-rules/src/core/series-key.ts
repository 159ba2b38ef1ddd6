// Series keys: which point fields name a series. threshold-alarm and anomaly-detect offer the same choices;
// their editors' key <select> lists them too (Node-RED loads each editor on its own; a test keeps them equal).
import { IDENTIFIER_RULE, describeValue, isIdentifier } from '@plantwire/telemetry';

/** Which point fields make a series key; the metric is always last, the machine key is the key without it. */
export const KEY_FIELDS = {
  'machine/metric': ['machine', 'metric'],
  'line/machine/metric': ['line', 'machine', 'metric'],
  'plant/line/machine/metric': ['plant', 'line', 'machine', 'metric'],
  'tenant/plant/line/machine/metric': ['tenant', 'plant', 'line', 'machine', 'metric'],
} as const;
export type KeyFields = keyof typeof KEY_FIELDS;

export function isKeyFields(name: unknown): name is KeyFields {
  return typeof name === 'string' && Object.hasOwn(KEY_FIELDS, name);
}

/** A point's key fields joined by '/' (identifiers never contain '/', so one key names one series only). */
export function seriesKey(point: Record<string, unknown>, fields: readonly string[]): string | undefined {
  let key = '';
  for (let f = 0; f < fields.length; f++) {
    const part = point[fields[f]!];
    if (!isIdentifier(part)) return undefined;
    key = f === 0 ? part : `${key}/${part}`;
  }
  return key;
}

/** Why a point has no series key (its first key field that is not an identifier), or undefined if it has one. */
export function keyFieldProblem(
  point: Record<string, unknown>,
  fields: readonly string[],
): string | undefined {
  const field = fields.find((name) => !isIdentifier(point[name]));
  return field === undefined
    ? undefined
    : `${field} must be ${IDENTIFIER_RULE} (got ${describeValue(point[field])})`;
}

import { TelemetryError } from './errors.js';
import { assertIdentifier } from './identifier.js';
import type { Point } from './point.js';

export type SeriesKey = Pick<Point, 'tenant' | 'plant' | 'line' | 'machine' | 'metric'>;

const KEY_FIELDS = ['tenant', 'plant', 'line', 'machine', 'metric'] as const;

/** MQTT subscription for every point of every tenant: `v1/+/+/+/+/+`. */
export const POINT_TOPIC_FILTER = 'v1/+/+/+/+/+';

/** `v1/{tenant}/{plant}/{line}/{machine}/{metric}`; every part must be an identifier. */
export function buildTopic(key: SeriesKey): string {
  return `v1/${KEY_FIELDS.map((field) => assertIdentifier(field, key[field])).join('/')}`;
}

/** The inverse of buildTopic; throws a TelemetryError that says what is wrong with the topic. */
export function parseTopic(topic: string): SeriesKey {
  const parts = String(topic).split('/');
  if (parts.length !== 6 || parts[0] !== 'v1') {
    throw new TelemetryError({
      field: 'topic',
      rule: 'pattern',
      reason: `topic must be v1/{tenant}/{plant}/{line}/{machine}/{metric} (got ${JSON.stringify(topic)})`,
    });
  }
  const key = {} as SeriesKey;
  KEY_FIELDS.forEach((field, i) => (key[field] = assertIdentifier(field, parts[i + 1])));
  return key;
}

/** Commands to a plant's machines (faults, control): `v1/{tenant}/{plant}/cmd`. */
export function commandTopic(tenant: string, plant: string): string {
  return `v1/${assertIdentifier('tenant', tenant)}/${assertIdentifier('plant', plant)}/cmd`;
}

/** `factories/{tenant}/devices/{machine}/telemetry`, the topic devices with a metrics map publish on. */
export function parseDeviceTopic(topic: string): { tenant: string; machine: string } {
  const parts = String(topic).split('/');
  if (parts.length !== 5 || parts[0] !== 'factories' || parts[2] !== 'devices' || parts[4] !== 'telemetry') {
    throw new TelemetryError({
      field: 'topic',
      rule: 'pattern',
      reason: `topic must be factories/{tenant}/devices/{machine}/telemetry (got ${JSON.stringify(topic)})`,
    });
  }
  return { tenant: assertIdentifier('tenant', parts[1]), machine: assertIdentifier('machine', parts[3]) };
}

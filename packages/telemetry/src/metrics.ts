import { TelemetryError } from './errors.js';
import { describeValue } from './identifier.js';
import { validatePoints, type ValidationResult } from './point.js';
import { parseDeviceTopic } from './topic.js';
import { nameBasedId } from './uuid.js';

/** Where the parts of a point come from when a device publishes `{"metrics": {...}}`. */
export interface MetricsContext {
  /** `factories/{tenant}/devices/{machine}/telemetry`: gives tenant and machine. */
  topic?: string;
  tenant?: string;
  plant?: string;
  line?: string;
  machine?: string;
  /** Units by metric name, for devices that send bare numbers. */
  units?: Record<string, string>;
  /** Used as ts only when the payload carries none and the caller opted in to arrival time. */
  arrivalTime?: number;
}

type MetricValue = number | boolean | { value: unknown; unit?: unknown; q?: unknown };

/**
 * Turns `{"metrics": {"temperature": 72.3, ...}, "ts": ...}` into schema v1 points. Each metric may be a number,
 * a boolean (1/0) or `{value, unit?, q?}`. Payload fields (ts or timestamp, tenant, plant, line, machine, q) win
 * over the topic and the context: a caller that trusts the topic refuses points that disagree with it (as the
 * ingest gate does, 403).
 * Ids are name-based (tenant/plant/line/machine/metric/ts), so a re-delivered message yields the same ids and
 * deduplicates downstream. Invalid metrics come back with their position in the map and the metric named.
 */
export function normaliseMetrics(payload: unknown, context: MetricsContext = {}): ValidationResult {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new TelemetryError({
      field: 'payload',
      rule: 'type',
      reason: `payload must be an object with a metrics map (got ${describeValue(payload)})`,
    });
  }
  const body = payload as Record<string, unknown>;
  const metrics = body.metrics;
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) {
    throw new TelemetryError({
      field: 'metrics',
      rule: 'type',
      reason: `metrics must be an object of metric name to value (got ${describeValue(metrics)})`,
    });
  }
  const fromTopic = context.topic === undefined ? undefined : parseDeviceTopic(context.topic);
  const series = {
    tenant: pick(body.tenant, fromTopic?.tenant, context.tenant, 'tenant'),
    plant: pick(body.plant, undefined, context.plant, 'plant'),
    line: pick(body.line, undefined, context.line, 'line'),
    machine: pick(body.machine, fromTopic?.machine, context.machine, 'machine'),
  };
  const ts = body.ts ?? body.timestamp ?? context.arrivalTime;
  const points: Record<string, unknown>[] = [];
  const names = Object.keys(metrics);
  for (const metric of names) {
    const raw = (metrics as Record<string, MetricValue>)[metric] as MetricValue;
    const reading = typeof raw === 'object' && raw !== null ? raw : { value: raw };
    const value = typeof reading.value === 'boolean' ? Number(reading.value) : reading.value;
    const point: Record<string, unknown> = { ts, ...series, metric, value };
    point.id = nameBasedId(
      `${series.tenant}/${series.plant}/${series.line}/${series.machine}/${metric}/${String(ts)}`,
    );
    // Own keys only: a metric named constructor or toString must not take Object's function as its unit.
    const unit =
      reading.unit ??
      (context.units && Object.hasOwn(context.units, metric) ? context.units[metric] : undefined);
    if (unit !== undefined) point.unit = unit;
    const q = reading.q ?? body.q;
    if (q !== undefined) point.q = q;
    points.push(point);
  }
  const result = validatePoints(points);
  for (const refused of result.invalid) {
    const prefix = `metrics.${names[refused.index]}: `;
    refused.reason = prefix + refused.reason;
    for (const issue of refused.issues) issue.reason = prefix + issue.reason;
  }
  return result;
}

function pick(
  inPayload: unknown,
  inTopic: string | undefined,
  inContext: string | undefined,
  field: string,
): unknown {
  const value = inPayload ?? inTopic ?? inContext;
  if (value === undefined) {
    throw new TelemetryError({
      field,
      rule: 'required',
      reason: `${field} is unknown: put it in the payload, the topic or the node's settings`,
    });
  }
  return value;
}

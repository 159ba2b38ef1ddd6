import { describe, expect, it } from 'vitest';
import { normaliseMetrics, TelemetryError } from '@plantwire/telemetry';

const topic = 'factories/acme/devices/press-3/telemetry';
const context = { topic, plant: 'plant-1', line: 'line-2', units: { temperature: 'degC' } };

describe('normaliseMetrics', () => {
  it('turns a metrics map into schema v1 points', () => {
    const { valid, invalid } = normaliseMetrics(
      {
        ts: '2026-01-01T00:00:00Z',
        metrics: { temperature: 72.3, running: true, pressure: { value: 4.2, unit: 'bar', q: 80 } },
      },
      context,
    );
    expect(invalid).toEqual([]);
    expect(valid.map(({ id: _id, ...rest }) => rest)).toEqual([
      {
        ts: 1_767_225_600_000,
        tenant: 'acme',
        plant: 'plant-1',
        line: 'line-2',
        machine: 'press-3',
        metric: 'temperature',
        value: 72.3,
        unit: 'degC',
        q: 100,
      },
      {
        ts: 1_767_225_600_000,
        tenant: 'acme',
        plant: 'plant-1',
        line: 'line-2',
        machine: 'press-3',
        metric: 'running',
        value: 1,
        unit: '',
        q: 100,
      },
      {
        ts: 1_767_225_600_000,
        tenant: 'acme',
        plant: 'plant-1',
        line: 'line-2',
        machine: 'press-3',
        metric: 'pressure',
        value: 4.2,
        unit: 'bar',
        q: 80,
      },
    ]);
  });

  it('gives a re-delivered message the same ids, and other times other ids', () => {
    const payload = { timestamp: 1_767_225_600_000, metrics: { temperature: 72.3 } };
    const first = normaliseMetrics(payload, context).valid[0]!.id;
    expect(normaliseMetrics(payload, context).valid[0]!.id).toBe(first);
    expect(normaliseMetrics({ ...payload, timestamp: 1_767_225_600_001 }, context).valid[0]!.id).not.toBe(
      first,
    );
  });

  it('lets payload fields win over the context', () => {
    const { valid } = normaliseMetrics({ ts: 1_767_225_600_000, line: 'line-9', metrics: { t: 1 } }, context);
    expect(valid[0]!.line).toBe('line-9');
  });

  it("takes a metric's unit only from the units given: a metric named like an Object member has none", () => {
    const { valid, invalid } = normaliseMetrics(
      { ts: 1_767_225_600_000, metrics: { constructor: 1, toString: 2, temperature: 3 } },
      context,
    );
    expect(invalid).toEqual([]);
    expect(valid.map((p) => [p.metric, p.unit])).toEqual([
      ['constructor', ''],
      ['toString', ''],
      ['temperature', 'degC'],
    ]);
  });

  it('refuses a message without ts unless arrival time was opted in', () => {
    const refused = normaliseMetrics({ metrics: { temperature: 1 } }, context);
    expect(refused.valid).toEqual([]);
    expect(refused.invalid[0]!.reason).toMatch(/^metrics\.temperature: ts is missing/);
    const accepted = normaliseMetrics(
      { metrics: { temperature: 1 } },
      { ...context, arrivalTime: 1_767_225_600_000 },
    );
    expect(accepted.valid[0]!.ts).toBe(1_767_225_600_000);
  });

  it('reports a bad metric by name and position and keeps the rest', () => {
    const { valid, invalid } = normaliseMetrics(
      { ts: 1_767_225_600_000, metrics: { a: 1, 'b c': 2, d: 'high' } },
      context,
    );
    expect(valid.map((p) => p.metric)).toEqual(['a']);
    expect(invalid.map((i) => [i.index, i.field])).toEqual([
      [1, 'metric'],
      [2, 'value'],
    ]);
    expect(invalid[1]!.reason).toBe('metrics.d: value must be a finite number (got "high")');
  });

  it.each([
    [null, /payload must be an object/],
    [[1], /payload must be an object/],
    [{ values: {} }, /metrics must be an object/],
    [{ metrics: [1, 2] }, /metrics must be an object/],
  ])('throws a TelemetryError for the payload %j', (payload, reason) => {
    expect(() => normaliseMetrics(payload, context)).toThrow(reason);
  });

  it('says where a missing plant or line should come from', () => {
    expect(() => normaliseMetrics({ ts: 1, metrics: { a: 1 } }, { topic })).toThrow(TelemetryError);
    expect(() => normaliseMetrics({ ts: 1, metrics: { a: 1 } }, { topic })).toThrow(
      "plant is unknown: put it in the payload, the topic or the node's settings",
    );
  });

  it('refuses a device topic of another shape', () => {
    expect(() => normaliseMetrics({ ts: 1, metrics: {} }, { topic: 'v1/acme' })).toThrow(/factories\//);
  });
});

import { describe, expect, it } from 'vitest';
import { toPoint, TelemetryError, uuidv7, validatePoints, type PointInput } from '@plantwire/telemetry';

const good = (over: Partial<Record<keyof PointInput, unknown>> = {}): Record<string, unknown> => ({
  ts: 1_767_225_600_000,
  id: '01944a1c-7a3b-7c4d-8e5f-001122334455',
  tenant: 'acme',
  plant: 'plant-1',
  line: 'line_01',
  machine: 'cnc.7',
  metric: 'temperature',
  value: 71.5,
  unit: 'degC',
  q: 100,
  ...over,
});

function refusal(point: unknown) {
  const { valid, invalid } = validatePoints(point);
  expect(valid).toEqual([]);
  expect(invalid).toHaveLength(1);
  return invalid[0]!;
}

describe('validatePoints: valid points', () => {
  it('returns an already normal point as is, without a copy', () => {
    const point = good();
    const { valid, invalid } = validatePoints(point);
    expect(invalid).toEqual([]);
    expect(valid[0]).toBe(point);
  });

  it('normalises an ISO ts to integer epoch ms and fills unit and q', () => {
    const point = good({ ts: '2026-01-01T01:00:00.250+01:00' });
    delete point.unit;
    delete point.q;
    expect(toPoint(point)).toEqual({ ...good(), ts: 1_767_225_600_250, unit: '', q: 100 });
  });

  it.each([
    ['2026-01-01T00:00:00Z', 1_767_225_600_000],
    ['2026-01-01 00:00:00z', 1_767_225_600_000],
    ['2026-01-01T00:00Z', 1_767_225_600_000],
    ['2026-01-01T00:00:00.123456789Z', 1_767_225_600_123],
    ['2026-01-01T02:00:00+0200', 1_767_225_600_000],
    ['2025-12-31T19:00:00-05:00', 1_767_225_600_000],
  ])('accepts the ISO form %s', (ts, ms) => {
    expect(toPoint(good({ ts })).ts).toBe(ms);
  });

  it('floors fractional epoch ms', () => {
    expect(toPoint(good({ ts: 1_767_225_600_000.9 })).ts).toBe(1_767_225_600_000);
  });

  it('accepts identifiers at the limits and any UUID version', () => {
    const longest = `a${'-._b'.repeat(15)}xyz`;
    expect(longest).toHaveLength(64);
    expect(
      toPoint(good({ machine: longest, metric: '9', id: '123E4567-E89B-12D3-A456-426614174000' })).machine,
    ).toBe(longest);
  });

  it('keeps the valid points of an array in order and reports the rest by index', () => {
    const ids = [uuidv7(), uuidv7(), uuidv7()];
    const { valid, invalid } = validatePoints([
      good({ id: ids[0] }),
      good({ value: 'hot' }),
      good({ id: ids[1] }),
      null,
      good({ id: ids[2] }),
    ]);
    expect(valid.map((p) => p.id)).toEqual(ids);
    expect(invalid.map((i) => [i.index, i.field, i.rule])).toEqual([
      [1, 'value', 'type'],
      [3, '', 'type'],
    ]);
  });

  it('treats an empty array as nothing to do', () => {
    expect(validatePoints([])).toEqual({ valid: [], invalid: [] });
  });
});

describe('validatePoints: every field, every rule, with a readable reason', () => {
  it.each(['ts', 'id', 'tenant', 'plant', 'line', 'machine', 'metric', 'value'])(
    'refuses a point without %s',
    (field) => {
      const point = good();
      delete point[field];
      const issue = refusal(point);
      expect(issue).toMatchObject({ field, rule: 'required' });
      expect(issue.reason).toMatch(new RegExp(`^${field} is missing: it must be `));
    },
  );

  it.each([
    ['ts', 1_700_000_000, 'anyOf', /not seconds/],
    ['ts', 4_102_444_800_001, 'anyOf', /before|between 2000-01-01 and 2100-01-01/],
    ['ts', '2026-01-01T00:00:00', 'anyOf', /with a zone/],
    ['ts', 'yesterday', 'anyOf', /ISO-8601/],
    ['ts', true, 'anyOf', /got true/],
    ['id', 'not-a-uuid', 'pattern', /a UUID such as/],
    ['id', 42, 'type', /got 42/],
    ['tenant', 'acme corp', 'pattern', /letters, digits/],
    ['plant', '', 'pattern', /1 to 64 characters/],
    ['line', '_line', 'pattern', /starting with a letter or digit/],
    ['machine', 'a/b', 'pattern', /got "a\/b"/],
    ['metric', 'x'.repeat(65), 'pattern', /1 to 64 characters/],
    ['metric', 'temp+', 'pattern', /letters/],
    ['metric', 'tempé', 'pattern', /letters/],
    ['value', '71.5', 'type', /a finite number \(got "71.5"\)/],
    ['value', Number.NaN, 'type', /got NaN/],
    ['value', Number.POSITIVE_INFINITY, 'type', /got Infinity/],
    ['value', null, 'type', /got null/],
    ['unit', 'u'.repeat(33), 'maxLength', /at most 32/],
    ['unit', 5, 'type', /a string/],
    ['q', 101, 'maximum', /0 to 100/],
    ['q', -1, 'minimum', /0 to 100/],
    ['q', 99.5, 'type', /integer/],
  ])('refuses %s = %j (%s)', (field, value, rule, reason) => {
    const issue = refusal(good({ [field]: value }));
    expect(issue).toMatchObject({ field, rule });
    expect(issue.reason).toMatch(reason);
    expect(issue.reason.startsWith(`${field} must be`)).toBe(true);
  });

  it('refuses a date the calendar does not have', () => {
    const issue = refusal(good({ ts: '2026-02-30T00:00:00Z' }));
    expect(issue).toMatchObject({ field: 'ts', rule: 'type' });
    expect(issue.reason).toMatch(/ISO-8601/);
  });

  it('says a time of day that does not exist is no valid date-time, not out of range', () => {
    for (const ts of ['2026-01-01T25:00:00Z', '2026-01-01T10:00:00+05:60']) {
      expect(refusal(good({ ts }))).toMatchObject({
        field: 'ts',
        rule: 'type',
        reason: `ts is not a valid date-time (got "${ts}")`,
      });
    }
  });

  it('names a field that schema v1 does not have', () => {
    const issue = refusal(good({ vaule: 3 } as never));
    expect(issue).toMatchObject({ field: 'vaule', rule: 'additionalProperties' });
    expect(issue.reason).toBe(
      'vaule is not a field of schema v1 (fields: ts, id, tenant, plant, line, machine, metric, value, unit, q)',
    );
  });

  it.each([[null], [5], ['point'], [[1]]])('refuses a point that is not an object: %j', (point) => {
    expect(refusal([point]).reason).toMatch(/^a point must be an object/);
  });

  it('lists every problem of a point, the first one in front', () => {
    const issue = refusal(good({ tenant: '', value: 'x', q: 500 }));
    expect(issue.issues.map((i) => i.field)).toEqual(['tenant', 'value', 'q']);
    expect(issue.field).toBe('tenant');
  });

  it('toPoint throws a TelemetryError that carries field and rule', () => {
    expect(() => toPoint(good({ q: 101 }))).toThrow(TelemetryError);
    expect(() => toPoint(good({ q: 101 }))).toThrow(/q must be an integer quality from 0 to 100/);
  });
});

import { describe, expect, it } from 'vitest';
import { isUuid, nameBasedId } from '@plantwire/telemetry';
import { telemetryPoint } from '@plantwire/testkit';
import { toEvents, type PlantEvent } from '../src/core/events.js';

const at = Date.UTC(2026, 0, 5, 8);
const where = { tenant: 'acme', plant: 'plant-1' };

const stateChange = {
  ts: at,
  type: 'state',
  ...where,
  line: 'line-01',
  machine: 'cnc-01',
  state: 'ERROR',
  previous: 'RUNNING',
};
const faultStart = {
  ts: at,
  type: 'fault',
  phase: 'start',
  fault: 'bearing_fault',
  ...where,
  line: 'line-01',
  machine: 'cnc-01',
  reason: 'commanded',
};
const alarm = {
  id: 'line-01/cnc-01/temperature:temp-high:critical',
  key: 'line-01/cnc-01/temperature',
  rule: 'temp-high',
  level: 'critical',
  state: 'active-ack',
  previous: 'active-unack',
  priority: 'high',
  value: 93.5,
  limit: 90,
  ts: at,
  message: 'cnc-01 temperature 93.5 above 90',
  by: 'anna',
};
const flagged = { ...telemetryPoint(at, { value: 97.25 }), score: 0.731, anomaly: true, warmingUp: false };

describe('toEvents', () => {
  it('a machine-sim state change', () => {
    const { events, rejected } = toEvents(stateChange);
    expect(rejected).toEqual([]);
    expect(events).toEqual([
      {
        ts: at,
        id: nameBasedId(`state/acme/plant-1/line-01/cnc-01/ERROR/ERROR/${at}`),
        ...where,
        line: 'line-01',
        machine: 'cnc-01',
        kind: 'state',
        name: 'ERROR',
        state: 'ERROR',
        priority: '',
        value: null,
        message: 'RUNNING -> ERROR',
      },
    ]);
  });

  it('machine-sim faults, with and without a machine (a network outage)', () => {
    const outage = { ts: at, type: 'fault', phase: 'end', fault: 'network_outage', ...where };
    const { events } = toEvents([faultStart, outage]);
    expect(events.map((e) => [e.kind, e.name, e.state, e.line, e.machine, e.message])).toEqual([
      ['fault', 'bearing_fault', 'start', 'line-01', 'cnc-01', 'commanded'],
      ['fault', 'network_outage', 'end', '', '', ''],
    ]);
  });

  it('a threshold-alarm event: line and machine from the key, read from the right; the operator appended', () => {
    const { events } = toEvents(alarm, where);
    expect(events[0]).toMatchObject({
      kind: 'alarm',
      name: 'line-01/cnc-01/temperature:temp-high:critical',
      state: 'active-ack',
      priority: 'high',
      value: 93.5,
      line: 'line-01',
      machine: 'cnc-01',
      ...where,
      message: 'cnc-01 temperature 93.5 above 90 (by anna)',
    });
    expect(isUuid(events[0]!.id)).toBe(true);
  });

  it('alarm keys of every length; tenant and plant from a full key; the flood event has no machine', () => {
    const keyed = (key: string) => ({ ...alarm, key, by: undefined });
    const { events, rejected } = toEvents(
      [
        keyed('cnc-01/temperature'),
        keyed('acme/plant-9/line-02/press-01/pressure'),
        keyed('cnc-07'), // a composite alarm: the machine part of the key only
        { ...alarm, id: 'flood', key: '*', rule: 'flood', value: 12, by: undefined },
        { ...alarm, value: NaN, by: undefined },
      ],
      { tenant: 'acme', plant: 'plant-1' },
    );
    expect(rejected).toEqual([]);
    expect(events.map((e) => [e.tenant, e.plant, e.line, e.machine, e.value])).toEqual([
      ['acme', 'plant-1', '', 'cnc-01', 93.5],
      ['acme', 'plant-9', 'line-02', 'press-01', 93.5],
      ['acme', 'plant-1', '', 'cnc-07', 93.5],
      ['acme', 'plant-1', '', '', 12],
      ['acme', 'plant-1', 'line-01', 'cnc-01', null],
    ]);
  });

  it('an anomaly-detect flagged point: id derived from the point id', () => {
    const { events } = toEvents([flagged]);
    expect(events[0]).toEqual({
      ts: at,
      id: nameBasedId(`anomaly/${flagged.id}`),
      tenant: flagged.tenant,
      plant: flagged.plant,
      line: flagged.line,
      machine: flagged.machine,
      kind: 'anomaly',
      name: flagged.metric,
      state: 'flagged',
      priority: '',
      value: 97.25,
      message: `score 0.73 (${flagged.metric} 97.25 ${flagged.unit})`,
    });
  });

  it("an anomaly's message shows the reading with at most 3 decimals; the value column keeps it whole", () => {
    const { events } = toEvents([{ ...flagged, value: 7640.200699489424 }]);
    expect(events[0]).toMatchObject({
      value: 7640.200699489424,
      message: `score 0.73 (${flagged.metric} 7640.201 ${flagged.unit})`,
    });
  });

  it('a normalised event is checked as is and keeps a valid id; an invalid id is replaced by a derived one', () => {
    const event: PlantEvent = {
      ts: at,
      id: '0190a6f0-0000-7000-8000-000000000001',
      ...where,
      line: '',
      machine: 'pump-02',
      kind: 'fault',
      name: 'dropout',
      state: 'start',
      priority: '',
      value: null,
      message: '',
    };
    const { events } = toEvents([event, { ...event, id: 'not-a-uuid', ts: new Date(at).toISOString() }]);
    expect(events[0]).toEqual(event);
    expect(events[1]).toEqual({
      ...event,
      id: nameBasedId(`fault/acme/plant-1//pump-02/dropout/start/${at}`),
    });
  });

  it('the same event sent twice gets the same id; different events different ids', () => {
    const once = toEvents([stateChange, faultStart, alarm, flagged], where).events.map((e) => e.id);
    const again = toEvents(
      JSON.parse(JSON.stringify([stateChange, faultStart, alarm, flagged])),
      where,
    ).events;
    expect(again.map((e) => e.id)).toEqual(once);
    expect(new Set(once).size).toBe(4);
    expect(toEvents({ ...stateChange, ts: at + 1 }).events[0]!.id).not.toBe(once[0]);
  });

  it('tenant and plant: the item first, then the context', () => {
    const bare = { ...stateChange, tenant: undefined, plant: undefined };
    expect(toEvents(bare, { tenant: 'acme', plant: 'plant-7' }).events[0]).toMatchObject({
      tenant: 'acme',
      plant: 'plant-7',
    });
    expect(toEvents(stateChange, { plant: 'plant-7' }).events[0]!.plant).toBe('plant-1');
  });

  it('refuses an item of another tenant than the token, counting it as foreign, and lets the rest through', () => {
    const result = toEvents([stateChange, { ...stateChange, tenant: 'globex' }], { tenant: 'acme' });
    expect(result.events).toHaveLength(1);
    expect(result.rejected).toEqual([
      { index: 1, reason: 'tenant "globex" is not the token\'s tenant', status: 403 },
    ]);
    expect(result.foreign).toBe(1);
  });

  it('refuses every malformed item with its position and reason', () => {
    const cases: [unknown, string][] = [
      [null, 'an event must be an object (got null)'],
      [[1], 'an event must be an object (got an array)'],
      [{ hello: 1 }, 'not a plant event: expected a machine-sim event'],
      [{ ...stateChange, tenant: undefined }, 'tenant is missing'],
      [{ ...stateChange, plant: undefined }, 'plant is missing'],
      [{ ...stateChange, tenant: 'acme corp' }, 'tenant must be an identifier (got "acme corp")'],
      [{ ...stateChange, plant: 7 }, 'plant must be an identifier (got 7)'],
      [{ ...stateChange, line: 'a/b' }, 'line must be an identifier or empty (got "a/b")'],
      [{ ...stateChange, machine: '#' }, 'machine must be an identifier or empty (got "#")'],
      [{ ...stateChange, ts: 1.7e9 }, 'send epoch milliseconds, not seconds'],
      [{ ...stateChange, ts: 'yesterday' }, 'ts must be epoch milliseconds or an ISO-8601'],
      [{ ...stateChange, state: '' }, 'state must be a non-empty string (got "")'],
      [{ ...stateChange, previous: 3 }, 'previous must be a non-empty string (got 3)'],
      [{ ...faultStart, phase: 'middle' }, 'phase must be start or end (got "middle")'],
      [{ ...faultStart, fault: undefined }, 'fault must be a non-empty string (got nothing)'],
      [{ ...faultStart, reason: 5 }, 'reason must be a string (got 5)'],
      [{ ...alarm, key: 7 }, 'key must be a non-empty string (got 7)'],
      [{ ...alarm, id: '' }, 'id must be a non-empty string'],
      [{ ...alarm, value: 'hot' }, 'value must be a finite number or null (got "hot")'],
      [{ ...alarm, by: {} }, 'by must be a string (got a object)'],
      [{ ...alarm, priority: 3 }, 'priority must be a string (got 3)'],
      [{ ...flagged, anomaly: false }, 'the point is not flagged (anomaly is not true)'],
      [{ ...flagged, score: 'high' }, 'score must be a finite number (got "high")'],
      [{ ...flagged, metric: '' }, 'metric must be a non-empty string'],
      [{ ...flagged, value: Infinity }, 'value must be a finite number or null (got Infinity)'],
      [{ ...stateChange, kind: 'gossip' }, 'kind must be one of alarm, anomaly, state, fault (got "gossip")'],
      [{ ts: at, kind: 'state', ...where, state: 'IDLE' }, 'name must be a non-empty string (got nothing)'],
      [
        { ts: at, kind: 'state', ...where, name: 'IDLE', state: 'IDLE', message: 1 },
        'message must be a string',
      ],
    ];
    const { events, rejected, foreign } = toEvents(cases.map(([item]) => item));
    expect(events).toEqual([]);
    expect(foreign).toBe(0);
    rejected.forEach((r, i) => {
      expect(r.index).toBe(i);
      expect(r.reason).toContain(cases[i]![1]);
    });
    expect(rejected).toHaveLength(cases.length);
  });
});

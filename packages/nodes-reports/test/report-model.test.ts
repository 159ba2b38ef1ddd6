// The report as data without QuestDB: every section's columns (titles and types, what the four formats show),
// every row holding exactly its section's columns in their order, and the figures of a small hand-made plant.
import { describe, expect, it } from 'vitest';
import { buildReport, SUMMARY_COLUMNS, type EventRow } from '../src/core/report-model.js';
import { resolvePeriod } from '../src/core/report-period.js';

const FROM = Date.UTC(2026, 0, 5, 6);
const TO = FROM + 3_600_000;
const period = resolvePeriod('given', 0, { from: FROM, to: TO });
const options = {
  idealRates: { cnc: 2 },
  chatterCount: 3,
  chatterWindowS: 60,
  topN: 20,
  title: 'Shift report',
};

/** An hour of 60 samples: running 40, idle 8, setup 4, error 3, maintenance 5; 70 good parts, 6 scrap. */
function machine(line: string, name: string, figures: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    line,
    machine: name,
    s_samples: 60,
    s_first: new Date(FROM).toISOString(),
    s_last: new Date(TO).toISOString(),
    s_running: 40,
    s_idle: 8,
    s_setup: 4,
    s_error: 3,
    s_maintenance: 5,
    s_units_good: 70,
    s_scrap_quality: 3,
    s_scrap_machine_error: 1,
    s_scrap_material: 0,
    s_scrap_operator: 2,
    s_energy: 12.5,
    ...figures,
  };
}

function event(s: number, kind: string, name: string, state: string, priority = ''): EventRow {
  const ts = FROM + s * 1000;
  return { ts, line: 'line-01', machine: 'cnc-01', kind, name, state, priority, value: null, message: '' };
}

const report = buildReport(
  [machine('line-01', 'cnc-01'), machine('line-02', 'pump-01', { s_samples: 0, s_energy: undefined })],
  [
    event(10, 'fault', 'tool_break', 'start'),
    event(190, 'fault', 'tool_break', 'end'),
    event(300, 'fault', 'overheat', 'start'),
    ...[0, 1, 2].flatMap((i) => [
      event(100 + 10 * i, 'alarm', 'vibration', 'active-unack', 'critical'),
      event(105 + 10 * i, 'alarm', 'vibration', 'normal'),
    ]),
    event(500, 'alarm', 'temp_high', 'active-unack', 'high'),
    event(60, 'anomaly', 'temp', 'flagged'),
    event(70, 'anomaly', 'temp', 'flagged'),
  ],
  { tenant: 'acme', plant: 'plant-1', line: '' },
  period,
  options,
  TO,
);

describe('buildReport', () => {
  it('gives every section its columns: key, title and type', () => {
    const columns = (cs: { key: string; title: string; type: string }[]) =>
      cs.map((c) => `${c.key}: ${c.title} (${c.type})`).join(', ');
    expect(columns(SUMMARY_COLUMNS)).toBe(
      'machines: Machines (count), availability: Availability % (mean of machines) (percent), ' +
        'performance: Performance % (mean of machines) (percent), quality: Quality % (mean of machines) (percent), ' +
        'oee: OEE % (mean of machines) (percent), good: Good parts (count), scrap: Scrap parts (count), ' +
        'downtime_min: Downtime min (minutes), energy_kwh: Energy kWh (kwh), alarms: Alarm activations (count), ' +
        'anomalies: Anomalies (count)',
    );
    expect(Object.fromEntries(report.sections.map((s) => [s.id, columns(s.columns)]))).toEqual({
      oee_lines:
        'line: Line (text), machines: Machines (count), availability: Availability % (percent), ' +
        'performance: Performance % (percent), quality: Quality % (percent), oee: OEE % (percent)',
      oee_machines:
        'line: Line (text), machine: Machine (text), availability: Availability % (percent), ' +
        'performance: Performance % (percent), quality: Quality % (percent), oee: OEE % (percent), ' +
        'good: Good parts (count), scrap: Scrap parts (count), run_min: Run time min (minutes)',
      downtime_state:
        'line: Line (text), machine: Machine (text), idle_min: Idle min (minutes), setup_min: Setup min (minutes), ' +
        'error_min: Error min (minutes), maintenance_min: Maintenance min (minutes), total_min: Total min (minutes)',
      downtime_cause:
        'cause: Cause (text), line: Line (text), machine: Machine (text), count: Count (count), ' +
        'minutes: Minutes (minutes)',
      scrap: 'reason: Reason (text), count: Parts (count), share: Share % (percent)',
      energy:
        'line: Line (text), machine: Machine (text), kwh: Energy kWh (kwh), ' +
        'kwh_per_part: kWh per good part (number)',
      alarms_priority: 'priority: Priority (text), activations: Activations (count), alarms: Alarms (count)',
      alarms_top:
        'alarm: Alarm (text), line: Line (text), machine: Machine (text), priority: Priority (text), ' +
        'activations: Activations (count), minutes_active: Minutes in alarm (minutes), chattering: Chattering (text)',
      anomalies:
        'line: Line (text), machine: Machine (text), metric: Metric (text), count: Count (count), ' +
        'first: First (time), last: Last (time)',
    });
  });

  it('every row holds its columns in their order, the summary its own', () => {
    expect(Object.keys(report.summary)).toEqual(SUMMARY_COLUMNS.map((c) => c.key));
    for (const s of report.sections) {
      expect(s.rows.length, s.id).toBeGreaterThan(0);
      for (const row of s.rows) expect(Object.keys(row), s.id).toEqual(s.columns.map((c) => c.key));
    }
  });

  it('an alarm already active when the period begins: time in alarm from the start, no activation', () => {
    const rows = (events: EventRow[]) =>
      buildReport(
        [machine('line-01', 'cnc-01')],
        events,
        { tenant: 'acme', plant: 'plant-1', line: '' },
        period,
        options,
        TO,
      )
        .sections.find((s) => s.id === 'alarms_top')!
        .rows.map((r) => [r.alarm, r.activations, r.minutes_active]);
    expect(
      rows([
        event(1200, 'alarm', 'acked-earlier', 'active-ack'),
        event(1800, 'alarm', 'acked-earlier', 'normal'),
        event(600, 'alarm', 'clears-unacked', 'rtn-unack'),
      ]),
    ).toEqual([
      ['acked-earlier', 0, 30],
      ['clears-unacked', 0, 10],
    ]);
  });

  it("a fault still open at the period's end keeps its name, line and machine, '|' and all", () => {
    const faults = buildReport(
      [machine('line-01', 'cnc-01')],
      [event(3000, 'fault', 'spindle|axis', 'start'), event(3300, 'fault', 'spindle', 'start')],
      { tenant: 'acme', plant: 'plant-1', line: '' },
      period,
      options,
      TO,
    ).sections.find((s) => s.id === 'downtime_cause')!.rows;
    expect(faults).toEqual([
      { cause: 'spindle|axis', line: 'line-01', machine: 'cnc-01', count: 1, minutes: 10 },
      { cause: 'spindle', line: 'line-01', machine: 'cnc-01', count: 1, minutes: 5 },
    ]);
  });

  it('the summary counts every anomaly, also those of series beyond the top N the section lists', () => {
    const flagged = Array.from({ length: 25 }, (_, i) => event(60 + i, 'anomaly', `metric-${i}`, 'flagged'));
    const withMany = buildReport(
      [machine('line-01', 'cnc-01')],
      [...flagged, event(90, 'anomaly', 'metric-0', 'flagged')],
      { tenant: 'acme', plant: 'plant-1', line: '' },
      period,
      options,
      TO,
    );
    expect(withMany.sections.find((s) => s.id === 'anomalies')!.rows).toHaveLength(20);
    expect(withMany.summary.anomalies).toBe(26);
  });

  it('the figures of a hand-made plant', () => {
    const rows = Object.fromEntries(report.sections.map((s) => [s.id, s.rows]));
    expect(report.summary).toEqual({
      machines: 2,
      availability: 72.7,
      performance: 95,
      quality: 92.1,
      oee: 63.6,
      good: 140,
      scrap: 12,
      downtime_min: 20,
      energy_kwh: 12.5,
      alarms: 4,
      anomalies: 2,
    });
    expect(rows.oee_lines).toEqual([
      { line: 'line-01', machines: 1, availability: 72.7, performance: 95, quality: 92.1, oee: 63.6 },
      { line: 'line-02', machines: 1, availability: null, performance: null, quality: 92.1, oee: null },
    ]);
    expect(rows.downtime_state![0]).toEqual({
      line: 'line-01',
      machine: 'cnc-01',
      idle_min: 8,
      setup_min: 4,
      error_min: 3,
      maintenance_min: 5,
      total_min: 20,
    });
    expect(rows.downtime_cause).toEqual([
      { cause: 'overheat', line: 'line-01', machine: 'cnc-01', count: 1, minutes: 55 },
      { cause: 'tool_break', line: 'line-01', machine: 'cnc-01', count: 1, minutes: 3 },
    ]);
    expect(rows.scrap).toEqual([
      { reason: 'quality', count: 6, share: 50 },
      { reason: 'machine_error', count: 2, share: 16.7 },
      { reason: 'material', count: 0, share: 0 },
      { reason: 'operator', count: 4, share: 33.3 },
    ]);
    expect(rows.energy).toEqual([
      { line: 'line-01', machine: 'cnc-01', kwh: 12.5, kwh_per_part: 0.179 },
      { line: 'line-02', machine: 'pump-01', kwh: null, kwh_per_part: null },
    ]);
    expect(rows.alarms_top).toEqual([
      {
        alarm: 'vibration',
        line: 'line-01',
        machine: 'cnc-01',
        priority: 'critical',
        activations: 3,
        minutes_active: 0.3,
        chattering: 'yes',
      },
      {
        alarm: 'temp_high',
        line: 'line-01',
        machine: 'cnc-01',
        priority: 'high',
        activations: 1,
        minutes_active: 51.7,
        chattering: 'no',
      },
    ]);
    expect(rows.anomalies).toEqual([
      {
        line: 'line-01',
        machine: 'cnc-01',
        metric: 'temp',
        count: 2,
        first: '2026-01-05T06:01:00.000Z',
        last: '2026-01-05T06:01:10.000Z',
      },
    ]);
    expect(report.sections.find((s) => s.id === 'downtime_state')!.chart!.values).toEqual([
      'idle_min',
      'setup_min',
      'error_min',
      'maintenance_min',
    ]);
  });
});

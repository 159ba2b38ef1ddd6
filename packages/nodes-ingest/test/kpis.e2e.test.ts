import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuestDb, telemetryPoint, type QuestDb } from '@plantwire/testkit';
import type { Point } from '@plantwire/telemetry';
import { bindSql, exec, presetSql, TelemetryWriter, toRows } from '../src/index.js';
import { checkPresetRows, MAX_MINUTES } from '../src/core/sql.js';
import { DEFAULT_IDEAL_RATES, kpiRows, parseIdealRates, shiftStart } from '../src/core/kpis.js';

const now = Date.UTC(2026, 0, 5, 16); // the late shift began at 14:00
const minute = (i: number) => Date.UTC(2026, 0, 5, 14) + i * 60_000;
const state = (i: number) => (i < 100 ? 1 : i < 110 ? 2 : i < 115 ? 4 : 5);

/**
 * cnc-01, one sample a minute from 14:00 to 15:59: RUNNING until 15:39, IDLE 10 min, ERROR 5, MAINTENANCE 5;
 * units_good counts up by one a minute; 3 quality scrap early in the hour and 1 material scrap; energy 0.5 kWh a
 * minute; temperature q 40 for 10 of the hour's samples.
 *
 * Last hour (15:00-15:59, 60 samples over 59 min): A = 40 / (60 - 5) = 72.7 %; run time 40/60 x 59 = 39.33 min,
 * ideal 2/min -> 78.67 parts; made 59 good + 4 scrap = 63 -> P = 80.1 %; Q = 59/63 = 93.7 %;
 * OEE = 0.7273 x 0.8008 x 0.9365 = 54.5 %. Shift (120 samples over 119 min): A = 100/115, run 99.17 min,
 * 119 good + 4 scrap -> P = 123/198.33, Q = 119/123: OEE 52.2 %. Health = mean q 90 x (1 - 5/60) = 82.5.
 */
function cncPoints(): Point[] {
  const points: Point[] = [];
  const at = (i: number, metric: string, value: number, q = 100) =>
    points.push(
      telemetryPoint(minute(i), { line: 'line-01', machine: 'cnc-01', metric, value, q, unit: '' }),
    );
  for (let i = 0; i < 120; i++) {
    at(i, 'state', state(i));
    at(i, 'units_good', i);
    at(i, 'scrap_quality', i < 60 ? 0 : Math.min(3, i - 60));
    at(i, 'scrap_material', i >= 90 ? 1 : 0);
    at(i, 'scrap_machine_error', 0);
    at(i, 'scrap_operator', 0);
    at(i, 'energy', i * 0.5);
    at(i, 'temperature', 70, i >= 60 && i < 70 ? 40 : 100);
  }
  return points;
}

const expectedCnc = {
  line: 'line-01',
  machine: 'cnc-01',
  state: 'MAINTENANCE',
  oee_shift: 52.2,
  oee_hour: 54.5,
  availability: 72.7,
  performance: 80.1,
  quality: 93.7,
  energy_kwh: 29.5,
  scrap_rate: 6.3,
  scrap_quality: 3,
  scrap_machine_error: 0,
  scrap_material: 1,
  scrap_operator: 0,
  health: 82.5,
  last_seen: new Date(minute(119)).toISOString(),
};

describe('kpis: the arithmetic', () => {
  it('computes OEE and friends from one aggregate row (the hand-computed case above)', () => {
    const row = {
      line: 'line-01',
      machine: 'cnc-01',
      ...{ h_running: 40, h_idle: 10, h_setup: 0, h_error: 5, h_maintenance: 5, h_samples: 60 },
      h_first: '2026-01-05T15:00:00.000000Z',
      h_last: '2026-01-05T15:59:00.000000Z',
      ...{ h_units_good: 59, h_scrap_quality: 3, h_scrap_material: 1, h_scrap_machine_error: 0 },
      ...{ h_scrap_operator: 0, h_energy: 29.5, h_q: 90 },
      ...{ s_running: 100, s_idle: 10, s_setup: 0, s_error: 5, s_maintenance: 5, s_samples: 120 },
      s_first: '2026-01-05T14:00:00.000000Z',
      s_last: '2026-01-05T15:59:00.000000Z',
      ...{ s_units_good: 119, s_scrap_quality: 3, s_scrap_material: 1, s_scrap_machine_error: 0 },
      ...{ s_scrap_operator: 0, state_code: 5, last_seen: '2026-01-05T15:59:00.000000Z' },
    };
    expect(kpiRows([row], DEFAULT_IDEAL_RATES)).toEqual([expectedCnc]);
  });

  it('unknown rates, no samples, no parts and a machine that never ran', () => {
    const base = {
      line: 'l',
      h_first: '2026-01-05T15:00:00Z',
      h_last: '2026-01-05T15:10:00Z',
      last_seen: '2026-01-05T15:10:00Z',
    };
    const [unknown, empty, idle] = kpiRows(
      [
        { ...base, machine: 'robot-1', h_samples: 10, h_running: 10, h_units_good: 5 },
        { ...base, machine: 'cnc-02', h_samples: 0, h_q: 100 },
        { ...base, machine: 'pump-01', h_samples: 10, h_idle: 10, state_code: 2 },
      ],
      DEFAULT_IDEAL_RATES,
    );
    expect(unknown).toMatchObject({
      availability: 100,
      performance: null,
      quality: 100,
      oee_hour: null,
      state: '',
    });
    expect(empty).toMatchObject({ availability: null, oee_hour: null, health: null, quality: null });
    expect(idle).toMatchObject({
      availability: 0,
      performance: null,
      oee_hour: 0,
      state: 'IDLE',
      scrap_rate: null,
    });
  });

  it('performance above the ideal rate counts as 100 %; rates by machine name before its type', () => {
    const row = {
      line: 'l',
      machine: 'press-01',
      ...{ h_samples: 11, h_running: 11, h_units_good: 1000 },
      h_first: '2026-01-05T15:00:00Z',
      h_last: '2026-01-05T15:10:00Z',
      last_seen: '2026-01-05T15:10:00Z',
    };
    expect(kpiRows([row], DEFAULT_IDEAL_RATES)[0]!.performance).toBe(100);
    expect(kpiRows([row], { 'press-01': 200, press: 40 })[0]!.performance).toBe(50);
  });

  it('shifts start at 06:00, 14:00 and 22:00 UTC; the night shift spans midnight', () => {
    const day = Date.UTC(2026, 0, 5);
    const h = 3_600_000;
    expect(shiftStart(day + 6 * h)).toBe(day + 6 * h);
    expect(shiftStart(day + 13.99 * h)).toBe(day + 6 * h);
    expect(shiftStart(day + 14 * h)).toBe(day + 14 * h);
    expect(shiftStart(day + 23 * h)).toBe(day + 22 * h);
    expect(shiftStart(day + 3 * h)).toBe(day - 2 * h);
  });

  it('parses the ideal rates setting and refuses what is not a rate', () => {
    expect(parseIdealRates('')).toEqual(DEFAULT_IDEAL_RATES);
    expect(parseIdealRates('{"cnc": 3}')).toEqual({ cnc: 3 });
    expect(() => parseIdealRates('{cnc: 3}')).toThrow(/must be a JSON object/);
    expect(() => parseIdealRates('[2]')).toThrow(/must be a JSON object/);
    expect(() => parseIdealRates('{"cnc": 0}')).toThrow(/ideal rate of "cnc" must be a positive number/);
    expect(() => parseIdealRates('{"cnc": "2"}')).toThrow(/ideal rate of "cnc" must be a positive number/);
  });

  it('the preset binds tenant, plant, line and machine, ignores metric, and takes its windows from now', () => {
    const { sql, params } = presetSql(
      'kpis',
      { table: 'plantwire_telemetry', now },
      { tenant: 'acme', metric: 'x' },
    );
    expect(params).toEqual({
      tenant: 'acme',
      from: new Date(Date.UTC(2026, 0, 5, 14)),
      hour: new Date(Date.UTC(2026, 0, 5, 15)),
      shift: new Date(Date.UTC(2026, 0, 5, 14)),
    });
    expect(sql).toMatch(/WHERE tenant = :tenant AND ts >= :from AND \(ts >= :hour OR metric IN \('state', /);
    expect(sql).toMatch(/ORDER BY line, machine$/);
  });
});

describe('series and counts take minutes and bucket from msg.params', () => {
  it('params win over the settings, checked the same way', () => {
    const series = presetSql(
      'series',
      { table: 't', bucket: '1m', minutes: 60 },
      { minutes: 15, bucket: '10s' },
    );
    expect(series.sql).toMatch(/ts > dateadd\('m', -15, now\(\)\) SAMPLE BY 10s/);
    expect(presetSql('counts', { table: 't', minutes: 60 }, { minutes: '5' }).sql).toMatch(/-5, now/);
    expect(presetSql('counts', { table: 't', minutes: 60 }, {}).sql).toMatch(/-60, now/);
    expect(presetSql('counts', { table: 't', minutes: 60 }, { minutes: '', bucket: '' }).sql).toMatch(
      /-60, now/,
    );
    expect(series.params).toEqual({});
    expect(() => presetSql('series', { table: 't' }, { bucket: '1 minute' })).toThrow(
      /bucket must look like/,
    );
    expect(() => presetSql('series', { table: 't' }, { bucket: ['1m'] })).toThrow(/bucket must look like/);
    expect(() => presetSql('series', { table: 't' }, { bucket: '0s' })).toThrow(/bucket must look like/);
    for (const minutes of [0, -5, 1.5, 'x', true, 10_000_000])
      expect(() => presetSql('counts', { table: 't' }, { minutes })).toThrow(
        /minutes must be a whole number/,
      );
  });

  it('series: refuses more buckets per series than a chart draws', () => {
    // A year in hours is the longest window's finest sensible bucket.
    expect(presetSql('series', { table: 't' }, { minutes: MAX_MINUTES, bucket: '1h' }).sql).toMatch(
      /SAMPLE BY 1h/,
    );
    expect(presetSql('series', { table: 't' }, { minutes: MAX_MINUTES, bucket: '1M' }).sql).toMatch(
      /SAMPLE BY 1M/,
    );
    expect(presetSql('series', { table: 't' }, { minutes: 10_000, bucket: '1m' }).sql).toMatch(/-10000, now/);
    expect(() => presetSql('series', { table: 't' }, { minutes: 10_001, bucket: '1m' })).toThrow(
      /10001 minutes in buckets of 1m is 10001 per series, at most 10000: choose a larger bucket/,
    );
    expect(() => presetSql('series', { table: 't' }, { minutes: MAX_MINUTES, bucket: '1s' })).toThrow(
      /is 31622400 per series/,
    );
    // And all series together: one row past the cap is asked for, to tell.
    expect(presetSql('series', { table: 't' }, {}).sql).toMatch(/ LIMIT 100001$/);
    expect(() => checkPresetRows('series', new Array(100_001))).toThrow(/more than 100000 rows/);
    expect(() => checkPresetRows('series', new Array(100_000))).not.toThrow();
    expect(() => checkPresetRows('sql', new Array(200_000))).not.toThrow();
    // Counts and events have no buckets: a year is fine.
    expect(presetSql('counts', { table: 't' }, { minutes: MAX_MINUTES, bucket: '1s' }).sql).toMatch(
      /-527040/,
    );
  });
});

describe('kpis against a real QuestDB', () => {
  let questdb: QuestDb;
  beforeAll(async () => {
    questdb = await startQuestDb();
    const writer = new TelemetryWriter({ url: questdb.httpUrl });
    const press = Array.from({ length: 30 }, (_, i) => [
      telemetryPoint(minute(90 + i), { line: 'line-01', machine: 'press-01', metric: 'state', value: 1 }),
      telemetryPoint(minute(90 + i), {
        line: 'line-01',
        machine: 'press-01',
        metric: 'units_good',
        value: 40 * i,
      }),
    ]).flat();
    // pump-01 restarts at 15:30 (as machine-sim does on a deploy): its counters start again from 0.
    const pump = Array.from({ length: 60 }, (_, k) => {
      const at = (metric: string, value: number) =>
        telemetryPoint(minute(60 + k), { line: 'line-01', machine: 'pump-01', metric, value });
      const restarted = k >= 30;
      return [
        at('state', 1),
        at('units_good', restarted ? 10 * (k - 30) : 1000 + 10 * k),
        at('energy', restarted ? 0.2 * (k - 30) : 500 + 0.2 * k),
        at('scrap_quality', restarted ? (k >= 40 ? 1 : 0) : 7),
      ];
    }).flat();
    const other = telemetryPoint(minute(100), {
      tenant: 'globex',
      line: 'line-00',
      metric: 'state',
      value: 1,
    });
    const old = telemetryPoint(minute(-60), {
      line: 'line-01',
      machine: 'cnc-01',
      metric: 'units_good',
      value: -500,
    });
    await writer.write([...cncPoints(), ...press, ...pump, other, old]);
    await writer.close();
    await questdb.waitForWal('plantwire_telemetry');
  });
  afterAll(async () => {
    await questdb?.stop();
  });

  it('answers per line and machine, sorted, for the tenant asked', async () => {
    const preset = presetSql('kpis', { table: 'plantwire_telemetry', now }, { tenant: 'acme' });
    const rows = kpiRows(
      toRows(await exec({ url: questdb.httpUrl }, bindSql(preset.sql, preset.params))),
      DEFAULT_IDEAL_RATES,
    );
    expect(rows.map((r) => r.machine)).toEqual(['cnc-01', 'press-01', 'pump-01']);
    expect(rows[0]).toEqual(expectedCnc);
    // press-01: 29 minutes running, 40 parts a minute (its full rate): no scrap counters, so quality 100.
    expect(rows[1]).toMatchObject({ state: 'RUNNING', availability: 100, performance: 100, oee_hour: 100 });
    // pump-01 counted up 290 parts, restarted, and counted 290 more and 1 scrap: 581 in 59 running minutes at 10
    // a minute (max - min would take 1290 parts, 7 scrap and 505.8 kWh).
    expect(rows[2]).toMatchObject({
      performance: 98.5,
      quality: 99.8,
      scrap_quality: 1,
      energy_kwh: 11.6,
      oee_shift: rows[2]!.oee_hour,
    });
  });
});

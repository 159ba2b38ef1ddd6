// plant-report's core against a real QuestDB filled by the simulator: two hours of a 3 x 3 plant at 2 s, restarted
// half-way (its counters reset), its ground-truth events, and alarm and anomaly events in threshold-alarm's and anomaly-detect's shapes. The four
// formats are read back: the PDF's text holds the JSON's figures, the XLSX the same numbers, the CSV round-trips;
// OEE is checked against figures computed here from the simulator's own points.
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuestDb, type QuestDb } from '@plantwire/testkit';
import type { Point } from '@plantwire/telemetry';
import {
  DEFAULT_IDEAL_RATES,
  eventsFormat,
  QuestDbWriter,
  TelemetryWriter,
  toEvents,
  type PlantEvent,
} from '@plantwire/node-red-questdb';
import { parseConfig, PlantSimulator, type SimulatorEvent } from '@plantwire/node-red-simulator';
import { queryReport } from '../src/core/report-builder.js';
import { cellText } from '../src/core/format-pdf.js';
import type { PlantReport, Row } from '../src/core/report-model.js';
import { renderReport } from '../src/core/report-render.js';
import { pdfText } from './fixtures/pdf-text.js';
import { resolvePeriod } from '../src/core/report-period.js';

const FROM = Date.UTC(2026, 0, 5, 6);
const TO = FROM + 2 * 3_600_000;
const period = resolvePeriod('given', 0, { from: FROM, to: TO });
const options = {
  idealRates: DEFAULT_IDEAL_RATES,
  chatterCount: 5,
  chatterWindowS: 60,
  topN: 20,
  // Outside Latin-1, which the PDF's standard fonts stop at.
  title: 'Raport zmiany – Łódź / Отчёт о смене',
};
const scope = { tenant: 'acme', plant: 'plant-1', line: '' };

/** A deploy restarts the simulator half-way through the period: its counters start again from 0. */
const RESTART = FROM + 3_600_000;

/** The plant from 10 minutes before the period to 10 after, with a tool breaking and an energy spike in it. */
function simulate(): { points: Point[]; events: SimulatorEvent[] } {
  const config = parseConfig({ lines: 3, machinesPerLine: 3, seed: 42 });
  const start = FROM - 10 * 60_000;
  let plant = new PlantSimulator(config, start);
  const points: Point[] = [];
  const events: SimulatorEvent[] = [];
  for (let ts = start + 2000; ts <= TO + 10 * 60_000; ts += 2000) {
    if (ts === FROM + 20 * 60_000) {
      plant.command({ cmd: 'tool_wear', value: true, line: 'line-01', machine: 'cnc-01', duration: 600 }, ts);
      plant.command(
        { cmd: 'energy_spike', value: true, line: 'line-02', machine: 'press-02', duration: 900 },
        ts,
      );
    }
    if (ts === RESTART) plant = new PlantSimulator(config, ts - 2000);
    plant.tick(ts, points);
    events.push(...plant.drainEvents());
  }
  return { points, events };
}

/** Alarm events as threshold-alarm sends them, and flagged points as anomaly-detect sends them. */
function alarmsAndAnomalies(): unknown[] {
  const alarm = (id: string, key: string, state: string, previous: string, priority: string, ts: number) => ({
    id,
    key,
    rule: 'temp-high',
    level: 'critical',
    state,
    previous,
    priority,
    value: 95,
    limit: 90,
    ts,
    message: `${id} ${state}`,
  });
  const chatter = 'acme/plant-1/line-03/pump-03/pressure:p-high:warning';
  const long = 'acme/plant-1/line-01/cnc-01/temperature:temp-high:critical';
  const out: unknown[] = [];
  const t0 = FROM + 30 * 60_000;
  for (let i = 0; i < 6; i++) {
    out.push(
      alarm(
        chatter,
        'acme/plant-1/line-03/pump-03/pressure',
        'active-unack',
        'normal',
        'medium',
        t0 + i * 8000,
      ),
    );
    out.push(
      alarm(
        chatter,
        'acme/plant-1/line-03/pump-03/pressure',
        'rtn-unack',
        'active-unack',
        'medium',
        t0 + i * 8000 + 3000,
      ),
    );
  }
  out.push(alarm(long, 'acme/plant-1/line-01/cnc-01/temperature', 'active-unack', 'normal', 'critical', t0));
  out.push(
    alarm(
      long,
      'acme/plant-1/line-01/cnc-01/temperature',
      'active-ack',
      'active-unack',
      'critical',
      t0 + 60_000,
    ),
  );
  out.push(
    alarm(
      long,
      'acme/plant-1/line-01/cnc-01/temperature',
      'normal',
      'active-ack',
      'critical',
      t0 + 12 * 60_000,
    ),
  );
  for (let i = 0; i < 3; i++)
    out.push({
      ts: t0 + i * 60_000,
      tenant: 'acme',
      plant: 'plant-1',
      line: 'line-02',
      machine: 'press-02',
      metric: 'vibration',
      value: 9.5,
      unit: 'mm/s',
      q: 100,
      score: 0.98,
      anomaly: true,
    });
  return out;
}

/** OEE worked out here from the simulator's points, the textbook way, independent of the report's code. */
function groundTruth(points: Point[]) {
  const inPeriod = points.filter((p) => p.ts >= FROM && p.ts < TO);
  const machines = new Map<string, Point[]>();
  for (const p of inPeriod) {
    const key = `${p.line}/${p.machine}`;
    if (!machines.has(key)) machines.set(key, []);
    machines.get(key)!.push(p);
  }
  const truth = new Map<
    string,
    { availability: number; performance: number; quality: number; oee: number; good: number; kwh: number }
  >();
  for (const [key, list] of machines) {
    const states = list.filter((p) => p.metric === 'state');
    const count = (code: number) => states.filter((p) => p.value === code).length;
    // What the counter counted before the restart, and everything it counted since (from 0).
    const delta = (metric: string) => {
      const values = (before: boolean) =>
        list.filter((p) => p.metric === metric && p.ts < RESTART === before).map((p) => p.value);
      return Math.max(...values(true)) - Math.min(...values(true)) + Math.max(...values(false));
    };
    const spanMin = (states.at(-1)!.ts - states[0]!.ts) / 60_000;
    const runMin = (count(1) / states.length) * spanMin;
    const good = delta('units_good');
    const made =
      good +
      ['scrap_quality', 'scrap_machine_error', 'scrap_material', 'scrap_operator'].reduce(
        (s, m) => s + delta(m),
        0,
      );
    const rate = DEFAULT_IDEAL_RATES[key.split('/')[1]!.split('-')[0]!]!;
    const availability = count(1) / (states.length - count(5));
    const performance = Math.min(1, made / (rate * runMin));
    const quality = good / made;
    truth.set(key, {
      availability,
      performance,
      quality,
      oee: availability * performance * quality,
      good,
      kwh: delta('energy'),
    });
  }
  return truth;
}

describe('plant-report from a real QuestDB filled by the simulator', () => {
  let questdb: QuestDb;
  let report: PlantReport;
  let truth: ReturnType<typeof groundTruth>;
  let simEvents: PlantEvent[];

  beforeAll(async () => {
    questdb = await startQuestDb();
    const { points, events } = simulate();
    truth = groundTruth(points);
    const connection = { url: questdb.httpUrl };
    const writer = new TelemetryWriter(connection, { flushRows: 50_000 });
    for (let i = 0; i < points.length; i += 50_000) await writer.write(points.slice(i, i + 50_000));
    await writer.close();
    const normalised = toEvents([...events, ...alarmsAndAnomalies()]);
    expect(normalised.rejected).toEqual([]);
    simEvents = normalised.events;
    const eventWriter = new QuestDbWriter(connection, eventsFormat());
    await eventWriter.write(normalised.events);
    await eventWriter.close();
    await questdb.waitForWal('plantwire_telemetry');
    await questdb.waitForWal('plantwire_events');
    report = await queryReport(
      connection,
      { telemetry: 'plantwire_telemetry', events: 'plantwire_events' },
      scope,
      period,
      options,
      TO,
    );
  }, 240_000);
  afterAll(async () => {
    await questdb?.stop();
  });

  const section = (id: string) => report.sections.find((s) => s.id === id)!;

  it('OEE per machine matches the figures computed from the simulator ground truth', () => {
    const rows = section('oee_machines').rows;
    expect(rows).toHaveLength(9);
    const r1 = (x: number) => Math.round(x * 1000) / 10;
    for (const row of rows) {
      const t = truth.get(`${row.line}/${row.machine}`)!;
      expect(row, `${row.line}/${row.machine}`).toMatchObject({
        availability: r1(t.availability),
        performance: r1(t.performance),
        quality: r1(t.quality),
        oee: r1(t.oee),
        good: t.good,
      });
    }
    const energy = section('energy').rows;
    for (const row of energy) expect(row.kwh).toBeCloseTo(truth.get(`${row.line}/${row.machine}`)!.kwh, 1);
    // The tool broke: cnc-01 went to ERROR; that and the spike are the faults by cause.
    const causes = section('downtime_cause').rows.map((r) => `${r.cause} ${r.line}/${r.machine}`);
    expect(causes).toEqual(
      expect.arrayContaining(['tool_wear line-01/cnc-01', 'energy_spike line-02/press-02']),
    );
    const spike = section('downtime_cause').rows.find((r) => r.cause === 'energy_spike')!;
    const simulatedSpike = simEvents.filter((e) => e.kind === 'fault' && e.name === 'energy_spike');
    expect(spike.minutes).toBeCloseTo((simulatedSpike[1]!.ts - simulatedSpike[0]!.ts) / 60_000, 1);
  });

  it('alarms: counts by priority, time in alarm, chattering; anomalies', () => {
    expect(section('alarms_priority').rows.find((r) => r.priority === 'medium')).toMatchObject({
      activations: 6,
      alarms: 1,
    });
    expect(section('alarms_priority').rows.find((r) => r.priority === 'critical')).toMatchObject({
      activations: 1,
    });
    const top = section('alarms_top').rows;
    expect(top[0]).toMatchObject({
      machine: 'pump-03',
      activations: 6,
      minutes_active: 0.3,
      chattering: 'yes',
    });
    expect(top[1]).toMatchObject({ machine: 'cnc-01', activations: 1, minutes_active: 12, chattering: 'no' });
    expect(section('anomalies').rows).toEqual([
      expect.objectContaining({ machine: 'press-02', metric: 'vibration', count: 3 }),
    ]);
    expect(report.summary).toMatchObject({ machines: 9, alarms: 7, anomalies: 3 });
  });

  it('the PDF has the charts as vectors and its text holds every figure of the JSON, row by row', async () => {
    const pdf = await renderReport(report, 'pdf');
    expect(pdf.contentType).toBe('application/pdf');
    expect(pdf.filename).toBe('plant-report_acme_plant-1_2026-01-05T0600Z.pdf');
    expect(pdf.payload.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(pdf.payload);
    const json = JSON.parse((await renderReport(report, 'json')).payload.toString()) as PlantReport;
    expect(json).toEqual(report);
    expect(text).toContain(options.title);
    for (const s of json.sections) {
      expect(text).toContain(s.title);
      for (const row of s.rows)
        expect(text).toContain(s.columns.map((c) => cellText(row[c.key] ?? null)).join(' '));
    }
    expect(text).toContain(`OEE % (mean of machines) ${json.summary.oee}`);
    expect(text).not.toMatch(/NaN|undefined/);
  });

  it('the XLSX reads back with the same numbers, one sheet per section, typed cells', async () => {
    const xlsx = await renderReport(report, 'xlsx');
    expect(xlsx.contentType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.payload as never);
    expect(book.worksheets.map((w) => w.name)).toEqual(['Summary', ...report.sections.map((s) => s.id)]);
    for (const s of report.sections) {
      const sheet = book.getWorksheet(s.id)!;
      expect(sheet.getRow(1).values).toEqual([undefined, ...s.columns.map((c) => c.title)]);
      s.rows.forEach((row, i) => {
        const cells = sheet.getRow(i + 2);
        s.columns.forEach((c, j) => {
          const value = cells.getCell(j + 1).value;
          const expected = row[c.key] ?? null;
          if (c.type === 'time') expect((value as Date).toISOString()).toBe(expected);
          else expect(value, `${s.id} row ${i + 1} ${c.key}`).toEqual(expected);
        });
      });
    }
    const summary = book.getWorksheet('Summary')!;
    const oeeRow = summary
      .getRows(1, summary.rowCount)!
      .find((r) => r.getCell(1).value === 'OEE % (mean of machines)')!;
    expect(oeeRow.getCell(2).value).toBe(report.summary.oee);
  });

  it('the CSV round-trips to the same sections', async () => {
    const csv = await renderReport(report, 'csv');
    expect(csv.contentType).toBe('text/csv; charset=utf-8');
    const records = parse(csv.payload, { columns: true }) as {
      section: string;
      row: string;
      field: string;
      value: string;
    }[];
    const rebuilt = new Map<string, Row[]>();
    for (const r of records) {
      const rows = rebuilt.get(r.section) ?? [];
      (rows[Number(r.row) - 1] ??= {})[r.field] = r.value;
      rebuilt.set(r.section, rows);
    }
    const asText = (row: Row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? '' : String(v)]));
    for (const s of report.sections) expect(rebuilt.get(s.id) ?? [], s.id).toEqual(s.rows.map(asText));
    expect(rebuilt.get('summary')![0]).toEqual(asText(report.summary));
    expect(rebuilt.get('report')![0]).toMatchObject({
      tenant: 'acme',
      plant: 'plant-1',
      from: report.period.from,
    });
  });
});

// A plant report as data: a summary and sections, each a table of typed columns (what the PDF, XLSX, CSV and
// JSON formats all show), built from the machine aggregates and the period's events. OEE is the ingest
// package's arithmetic (oee(), the same figures as the dashboard's kpis preset).
import { COUNTERS, oee, STATES } from '@plantwire/node-red-questdb';
import type { Period } from './report-period.js';
import type { Scope } from './report-queries.js';

export type ColumnType = 'text' | 'percent' | 'count' | 'minutes' | 'kwh' | 'number' | 'time';
export interface Column {
  key: string;
  title: string;
  type: ColumnType;
}
export type Cell = string | number | null;
export type Row = Record<string, Cell>;

export interface Chart {
  /** bar: one bar per row of `values[0]`; stacked: the values stacked per row. */
  kind: 'bar' | 'stacked';
  label: string;
  values: string[];
  title: string;
}

export interface Section {
  id: string;
  title: string;
  columns: Column[];
  rows: Row[];
  chart?: Chart;
}

export interface PlantReport {
  title: string;
  tenant: string;
  plant: string;
  line: string;
  period: { from: string; to: string; label: string };
  generatedAt: string;
  summary: Row;
  sections: Section[];
}

export interface ReportOptions {
  idealRates: Record<string, number>;
  /** An alarm activating this often within chatterWindowS is chattering (threshold-alarm's defaults). */
  chatterCount: number;
  chatterWindowS: number;
  /** The most rows in the top alarms and anomalies sections. */
  topN: number;
  title: string;
}

export interface EventRow {
  ts: number;
  line: string;
  machine: string;
  kind: string;
  name: string;
  state: string;
  priority: string;
  value: number | null;
  message: string;
}

const SCRAP = COUNTERS.slice(1);
const DOWN_STATES = STATES.filter((s) => s !== 'RUNNING');

export function buildReport(
  machineRows: Record<string, unknown>[],
  events: EventRow[],
  scope: Scope,
  period: Period,
  options: ReportOptions,
  now: number,
): PlantReport {
  const machines = machineRows.map((row) => machineFigures(row, options.idealRates));
  const oeeMachines: Section = {
    id: 'oee_machines',
    title: 'OEE by machine',
    columns: [
      col('line', 'Line', 'text'),
      col('machine', 'Machine', 'text'),
      col('availability', 'Availability %', 'percent'),
      col('performance', 'Performance %', 'percent'),
      col('quality', 'Quality %', 'percent'),
      col('oee', 'OEE %', 'percent'),
      col('good', 'Good parts', 'count'),
      col('scrap', 'Scrap parts', 'count'),
      col('run_min', 'Run time min', 'minutes'),
    ],
    rows: machines.map((m) =>
      pick(m, [
        'line',
        'machine',
        'availability',
        'performance',
        'quality',
        'oee',
        'good',
        'scrap',
        'run_min',
      ]),
    ),
    chart: { kind: 'bar', label: 'machine', values: ['oee'], title: 'OEE % by machine' },
  };
  const lines = [...new Set(machines.map((m) => m.line as string))];
  const oeeLines: Section = {
    id: 'oee_lines',
    title: 'OEE by line (mean of its machines)',
    columns: [
      col('line', 'Line', 'text'),
      col('machines', 'Machines', 'count'),
      col('availability', 'Availability %', 'percent'),
      col('performance', 'Performance %', 'percent'),
      col('quality', 'Quality %', 'percent'),
      col('oee', 'OEE %', 'percent'),
    ],
    rows: lines.map((line) => {
      const of = machines.filter((m) => m.line === line);
      return {
        line,
        machines: of.length,
        availability: mean(of, 'availability'),
        performance: mean(of, 'performance'),
        quality: mean(of, 'quality'),
        oee: mean(of, 'oee'),
      };
    }),
    chart: { kind: 'bar', label: 'line', values: ['oee'], title: 'OEE % by line' },
  };
  const downtimeState: Section = {
    id: 'downtime_state',
    title: 'Downtime by state (minutes)',
    columns: [
      col('line', 'Line', 'text'),
      col('machine', 'Machine', 'text'),
      ...DOWN_STATES.map((s) => col(`${s.toLowerCase()}_min`, `${cap(s)} min`, 'minutes')),
      col('total_min', 'Total min', 'minutes'),
    ],
    rows: machines.map((m) =>
      pick(m, ['line', 'machine', ...DOWN_STATES.map((s) => `${s.toLowerCase()}_min`), 'total_min']),
    ),
    chart: {
      kind: 'stacked',
      label: 'machine',
      values: DOWN_STATES.map((s) => `${s.toLowerCase()}_min`),
      title: 'Downtime minutes by state',
    },
  };
  const downtimeCause = faultSection(events, period);
  const scrapTotal = SCRAP.reduce(
    (sum, c) => sum + machines.reduce((s, m) => s + ((m[c] as number) ?? 0), 0),
    0,
  );
  const scrap: Section = {
    id: 'scrap',
    title: 'Scrap by reason',
    columns: [
      col('reason', 'Reason', 'text'),
      col('count', 'Parts', 'count'),
      col('share', 'Share %', 'percent'),
    ],
    rows: SCRAP.map((c) => {
      const count = round(
        machines.reduce((s, m) => s + ((m[c] as number) ?? 0), 0),
        0,
      );
      return {
        reason: c.replace('scrap_', ''),
        count,
        share: scrapTotal > 0 ? round((100 * count!) / scrapTotal) : null,
      };
    }),
    chart: { kind: 'bar', label: 'reason', values: ['count'], title: 'Scrap parts by reason' },
  };
  const energy: Section = {
    id: 'energy',
    title: 'Energy',
    columns: [
      col('line', 'Line', 'text'),
      col('machine', 'Machine', 'text'),
      col('kwh', 'Energy kWh', 'kwh'),
      col('kwh_per_part', 'kWh per good part', 'number'),
    ],
    rows: machines.map((m) => pick(m, ['line', 'machine', 'kwh', 'kwh_per_part'])),
    chart: { kind: 'bar', label: 'machine', values: ['kwh'], title: 'Energy kWh by machine' },
  };
  const alarms = alarmSections(events, period, options);
  const anomalies = anomalySection(events, options.topN);

  const sum = (key: string) =>
    round(
      machines.reduce((s, m) => s + ((m[key] as number) ?? 0), 0),
      1,
    );
  const summary: Row = {
    machines: machines.length,
    availability: mean(machines, 'availability'),
    performance: mean(machines, 'performance'),
    quality: mean(machines, 'quality'),
    oee: mean(machines, 'oee'),
    good: sum('good'),
    scrap: sum('scrap'),
    downtime_min: sum('total_min'),
    energy_kwh: sum('kwh'),
    alarms: alarms[0].rows.reduce((s, r) => s + (r.activations as number), 0),
    anomalies: anomalies.rows.reduce((s, r) => s + (r.count as number), 0),
  };
  return {
    title: options.title,
    tenant: scope.tenant,
    plant: scope.plant,
    line: scope.line,
    period: {
      from: new Date(period.from).toISOString(),
      to: new Date(period.to).toISOString(),
      label: period.label,
    },
    generatedAt: new Date(now).toISOString(),
    summary,
    sections: [oeeLines, oeeMachines, downtimeState, downtimeCause, scrap, energy, ...alarms, anomalies],
  };
}

/** The summary's figures, with their titles and types, for every format. */
export const SUMMARY_COLUMNS: Column[] = [
  col('machines', 'Machines', 'count'),
  col('availability', 'Availability %', 'percent'),
  col('performance', 'Performance %', 'percent'),
  col('quality', 'Quality %', 'percent'),
  col('oee', 'OEE %', 'percent'),
  col('good', 'Good parts', 'count'),
  col('scrap', 'Scrap parts', 'count'),
  col('downtime_min', 'Downtime min', 'minutes'),
  col('energy_kwh', 'Energy kWh', 'kwh'),
  col('alarms', 'Alarm activations', 'count'),
  col('anomalies', 'Anomalies', 'count'),
];

function machineFigures(row: Record<string, unknown>, rates: Record<string, number>): Row {
  const machine = String(row.machine ?? '');
  const rate = rates[machine] ?? rates[machine.split('-')[0]!];
  const figures = oee(row, 's', rate);
  const samples = num(row.s_samples) ?? 0;
  const span = (Date.parse(String(row.s_last)) - Date.parse(String(row.s_first))) / 60_000;
  const minutes = (state: string) =>
    samples > 0 && Number.isFinite(span) ? ((num(row[`s_${state}`]) ?? 0) / samples) * span : 0;
  const out: Row = {
    line: String(row.line ?? ''),
    machine,
    availability: percent(figures.availability),
    performance: percent(figures.performance),
    quality: percent(figures.quality),
    oee: percent(figures.oee),
    good: round(figures.good, 0),
    scrap: round(figures.scrap, 0),
    run_min: round(minutes('running')),
    kwh: round(num(row.s_energy)),
    kwh_per_part:
      figures.good > 0 && num(row.s_energy) !== null ? round(num(row.s_energy)! / figures.good, 3) : null,
  };
  let total = 0;
  for (const state of DOWN_STATES) {
    const value = minutes(state.toLowerCase());
    out[`${state.toLowerCase()}_min`] = round(value);
    total += value;
  }
  out.total_min = round(total);
  for (const c of SCRAP) out[c] = round(num(row[`s_${c}`]) ?? 0, 0);
  return out;
}

/** Faults (machine-sim's fault events, start and end): how often and how long, per cause and machine. */
function faultSection(events: EventRow[], period: Period): Section {
  const open = new Map<string, number>();
  const totals = new Map<string, Row>();
  const add = (e: EventRow, from: number, to: number, counted: boolean) => {
    const key = `${e.name}|${e.line}|${e.machine}`;
    const row = totals.get(key) ?? { cause: e.name, line: e.line, machine: e.machine, count: 0, minutes: 0 };
    if (counted) row.count = (row.count as number) + 1;
    row.minutes = (row.minutes as number) + (to - from) / 60_000;
    totals.set(key, row);
  };
  for (const e of events) {
    if (e.kind !== 'fault') continue;
    const key = `${e.name}|${e.line}|${e.machine}`;
    if (e.state === 'start') {
      if (!open.has(key)) open.set(key, e.ts);
    } else if (e.state === 'end') {
      // A fault that began before the period counts from its start.
      const from = open.get(key) ?? period.from;
      add(e, from, e.ts, open.has(key));
      open.delete(key);
    }
  }
  for (const [key, from] of open) {
    const [name, line, machine] = key.split('|') as [string, string, string];
    add({ name, line, machine } as EventRow, from, period.to, true);
  }
  const rows = [...totals.values()]
    .map((r) => ({ ...r, minutes: round(r.minutes as number) }))
    .sort((a, b) => (b.minutes as number) - (a.minutes as number));
  return {
    id: 'downtime_cause',
    title: 'Faults by cause',
    columns: [
      col('cause', 'Cause', 'text'),
      col('line', 'Line', 'text'),
      col('machine', 'Machine', 'text'),
      col('count', 'Count', 'count'),
      col('minutes', 'Minutes', 'minutes'),
    ],
    rows,
  };
}

const ACTIVE = new Set(['active-unack', 'active-ack']);

/** Alarm activations by priority, and the top alarms with their time in alarm and whether they chatter. */
function alarmSections(events: EventRow[], period: Period, options: ReportOptions): [Section, Section] {
  interface Stats {
    alarm: string;
    line: string;
    machine: string;
    priority: string;
    activations: number[];
    activeSince: number;
    activeMs: number;
  }
  const stats = new Map<string, Stats>();
  for (const e of events) {
    if (e.kind !== 'alarm') continue;
    let s = stats.get(e.name);
    if (!s) {
      // Active at the period's start when its first event here leaves an active state.
      s = {
        alarm: e.name,
        line: e.line,
        machine: e.machine,
        priority: e.priority,
        activations: [],
        activeSince: NaN,
        activeMs: 0,
      };
      stats.set(e.name, s);
    }
    if (e.priority) s.priority = e.priority;
    const active = ACTIVE.has(e.state) || e.state === 'flood';
    const wasActive = s.activeSince === s.activeSince;
    if (active && !wasActive) {
      s.activeSince = e.ts;
      s.activations.push(e.ts);
    } else if (active && e.state === 'active-unack')
      s.activations.push(e.ts); // a re-alarm
    else if (!active && wasActive) {
      s.activeMs += e.ts - s.activeSince;
      s.activeSince = NaN;
    }
  }
  const windowMs = options.chatterWindowS * 1000;
  const rows = [...stats.values()].map((s) => {
    if (s.activeSince === s.activeSince) s.activeMs += period.to - s.activeSince;
    let chattering = false;
    for (let i = options.chatterCount - 1; i < s.activations.length && !chattering; i++)
      chattering = s.activations[i]! - s.activations[i - options.chatterCount + 1]! <= windowMs;
    return {
      alarm: s.alarm,
      line: s.line,
      machine: s.machine,
      priority: s.priority,
      activations: s.activations.length,
      minutes_active: round(s.activeMs / 60_000),
      chattering: chattering ? 'yes' : 'no',
    };
  });
  rows.sort((a, b) => b.activations - a.activations || (b.minutes_active ?? 0) - (a.minutes_active ?? 0));
  const byPriority = ['critical', 'high', 'medium', 'low', 'diagnostic'].map((priority) => ({
    priority,
    activations: rows.filter((r) => r.priority === priority).reduce((s, r) => s + r.activations, 0),
    alarms: rows.filter((r) => r.priority === priority && r.activations > 0).length,
  }));
  return [
    {
      id: 'alarms_priority',
      title: 'Alarm activations by priority',
      columns: [
        col('priority', 'Priority', 'text'),
        col('activations', 'Activations', 'count'),
        col('alarms', 'Alarms', 'count'),
      ],
      rows: byPriority,
      chart: {
        kind: 'bar',
        label: 'priority',
        values: ['activations'],
        title: 'Alarm activations by priority',
      },
    },
    {
      id: 'alarms_top',
      title: `Top alarms (chattering: ${options.chatterCount} activations within ${options.chatterWindowS} s)`,
      columns: [
        col('alarm', 'Alarm', 'text'),
        col('line', 'Line', 'text'),
        col('machine', 'Machine', 'text'),
        col('priority', 'Priority', 'text'),
        col('activations', 'Activations', 'count'),
        col('minutes_active', 'Minutes in alarm', 'minutes'),
        col('chattering', 'Chattering', 'text'),
      ],
      rows: rows.slice(0, options.topN),
    },
  ];
}

function anomalySection(events: EventRow[], topN: number): Section {
  const byKey = new Map<string, Row>();
  for (const e of events) {
    if (e.kind !== 'anomaly') continue;
    const key = `${e.line}|${e.machine}|${e.name}`;
    const row = byKey.get(key) ?? {
      line: e.line,
      machine: e.machine,
      metric: e.name,
      count: 0,
      first: iso(e.ts),
      last: '',
    };
    row.count = (row.count as number) + 1;
    row.last = iso(e.ts);
    byKey.set(key, row);
  }
  return {
    id: 'anomalies',
    title: 'Anomalies found',
    columns: [
      col('line', 'Line', 'text'),
      col('machine', 'Machine', 'text'),
      col('metric', 'Metric', 'text'),
      col('count', 'Count', 'count'),
      col('first', 'First', 'time'),
      col('last', 'Last', 'time'),
    ],
    rows: [...byKey.values()].sort((a, b) => (b.count as number) - (a.count as number)).slice(0, topN),
  };
}

function col(key: string, title: string, type: ColumnType): Column {
  return { key, title, type };
}

function pick(row: Row, keys: string[]): Row {
  return Object.fromEntries(keys.map((k) => [k, row[k] ?? null]));
}

function mean(rows: Row[], key: string): number | null {
  const values = rows.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
  return values.length === 0 ? null : round(values.reduce((a, b) => a + b, 0) / values.length);
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function round(value: number | null, digits = 1): number | null {
  if (value === null) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function percent(share: number | null): number | null {
  return share === null ? null : round(share * 100);
}

function cap(state: string): string {
  return state[0] + state.slice(1).toLowerCase();
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

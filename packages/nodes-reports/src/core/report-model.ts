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
/** The downtime figures' keys, one a state that is not RUNNING: idle_min, setup_min, ... */
const DOWN_KEYS = DOWN_STATES.map((s) => `${s.toLowerCase()}_min`);
/** The OEE figures, per machine, as the mean of a line's machines and in the summary. */
const OEE_KEYS = ['availability', 'performance', 'quality', 'oee'];

/** Every figure a section or the summary shows, by key: its column title and type. */
const COLUMNS: Record<string, [title: string, type: ColumnType]> = {
  line: ['Line', 'text'],
  machine: ['Machine', 'text'],
  machines: ['Machines', 'count'],
  availability: ['Availability %', 'percent'],
  performance: ['Performance %', 'percent'],
  quality: ['Quality %', 'percent'],
  oee: ['OEE %', 'percent'],
  good: ['Good parts', 'count'],
  scrap: ['Scrap parts', 'count'],
  run_min: ['Run time min', 'minutes'],
  ...Object.fromEntries(
    DOWN_STATES.map((s, i) => [DOWN_KEYS[i], [`${cap(s)} min`, 'minutes'] as [string, ColumnType]]),
  ),
  total_min: ['Total min', 'minutes'],
  downtime_min: ['Downtime min', 'minutes'],
  cause: ['Cause', 'text'],
  count: ['Count', 'count'],
  minutes: ['Minutes', 'minutes'],
  reason: ['Reason', 'text'],
  share: ['Share %', 'percent'],
  kwh: ['Energy kWh', 'kwh'],
  energy_kwh: ['Energy kWh', 'kwh'],
  kwh_per_part: ['kWh per good part', 'number'],
  alarm: ['Alarm', 'text'],
  alarms: ['Alarms', 'count'],
  priority: ['Priority', 'text'],
  activations: ['Activations', 'count'],
  minutes_active: ['Minutes in alarm', 'minutes'],
  chattering: ['Chattering', 'text'],
  anomalies: ['Anomalies', 'count'],
  metric: ['Metric', 'text'],
  first: ['First', 'time'],
  last: ['Last', 'time'],
};

/** The summary's figures, with their titles and types, for every format. */
export const SUMMARY_COLUMNS: Column[] = columns([
  'machines',
  // Named for what they are: a machine's OEE weighs as much as another's, whatever each made.
  ...OEE_KEYS.map((key): ColumnRef => [key, `${COLUMNS[key]![0]} (mean of machines)`]),
  'good',
  'scrap',
  'downtime_min',
  'energy_kwh',
  ['alarms', 'Alarm activations'],
  'anomalies',
]);

export function buildReport(
  machineRows: Record<string, unknown>[],
  events: EventRow[],
  scope: Scope,
  period: Period,
  options: ReportOptions,
  now: number,
): PlantReport {
  const machines = machineRows.map((row) => machineFigures(row, options.idealRates));
  /** A section of one row a machine, showing these of its figures. */
  const perMachine = (id: string, title: string, keys: string[], chart: Chart) =>
    section(
      id,
      title,
      keys,
      machines.map((m) => pick(m, keys)),
      chart,
    );
  const lines = [...new Set(machines.map((m) => m.line as string))];
  const sum = (key: string, digits = 1) =>
    round(
      machines.reduce((s, m) => s + ((m[key] as number) ?? 0), 0),
      digits,
    );
  const scrapTotal = SCRAP.reduce((total, c) => total + sum(c, 0)!, 0);
  const alarms = alarmSections(events, period, options);
  const anomalies = anomalySection(events, options.topN);
  const summary: Row = {
    machines: machines.length,
    ...means(machines),
    good: sum('good'),
    scrap: sum('scrap'),
    downtime_min: sum('total_min'),
    energy_kwh: sum('kwh'),
    alarms: alarms[0].rows.reduce((s, r) => s + (r.activations as number), 0),
    // Every anomaly, not only those of the top series the section lists.
    anomalies: events.filter((e) => e.kind === 'anomaly').length,
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
    sections: [
      section(
        'oee_lines',
        'OEE by line (mean of its machines)',
        ['line', 'machines', ...OEE_KEYS],
        lines.map((line) => {
          const of = machines.filter((m) => m.line === line);
          return { line, machines: of.length, ...means(of) };
        }),
        { kind: 'bar', label: 'line', values: ['oee'], title: 'OEE % by line' },
      ),
      perMachine(
        'oee_machines',
        'OEE by machine',
        ['line', 'machine', ...OEE_KEYS, 'good', 'scrap', 'run_min'],
        { kind: 'bar', label: 'machine', values: ['oee'], title: 'OEE % by machine' },
      ),
      perMachine(
        'downtime_state',
        'Downtime by state (minutes)',
        ['line', 'machine', ...DOWN_KEYS, 'total_min'],
        {
          kind: 'stacked',
          label: 'machine',
          values: [...DOWN_KEYS],
          title: 'Downtime minutes by state',
        },
      ),
      faultSection(events, period),
      section(
        'scrap',
        'Scrap by reason',
        ['reason', ['count', 'Parts'], 'share'],
        SCRAP.map((c) => {
          const count = sum(c, 0);
          return {
            reason: c.replace('scrap_', ''),
            count,
            share: scrapTotal > 0 ? round((100 * count!) / scrapTotal) : null,
          };
        }),
        { kind: 'bar', label: 'reason', values: ['count'], title: 'Scrap parts by reason' },
      ),
      perMachine('energy', 'Energy', ['line', 'machine', 'kwh', 'kwh_per_part'], {
        kind: 'bar',
        label: 'machine',
        values: ['kwh'],
        title: 'Energy kWh by machine',
      }),
      ...alarms,
      anomalies,
    ],
  };
}

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
  DOWN_STATES.forEach((state, i) => {
    const value = minutes(state.toLowerCase());
    out[DOWN_KEYS[i]!] = round(value);
    total += value;
  });
  out.total_min = round(total);
  for (const c of SCRAP) out[c] = round(num(row[`s_${c}`]) ?? 0, 0);
  return out;
}

/** Faults (machine-sim's fault events, start and end): how often and how long, per cause and machine. */
function faultSection(events: EventRow[], period: Period): Section {
  /** Faults still open: their start event and time, by cause, line and machine. */
  const open = new Map<string, { start: EventRow; from: number }>();
  const totals = new Map<string, Row>();
  // NUL cannot be in a name, where '|' can.
  const keyOf = (e: EventRow) => `${e.name}\u0000${e.line}\u0000${e.machine}`;
  const add = (e: EventRow, from: number, to: number, counted: boolean) => {
    const key = keyOf(e);
    const row = totals.get(key) ?? { cause: e.name, line: e.line, machine: e.machine, count: 0, minutes: 0 };
    if (counted) row.count = (row.count as number) + 1;
    row.minutes = (row.minutes as number) + (to - from) / 60_000;
    totals.set(key, row);
  };
  for (const e of events) {
    if (e.kind !== 'fault') continue;
    const key = keyOf(e);
    if (e.state === 'start') {
      if (!open.has(key)) open.set(key, { start: e, from: e.ts });
    } else if (e.state === 'end') {
      // A fault that began before the period counts from its start.
      const from = open.get(key)?.from ?? period.from;
      add(e, from, e.ts, open.has(key));
      open.delete(key);
    }
  }
  for (const { start, from } of open.values()) add(start, from, period.to, true);
  const rows = [...totals.values()]
    .map((r) => ({ ...r, minutes: round(r.minutes as number) }))
    .sort((a, b) => (b.minutes as number) - (a.minutes as number));
  return section('downtime_cause', 'Faults by cause', ['cause', 'line', 'machine', 'count', 'minutes'], rows);
}

const ACTIVE = new Set(['active-unack', 'active-ack']);
/**
 * States an alarm reaches only from an active one. (`normal` is not among them: an unshelved or returned-to-service
 * alarm reaches it too.)
 */
const WAS_ACTIVE_BEFORE = new Set(['active-ack', 'rtn-unack']);

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
      // Its first event here acknowledges it or ends it: it was already active when the period began, which is
      // neither an activation here nor time out of alarm.
      if (WAS_ACTIVE_BEFORE.has(e.state)) s.activeSince = period.from;
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
    section(
      'alarms_priority',
      'Alarm activations by priority',
      ['priority', 'activations', 'alarms'],
      byPriority,
      {
        kind: 'bar',
        label: 'priority',
        values: ['activations'],
        title: 'Alarm activations by priority',
      },
    ),
    section(
      'alarms_top',
      `Top alarms (chattering: ${options.chatterCount} activations within ${options.chatterWindowS} s)`,
      ['alarm', 'line', 'machine', 'priority', 'activations', 'minutes_active', 'chattering'],
      rows.slice(0, options.topN),
    ),
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
  return section(
    'anomalies',
    'Anomalies found',
    ['line', 'machine', 'metric', 'count', 'first', 'last'],
    [...byKey.values()].sort((a, b) => (b.count as number) - (a.count as number)).slice(0, topN),
  );
}

/** A column key, or a key and the title its column takes here instead of its title in COLUMNS. */
type ColumnRef = string | [key: string, title: string];

/** The columns of these figures, their titles and types from COLUMNS. */
function columns(refs: ColumnRef[]): Column[] {
  return refs.map((ref) => {
    const [key, title] = typeof ref === 'string' ? [ref, undefined] : ref;
    const [ownTitle, type] = COLUMNS[key]!;
    return { key, title: title ?? ownTitle, type };
  });
}

function section(id: string, title: string, refs: ColumnRef[], rows: Row[], chart?: Chart): Section {
  return { id, title, columns: columns(refs), rows, ...(chart && { chart }) };
}

/** The mean of each OEE figure over these rows. */
function means(rows: Row[]): Row {
  return Object.fromEntries(OEE_KEYS.map((key) => [key, mean(rows, key)]));
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

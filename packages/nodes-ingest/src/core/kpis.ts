import { QuestDbError } from './questdb-http.js';

/** machine-sim's state codes (the `state` metric): 1 RUNNING ... 5 MAINTENANCE. */
export const STATES = ['RUNNING', 'IDLE', 'SETUP', 'ERROR', 'MAINTENANCE'] as const;
/** Cumulative part counters: good parts and scrap by reason. */
export const COUNTERS = [
  'units_good',
  'scrap_quality',
  'scrap_machine_error',
  'scrap_material',
  'scrap_operator',
] as const;
/** Not gauges: their q says nothing about sensor health. */
const NOT_GAUGES = ['state', 'energy', ...COUNTERS];

/** Parts per minute at full load, by machine name or the part before its first '-' (machine-sim's rates). */
export const DEFAULT_IDEAL_RATES: Readonly<Record<string, number>> = {
  cnc: 2,
  press: 40,
  conveyor: 120,
  pump: 10,
};

/** machine-sim's shifts start at these UTC hours. */
export const SHIFT_STARTS_UTC = [6, 14, 22];

/** The start of the shift `now` falls in (06:00, 14:00 or 22:00 UTC; the night shift runs over midnight). */
export function shiftStart(now: number): number {
  const day = new Date(now);
  day.setUTCHours(0, 0, 0, 0);
  const hour = new Date(now).getUTCHours();
  const start = [...SHIFT_STARTS_UTC].reverse().find((h) => h <= hour);
  return start === undefined
    ? day.getTime() - (24 - SHIFT_STARTS_UTC[SHIFT_STARTS_UTC.length - 1]!) * 3_600_000
    : day.getTime() + start * 3_600_000;
}

/** The ideal rates setting: a JSON object of parts per minute, each a positive number. */
export function parseIdealRates(text: string | undefined): Record<string, number> {
  if (text === undefined || text.trim() === '') return { ...DEFAULT_IDEAL_RATES };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new QuestDbError('ideal rates must be a JSON object such as {"cnc": 2, "press": 40}', 'bad-data');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new QuestDbError('ideal rates must be a JSON object such as {"cnc": 2, "press": 40}', 'bad-data');
  for (const [name, rate] of Object.entries(parsed)) {
    if (typeof rate !== 'number' || !(rate > 0) || !Number.isFinite(rate))
      throw new QuestDbError(
        `ideal rate of "${name}" must be a positive number of parts per minute (got ${JSON.stringify(rate)})`,
        'bad-data',
      );
  }
  return parsed as Record<string, number>;
}

const WINDOWS = { h: ':hour', s: ':shift' } as const;

/**
 * Each counter sample's increase since the previous sample of its series, with that sample's time (`prev_ts`), over
 * the rows `conditions` select. A counter that went down was reset (a restart, a new shift or order): it has
 * counted up from 0 since. Summing increases, where max - min would count a reset's whole old count again.
 */
export function counterIncreasesSql(table: string, conditions: string[], metrics: readonly string[]): string {
  const series = 'OVER (PARTITION BY tenant, plant, line, machine, metric ORDER BY ts)';
  const listed = metrics.map((m) => `'${m}'`).join(', ');
  return (
    'SELECT line, machine, metric, prev_ts, ' +
    'case when prev is null then 0 when value >= prev then value - prev else value end increase ' +
    `FROM (SELECT line, machine, metric, value, lag(value) ${series} prev, lag(ts) ${series} prev_ts ` +
    `FROM ${table} WHERE ${[...conditions, `metric IN (${listed})`].join(' AND ')})`
  );
}

/**
 * Two passes over the telemetry since the earlier of (an hour ago, the shift's start), per line and machine,
 * joined: state samples per state, the span they cover, mean gauge quality for the hour, the latest state and the
 * last point's time; and the counters' and energy's increases within the last hour and within the shift (both
 * samples of an increase inside the window, as max - min of a counter that never resets). `where` holds the
 * filter conditions (bound placeholders); the arithmetic is kpiRows'.
 */
export function kpiSql(
  table: string,
  where: string[],
  params: Record<string, unknown>,
  now: number,
): { sql: string; params: Record<string, unknown> } {
  const hour = now - 3_600_000;
  const shift = shiftStart(now);
  // [expression, name]: the join names each column again.
  const columns: [string, string][] = [];
  const increases: [string, string][] = [];
  for (const [w, from] of Object.entries(WINDOWS)) {
    const inWindow = `ts >= ${from}`;
    STATES.forEach((state, i) =>
      columns.push([
        `sum(case when metric = 'state' and ${inWindow} and value = ${i + 1} then 1 else 0 end)`,
        `${w}_${state.toLowerCase()}`,
      ]),
    );
    columns.push(
      [`sum(case when metric = 'state' and ${inWindow} then 1 else 0 end)`, `${w}_samples`],
      [`min(case when metric = 'state' and ${inWindow} then ts end)`, `${w}_first`],
      [`max(case when metric = 'state' and ${inWindow} then ts end)`, `${w}_last`],
    );
    for (const counter of [...COUNTERS, ...(w === 'h' ? ['energy'] : [])])
      increases.push([
        `sum(case when metric = '${counter}' and prev_ts >= ${from} then increase end)`,
        `${w}_${counter}`,
      ]);
  }
  columns.push(
    [
      `avg(case when metric not in (${NOT_GAUGES.map((m) => `'${m}'`).join(', ')}) and ts >= :hour then cast(q as double) end)`,
      'h_q',
    ],
    [`last_not_null(case when metric = 'state' then value end)`, 'state_code'],
    ['max(ts)', 'last_seen'],
  );
  const since = [...where, 'ts >= :from'];
  // Before the last hour only the shift's OEE is computed: state and part counters.
  const shiftMetrics = ['state', ...COUNTERS].map((m) => `'${m}'`).join(', ');
  const select = (list: [string, string][]) => list.map(([expression, name]) => `${expression} ${name}`);
  const machines =
    `SELECT line, machine, ${select(columns).join(', ')} FROM ${table} ` +
    `WHERE ${[...since, `(ts >= :hour OR metric IN (${shiftMetrics}))`].join(' AND ')}`;
  const counters = `SELECT line, machine, ${select(increases).join(', ')} FROM (${counterIncreasesSql(table, since, [...COUNTERS, 'energy'])})`;
  const joined = [...columns.map(([, name]) => `m.${name}`), ...increases.map(([, name]) => `c.${name}`)];
  return {
    sql:
      `SELECT m.line line, m.machine machine, ${joined.join(', ')} ` +
      `FROM (${machines}) m LEFT JOIN (${counters}) c ON (line, machine) ORDER BY line, machine`,
    params: {
      ...params,
      from: new Date(Math.min(hour, shift)),
      hour: new Date(hour),
      shift: new Date(shift),
    },
  };
}

export interface KpiRow {
  line: string;
  machine: string;
  /** The latest state ('RUNNING' ...), '' when no state was sampled. */
  state: string;
  oee_shift: number | null;
  oee_hour: number | null;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  energy_kwh: number | null;
  scrap_rate: number | null;
  scrap_quality: number | null;
  scrap_machine_error: number | null;
  scrap_material: number | null;
  scrap_operator: number | null;
  health: number | null;
  /** ISO-8601. */
  last_seen: string;
}

export interface Oee {
  availability: number | null;
  performance: number | null;
  quality: number | null;
  oee: number | null;
  good: number;
  scrap: number;
  errorShare: number | null;
}

/** Rows of kpiSql's query to KPIs (percentages 0..100, everything rounded to 0.1). */
export function kpiRows(rows: Record<string, unknown>[], idealRates: Record<string, number>): KpiRow[] {
  return rows.map((row) => {
    const machine = String(row.machine ?? '');
    const rate = idealRates[machine] ?? idealRates[machine.split('-')[0]!];
    const hour = oee(row, 'h', rate);
    const shift = oee(row, 's', rate);
    const meanQ = num(row.h_q);
    const code = num(row.state_code);
    return {
      line: String(row.line ?? ''),
      machine,
      state: code === null ? '' : (STATES[code - 1] ?? String(code)),
      oee_shift: percent(shift.oee),
      oee_hour: percent(hour.oee),
      availability: percent(hour.availability),
      performance: percent(hour.performance),
      quality: percent(hour.quality),
      energy_kwh: round(num(row.h_energy)),
      scrap_rate: percent(hour.good + hour.scrap > 0 ? hour.scrap / (hour.good + hour.scrap) : null),
      scrap_quality: round(num(row.h_scrap_quality)),
      scrap_machine_error: round(num(row.h_scrap_machine_error)),
      scrap_material: round(num(row.h_scrap_material)),
      scrap_operator: round(num(row.h_scrap_operator)),
      health: meanQ === null || hour.errorShare === null ? null : round(meanQ * (1 - hour.errorShare)),
      last_seen: new Date(Date.parse(String(row.last_seen))).toISOString(),
    };
  });
}

/** Availability, performance, quality and OEE (0..1) of one window ('h' or 's') of a row. */
export function oee(row: Record<string, unknown>, w: 'h' | 's', rate: number | undefined): Oee {
  const count = (state: string) => num(row[`${w}_${state}`]) ?? 0;
  const samples = count('samples');
  const span = (Date.parse(String(row[`${w}_last`])) - Date.parse(String(row[`${w}_first`]))) / 60_000;
  const good = count('units_good');
  const scrap = COUNTERS.slice(1).reduce((sum, counter) => sum + count(counter), 0);
  const quality = good + scrap > 0 ? good / (good + scrap) : null;
  if (samples === 0)
    return { availability: null, performance: null, quality, oee: null, good, scrap, errorShare: null };
  const running = count('running') / samples;
  const planned = 1 - count('maintenance') / samples;
  const availability = planned > 0 ? running / planned : null;
  const runMinutes = running * (Number.isFinite(span) ? span : 0);
  const performance =
    rate === undefined || runMinutes === 0 ? null : Math.min(1, (good + scrap) / (rate * runMinutes));
  return {
    availability,
    performance,
    quality,
    // No run time in planned time is an OEE of 0 whatever the rate; otherwise A x P x Q (Q is unknown only when
    // nothing was made, and then P is 0 or unknown too).
    oee:
      availability === 0
        ? 0
        : availability === null || performance === null
          ? null
          : availability * performance * (quality ?? 1),
    good,
    scrap,
    errorShare: count('error') / samples,
  };
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function round(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10) / 10;
}

function percent(share: number | null): number | null {
  return share === null ? null : round(share * 100);
}

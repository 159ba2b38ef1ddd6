import { kpiSql } from './kpis.js';
import { QuestDbError } from './questdb-http.js';

/** A value a query may take as a parameter; it becomes a literal, never SQL. */
export type SqlValue = string | number | boolean | null | Date;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,126}$/;
const INTERVAL = /^\d{1,6}[smhdMy]$/;

/**
 * Binds `:name` placeholders to literals: strings are single-quoted with quotes doubled (QuestDB SQL has no
 * backslash escapes, so nothing else can end a string), numbers must be finite, dates become quoted ISO
 * timestamps. A placeholder without a value, or a value of another type, is an error: user input is never
 * pasted into SQL as it is.
 */
export function bindSql(sql: string, params: Record<string, unknown> = {}): string {
  // Placeholders count only outside quoted strings and identifiers ('10:30' and "a:b" stay as they are).
  return sql
    .split(/('(?:[^']|'')*'|"(?:[^"]|"")*")/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part.replace(/(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
            if (!Object.prototype.hasOwnProperty.call(params, name)) {
              throw new QuestDbError(`query: no value for :${name} (give msg.params.${name})`, 'bad-data');
            }
            return literal(params[name], name);
          }),
    )
    .join('');
}

export function literal(value: unknown, name = 'value'): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new QuestDbError(`query: :${name} must be a finite number`, 'bad-data');
    // In brackets, a negative number after a minus (`now() -:offset`) cannot become a `--` comment.
    return value < 0 ? `(${value})` : String(value);
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new QuestDbError(`query: :${name} is an invalid date`, 'bad-data');
    return `'${value.toISOString()}'`;
  }
  if (typeof value === 'string') {
    if (value.includes('\u0000'))
      throw new QuestDbError(`query: :${name} contains a NUL character`, 'bad-data');
    return `'${value.replaceAll("'", "''")}'`;
  }
  throw new QuestDbError(
    `query: :${name} must be a string, number, boolean, date or null (got ${typeof value})`,
    'bad-data',
  );
}

/** A table or column name: letters, digits and _, checked before it goes into SQL. */
export function identifier(value: unknown, what: string): string {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new QuestDbError(
      `query: ${what} must be letters, digits and _ (got ${JSON.stringify(value)})`,
      'bad-data',
    );
  }
  return value;
}

export type Preset = 'latest' | 'series' | 'counts' | 'kpis' | 'events';

export interface PresetOptions {
  table: string;
  /** series: the bucket, such as 1m or 15s (filters.bucket wins). */
  bucket?: string;
  /** series and counts: how far back (filters.minutes wins). */
  minutes?: number;
  /** kpis: the time the windows end at; Date.now() by default. */
  now?: number;
}

/** The longest window a preset looks back: a year (a leap year's minutes). */
export const MAX_MINUTES = 527_040;

/** The most buckets a series preset draws per series: more than a chart shows (a year in hours is 8,784). */
export const MAX_BUCKETS = 10_000;

/** The most rows a series preset answers (of all its series): more than charts draw, and Node-RED holds them all. */
export const MAX_SERIES_ROWS = 100_000;

/** Seconds in a bucket unit; a month and a year as QuestDB's calendar sampling has them at their shortest. */
const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400, M: 28 * 86_400, y: 365 * 86_400 };

/**
 * The dashboard's queries. Filters (tenant, plant, line, machine, metric) come as parameters, so a preset is as
 * safe as a hand-written query with placeholders; `minutes` and `bucket` among them override the options, so a
 * dashboard can change the window. kpis takes no metric filter (it needs every metric of a machine).
 */
export function presetSql(
  preset: Preset,
  options: PresetOptions,
  filters: Record<string, unknown>,
): { sql: string; params: Record<string, unknown> } {
  const table = identifier(options.table, 'table');
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  // kpis needs every metric of a machine; events (plantwire_events) have a kind where points have a metric.
  const own = preset === 'kpis' ? [] : preset === 'events' ? ['kind'] : ['metric'];
  for (const field of ['tenant', 'plant', 'line', 'machine', ...own]) {
    if (filters[field] === undefined || filters[field] === '') continue;
    where.push(`${field} = :${field}`);
    params[field] = String(filters[field]);
  }
  // An empty parameter (a cleared dashboard field) leaves the node's setting, as an empty filter filters nothing.
  const given = unlessEmpty(filters.minutes) ?? options.minutes ?? 60;
  const minutes = typeof given === 'number' || typeof given === 'string' ? Number(given) : NaN;
  if (!(Number.isInteger(minutes) && minutes > 0 && minutes <= MAX_MINUTES))
    throw new QuestDbError(
      `query: minutes must be a whole number from 1 to a year (got ${JSON.stringify(given)})`,
      'bad-data',
    );
  switch (preset) {
    case 'latest':
      return {
        sql: `SELECT ts, tenant, plant, line, machine, metric, value, unit, q FROM ${table}${clause(where)} LATEST ON ts PARTITION BY tenant, plant, line, machine, metric`,
        params,
      };
    case 'series': {
      const bucket = unlessEmpty(filters.bucket) ?? options.bucket ?? '1m';
      if (typeof bucket !== 'string' || !INTERVAL.test(bucket) || parseInt(bucket, 10) === 0)
        throw new QuestDbError(
          `query: bucket must look like 30s, 1m or 1h (got ${JSON.stringify(bucket)})`,
          'bad-data',
        );
      // A year in seconds is half a billion rows per series: QuestDB would build them all and the answer would
      // fill Node-RED's memory.
      const buckets = Math.ceil(
        (minutes * 60) / (parseInt(bucket, 10) * UNIT_SECONDS[bucket.slice(-1) as keyof typeof UNIT_SECONDS]),
      );
      if (buckets > MAX_BUCKETS)
        throw new QuestDbError(
          `query: ${minutes} minutes in buckets of ${bucket} is ${buckets} per series, at most ${MAX_BUCKETS}: choose a larger bucket`,
          'bad-data',
        );
      return {
        // The last value beside the mean: a code (a machine's state) averaged over a bucket means nothing.
        sql: `SELECT ts, line, machine, metric, avg(value) value, last(value) last FROM ${table}${clause([...where, `ts > dateadd('m', -${minutes}, now())`])} SAMPLE BY ${bucket} ALIGN TO CALENDAR LIMIT ${MAX_SERIES_ROWS + 1}`,
        params,
      };
    }
    case 'counts':
      return {
        sql: `SELECT line, machine, metric, count() points FROM ${table}${clause([...where, `ts > dateadd('m', -${minutes}, now())`])}`,
        params,
      };
    case 'kpis':
      return kpiSql(table, where, params, options.now ?? Date.now());
    case 'events':
      return {
        sql: `SELECT ts, line, machine, kind, name, state, priority, value, message FROM ${table}${clause([...where, `ts > dateadd('m', -${minutes}, now())`])} ORDER BY ts DESC LIMIT 100`,
        params,
      };
  }
}

function unlessEmpty(value: unknown): unknown {
  return value === '' ? undefined : value;
}

/** Refuses a series answer past MAX_SERIES_ROWS (its query asks for one row more, to tell). */
export function checkPresetRows(mode: string, rows: readonly unknown[]): void {
  if (mode === 'series' && rows.length > MAX_SERIES_ROWS)
    throw new QuestDbError(
      `query: more than ${MAX_SERIES_ROWS} rows: filter by line, machine or metric, or choose a larger bucket or a shorter window`,
      'bad-data',
    );
}

function clause(conditions: string[]): string {
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}

/** Rows of /exec as objects by column name. */
export function toRows(result: {
  columns: { name: string }[];
  dataset: unknown[][];
}): Record<string, unknown>[] {
  return result.dataset.map((row) =>
    Object.fromEntries(result.columns.map((column, i) => [column.name, row[i]])),
  );
}

/**
 * Rows as points for Dashboard 2.0's ui-chart: {series, x, y} with x in epoch ms. The series is the machine
 * (and metric when several are in the rows).
 */
export function toSeries(rows: Record<string, unknown>[]): { series: string; x: number; y: number }[] {
  const metrics = new Set(rows.map((row) => row.metric));
  return rows.map((row) => ({
    series:
      metrics.size > 1
        ? `${String(row.machine)} ${String(row.metric)}`
        : String(row.machine ?? row.metric ?? 'value'),
    x: Date.parse(String(row.ts)),
    y: Number(row.value),
  }));
}

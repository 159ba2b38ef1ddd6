import { setTimeout as sleep } from 'node:timers/promises';
import { normaliseTs, validatePoints, type Point } from '@plantwire/telemetry';
import { toEvents, type PlantEvent } from './events.js';
import { escapeName, escapeQuoted, IlpBuffer } from './ilp.js';
import { classify, exec, IlpPoster, QuestDbError, type QuestDbConnection } from './questdb-http.js';

export interface TelemetryTable {
  /** Not "telemetry": QuestDB keeps a hidden table of that name (docs/architecture.md). */
  name: string;
  partitionBy: 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | 'YEAR';
  /** Drop partitions older than this many days; 0 = keep all. */
  ttlDays: number;
}

export const DEFAULT_TABLE: TelemetryTable = { name: 'plantwire_telemetry', partitionBy: 'DAY', ttlDays: 0 };

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,126}$/;

/** The telemetry table of DESIGN section 4: WAL, deduplicated on (ts, id), so a re-sent point is harmless. */
export function telemetryTableDdl(table: TelemetryTable): string {
  if (!TABLE_NAME.test(table.name))
    throw new QuestDbError(`table name "${table.name}" must be letters, digits and _`, 'bad-data');
  const ttl = table.ttlDays > 0 ? ` TTL ${Math.floor(table.ttlDays)} DAYS` : '';
  // QuestDB drops whole partitions: it refuses a TTL that is not a whole number of them (found at the first write,
  // after the deploy, otherwise).
  const partitionDays = { HOUR: 1, DAY: 1, WEEK: 7 }[table.partitionBy as string];
  if (ttl && !(partitionDays && Math.floor(table.ttlDays) % partitionDays === 0))
    throw new QuestDbError(
      `keeping ${Math.floor(table.ttlDays)} days does not fit ${table.partitionBy} partitions, which QuestDB drops ` +
        'whole: keep any number of days with HOUR or DAY partitions, a multiple of 7 with WEEK, and none (0) with ' +
        'MONTH or YEAR',
      'bad-data',
    );
  return (
    `CREATE TABLE IF NOT EXISTS ${table.name} (ts TIMESTAMP, id UUID, tenant SYMBOL, plant SYMBOL, line SYMBOL, ` +
    `machine SYMBOL, metric SYMBOL, unit SYMBOL, value DOUBLE, q INT) TIMESTAMP(ts) PARTITION BY ${table.partitionBy}` +
    `${ttl} WAL DEDUP UPSERT KEYS(ts, id)`
  );
}

export interface Rejected {
  point: unknown;
  reason: string;
}

export interface WriteResult {
  written: number;
  rejected: Rejected[];
}

/** How one kind of row is checked, encoded and its table prepared: telemetry points, events or plain objects. */
export interface RowFormat<T> {
  table: string;
  /** The table and every setting that changes what is written: writers are shared by formats with one key. */
  key: string;
  /** Splits the input into rows to write and refusals with reasons. */
  prepare(input: unknown): { rows: T[]; rejected: Rejected[] };
  /** Appends the row as one ILP line (src/core/ilp.ts). */
  encode(row: T, out: IlpBuffer): void;
  /** Creates the table before the first write, when the format owns it. */
  ddl?: string;
}

export interface WriterOptions {
  /** Flush once this many rows wait (across messages). */
  flushRows?: number;
  /** ...or, while requests are in flight, this long after the first of them arrived. */
  flushIntervalMs?: number;
  /** Requests to QuestDB at once: one batch encodes while others are applied. */
  inFlight?: number;
  /** Tries per batch while QuestDB is unavailable, then the batch's writes fail. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Told once when an existing table has no deduplication. */
  warn?: (message: string) => void;
  /** Told about every change of health, for a node status. */
  onState?: (state: 'connected' | 'retrying' | 'auth-error', detail?: string) => void;
}

interface Pending<T> {
  points: T[];
  rejected: Rejected[];
  resolve: (result: WriteResult) => void;
  reject: (error: Error) => void;
}

/**
 * Writes rows to QuestDB's ILP/HTTP endpoint: batches across callers, a few requests in flight, each write
 * resolving only once its rows are committed (HTTP 2xx). A batch refused as bad data (400) is bisected, so the
 * good rows are written and each bad one is reported with QuestDB's reason; an unavailable QuestDB is retried
 * with backoff. Rows are encoded from the caller's points for every try, so nothing depends on a request that
 * failed half-way.
 */
export class QuestDbWriter<T> {
  private readonly options: Required<Omit<WriterOptions, 'warn' | 'onState'>> &
    Pick<WriterOptions, 'warn' | 'onState'>;
  private readonly poster: IlpPoster;
  /** Encoding buffers, one per request in flight, reused. */
  private readonly buffers: IlpBuffer[] = [];
  private tableReady: Promise<void> | undefined;
  private queue: Pending<T>[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private active = 0;
  private idle: (() => void)[] = [];
  private closed = false;
  /** Aborted at close: wakes the retries waiting out their backoff. */
  private readonly closing = new AbortController();

  constructor(
    private readonly connection: QuestDbConnection,
    private readonly format: RowFormat<T>,
    options: WriterOptions = {},
  ) {
    this.options = {
      flushRows: 10_000,
      flushIntervalMs: 100,
      inFlight: 4,
      maxAttempts: 10,
      retryBaseMs: 500,
      retryMaxMs: 30_000,
      ...options,
    };
    this.poster = new IlpPoster(connection, this.options.inFlight);
  }

  /** Checks and queues rows; resolves once the good ones are committed, listing the refused ones. */
  write(input: unknown): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new QuestDbError('the writer is closed', 'unavailable'));
    const { rows: valid, rejected } = this.format.prepare(input);
    if (valid.length === 0) return Promise.resolve({ written: 0, rejected });
    return new Promise((resolve, reject) => {
      this.queue.push({ points: valid, rejected, resolve, reject });
      this.queuedRows += valid.length;
      if (this.queuedRows >= this.options.flushRows) this.pump(false);
      // Nothing in flight: send what this turn of the event loop wrote at once. Otherwise rows gather until a
      // request comes back (or flushIntervalMs passes), so a busy writer sends big batches and an idle one
      // adds no delay.
      else if (this.active === 0) this.immediate ??= setImmediate(() => this.flushDue());
      else this.timer ??= setTimeout(() => this.flushDue(), this.options.flushIntervalMs);
    });
  }

  /** Writes everything queued; resolves when done (successes and failures alike). */
  async flush(): Promise<void> {
    this.flushDue();
    if (this.active === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private flushDue(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.pump(true);
  }

  /** Starts batches while requests are free: full ones always, a partial one when `partial` (it is due). */
  private pump(partial: boolean): void {
    while (
      this.active < this.options.inFlight &&
      this.queue.length > 0 &&
      (partial || this.queuedRows >= this.options.flushRows)
    ) {
      this.active++;
      void this.deliverBatch(this.takeBatch()).finally(() => {
        this.active--;
        // A partial batch goes out only when nothing else is in flight (or it is due): rows gather while a
        // request is out, so a busy writer sends few big requests, and QuestDB spends 2-3x less per row on a
        // 5,000-row request than on a 1,000-row one (docs/performance.md).
        this.pump(this.active === 0);
        if (this.active === 0 && this.queue.length === 0) for (const done of this.idle.splice(0)) done();
      });
    }
  }

  /** Whole writes up to flushRows (at least one). */
  private takeBatch(): Pending<T>[] {
    const batch: Pending<T>[] = [];
    let rows = 0;
    while (
      this.queue.length > 0 &&
      (batch.length === 0 || rows + this.queue[0]!.points.length <= this.options.flushRows)
    ) {
      const next = this.queue.shift()!;
      batch.push(next);
      rows += next.points.length;
    }
    this.queuedRows -= rows;
    return batch;
  }

  private async deliverBatch(batch: Pending<T>[]): Promise<void> {
    const points = batch.length === 1 ? batch[0]!.points : batch.flatMap((entry) => entry.points);
    try {
      const bad = await this.deliverWithRetry(points);
      const badSet = new Map(bad.map((item) => [item.point, item.reason]));
      for (const entry of batch) {
        const refused = badSet.size === 0 ? [] : entry.points.filter((point) => badSet.has(point));
        entry.resolve({
          written: entry.points.length - refused.length,
          rejected: [...entry.rejected, ...refused.map((point) => ({ point, reason: badSet.get(point)! }))],
        });
      }
    } catch (error) {
      for (const entry of batch) entry.reject(error as Error);
    }
  }

  private async deliverWithRetry(points: T[]): Promise<{ point: T; reason: string }[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const bad = await this.deliver(points);
        this.options.onState?.('connected');
        return bad;
      } catch (caught) {
        const error = classify(caught);
        if (error.kind === 'auth') {
          this.options.onState?.('auth-error', error.message);
          throw error;
        }
        if (attempt >= this.options.maxAttempts || this.closed) throw error;
        this.options.onState?.('retrying', error.message);
        const ceiling = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempt - 1));
        await sleep(ceiling / 2 + (ceiling / 2) * Math.random(), undefined, {
          signal: this.closing.signal,
        }).catch(() => {});
      }
    }
  }

  /** Sends points; on bad data, bisects to write the good ones and returns the bad ones with their reason. */
  private async deliver(points: T[]): Promise<{ point: T; reason: string }[]> {
    try {
      await this.send(points);
      return [];
    } catch (caught) {
      const error = classify(caught);
      if (error.kind !== 'bad-data') throw error;
      if (points.length === 1) return [{ point: points[0]!, reason: refusalReason(error) }];
      const half = Math.ceil(points.length / 2);
      return [...(await this.deliver(points.slice(0, half))), ...(await this.deliver(points.slice(half)))];
    }
  }

  /** One ILP/HTTP request with these rows; throws what the request failed with. */
  protected async send(points: T[]): Promise<void> {
    await this.ensureTable();
    const buffer = this.buffers.pop() ?? new IlpBuffer();
    try {
      for (const row of points) this.format.encode(row, buffer);
      await this.poster.post(buffer.view());
    } finally {
      buffer.reset();
      this.buffers.push(buffer);
    }
  }

  private ensureTable(): Promise<void> {
    if (!this.format.ddl) return Promise.resolve();
    // One creation shared by the requests in flight; a failed one is tried again by the next request.
    this.tableReady ??= this.createTable(this.format.ddl).catch((error: unknown) => {
      this.tableReady = undefined;
      throw error;
    });
    return this.tableReady;
  }

  private async createTable(ddl: string): Promise<void> {
    const table = this.format.table;
    await exec(this.connection, ddl).catch((caught: unknown) => {
      const error = classify(caught);
      // A refused CREATE TABLE is the table's settings, not the rows: they wait for a fix instead of being refused.
      throw error.kind === 'bad-data'
        ? new QuestDbError(
            `QuestDB refused to create table ${table}: ${error.message}`,
            'unavailable',
            error.status,
          )
        : error;
    });
    const found = await exec(this.connection, `SELECT dedup FROM tables() WHERE table_name = '${table}'`);
    if (found.dataset[0]?.[0] !== true) {
      this.options.warn?.(
        `table ${table} exists without deduplication: re-sent points will be stored twice ` +
          `(ALTER TABLE ${table} DEDUP ENABLE UPSERT KEYS(ts, id) fixes it)`,
      );
    }
  }

  /**
   * Writes what is queued, then closes the connections. A close (a redeploy, Ctrl-C) must end within Node-RED's
   * 15 s while QuestDB may be down for hours: each batch gets one more attempt, not the rest of its retries, and
   * one not committed fails its writes (their senders keep the rows: store-forward sends them again).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.flush();
    this.poster.close();
  }
}

/** QuestDB's own words from a refused request ("failed to parse line protocol: ... line 1: ..."), one line. */
function refusalReason(error: QuestDbError): string {
  const body = /error=(\{[\s\S]*\})\s*$/.exec(error.message)?.[1];
  let reason = error.message;
  if (body) {
    try {
      reason = String((JSON.parse(body) as { message?: unknown }).message ?? reason);
    } catch {
      // not JSON: keep the whole message
    }
  }
  return `QuestDB refused the row (HTTP ${error.status ?? 400}): ${reason.replace(/\s+/g, ' ').trim()}`;
}

/** Telemetry points (schema v1) into the deduplicated telemetry table. */
export function telemetryFormat(table: TelemetryTable = DEFAULT_TABLE): RowFormat<Point> {
  const ddl = telemetryTableDdl(table);
  const prefixes = new Map<string, Buffer>();
  return {
    table: table.name,
    key: `telemetry ${JSON.stringify(table)}`,
    ddl,
    prepare(input) {
      const { valid, invalid } = validatePoints(input);
      return {
        rows: valid,
        rejected: invalid.map((issue) => ({
          point: Array.isArray(input) ? input[issue.index] : input,
          reason: issue.reason,
        })),
      };
    },
    encode(p, out) {
      // Identifiers and ids are checked by the schema (letters, digits, `._-`; a UUID): only the unit and the
      // table name can need escaping, and the whole tag part is the same for every point of a series.
      const series = `${p.tenant} ${p.plant} ${p.line} ${p.machine} ${p.metric} ${p.unit}`;
      let prefix = prefixes.get(series);
      if (!prefix) {
        if (prefixes.size >= MAX_CACHED_SERIES) prefixes.clear();
        prefix = Buffer.from(
          `${escapeName(table.name)},tenant=${p.tenant},plant=${p.plant},line=${p.line},machine=${p.machine},` +
            `metric=${p.metric},unit=${escapeName(p.unit)} id="`,
        );
        prefixes.set(series, prefix);
      }
      out.append(prefix).ascii(`${p.id}",value=${p.value},q=${p.q}i ${p.ts}\n`);
    },
  };
}

/** Line prefixes kept per telemetry format: about 150 bytes each. */
const MAX_CACHED_SERIES = 100_000;

export const EVENTS_TABLE = 'plantwire_events';

/**
 * The table a node of `mode` writes or reads, `named` (its trimmed setting) or, when empty, its mode's own: plant
 * events go to (and are read from) their own table; plain objects (generic) have none, as the telemetry table's
 * schema is not theirs.
 */
export function tableFor(mode: string, named: string): string {
  if (named) return named;
  if (mode === 'generic')
    throw new QuestDbError('generic mode writes plain objects: name a table for them', 'bad-data');
  return mode === 'events' ? EVENTS_TABLE : DEFAULT_TABLE.name;
}

const EVENT_SYMBOLS = ['tenant', 'plant', 'line', 'machine', 'kind', 'name', 'state', 'priority'] as const;

/** The plant events table: WAL, deduplicated on (ts, id), so a re-sent event is stored once. */
export function eventsTableDdl(table: string): string {
  if (!TABLE_NAME.test(table))
    throw new QuestDbError(`table name "${table}" must be letters, digits and _`, 'bad-data');
  return (
    `CREATE TABLE IF NOT EXISTS ${table} (ts TIMESTAMP, id UUID, tenant SYMBOL, plant SYMBOL, line SYMBOL, ` +
    `machine SYMBOL, kind SYMBOL, name SYMBOL, state SYMBOL, priority SYMBOL, value DOUBLE, message STRING) ` +
    `TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, id)`
  );
}

/**
 * Plant events (src/core/events.ts) into their deduplicated table. prepare() normalises every shape toEvents
 * takes, so machine-sim, threshold-alarm and anomaly-detect output can be written straight from an edge.
 */
export function eventsFormat(table = EVENTS_TABLE): RowFormat<PlantEvent> {
  return {
    table,
    key: `events ${table}`,
    ddl: eventsTableDdl(table),
    prepare(input) {
      const { events, rejected } = toEvents(input);
      return {
        rows: events,
        rejected: rejected.map(({ index, reason }) => ({
          point: Array.isArray(input) ? input[index] : input,
          reason,
        })),
      };
    },
    encode(e, out) {
      let line = escapeName(table);
      for (const name of EVENT_SYMBOLS) line += `,${name}=${escapeName(e[name])}`;
      line += ` id="${e.id}",message="${escapeQuoted(e.message)}"`;
      if (e.value !== null) line += `,value=${e.value}`;
      out.utf8(`${line} ${e.ts}\n`);
    },
  };
}

/** The writer for telemetry points: QuestDbWriter with the telemetry format. */
export class TelemetryWriter extends QuestDbWriter<Point> {
  constructor(connection: QuestDbConnection, options: WriterOptions & { table?: TelemetryTable } = {}) {
    super(connection, telemetryFormat(options.table), options);
  }
}

export interface GenericTable {
  /** Letters, digits and _; QuestDB creates it on the first write (without deduplication). */
  name: string;
  /** The field holding the event time (epoch ms or ISO-8601); empty: QuestDB stamps arrival time. */
  timestampField: string;
  /** Fields written as SYMBOL columns (low-cardinality strings); the rest as numbers, booleans or strings. */
  symbols: string[];
}

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]{0,126}$/;

/**
 * Plain objects into a table of your own: the chosen fields as symbols, numbers as DOUBLE, booleans, and
 * everything else as strings (objects as JSON). A field that is not a column name, or a timestamp that is not a
 * time, refuses that object with a reason.
 */
export function genericFormat(table: GenericTable): RowFormat<Record<string, unknown>> {
  if (!TABLE_NAME.test(table.name))
    throw new QuestDbError(`table name "${table.name}" must be letters, digits and _`, 'bad-data');
  const symbols = new Set(table.symbols);
  return {
    table: table.name,
    key: `generic ${JSON.stringify(table)}`,
    prepare(input) {
      const items = Array.isArray(input) ? input : [input];
      const rows: Record<string, unknown>[] = [];
      const rejected: Rejected[] = [];
      for (const item of items) {
        const reason = checkObject(item, table.timestampField);
        if (reason) rejected.push({ point: item, reason });
        else rows.push(item as Record<string, unknown>);
      }
      return { rows, rejected };
    },
    encode(row, out) {
      let line = escapeName(table.name);
      for (const name of symbols)
        if (row[name] !== undefined && row[name] !== null)
          line += `,${name}=${escapeName(String(row[name]))}`;
      let separator = ' ';
      for (const [name, value] of Object.entries(row)) {
        if (symbols.has(name) || name === table.timestampField || value === undefined || value === null)
          continue;
        line += `${separator}${name}=`;
        separator = ',';
        if (typeof value === 'number') line += String(value);
        // A 64-bit integer (an int64 from a binary parser) stays exact as an ILP long.
        else if (typeof value === 'bigint') line += `${value}i`;
        else if (typeof value === 'boolean') line += value ? 't' : 'f';
        else line += `"${escapeQuoted(typeof value === 'string' ? value : JSON.stringify(value))}"`;
      }
      // No timestamp: QuestDB stamps the arrival time.
      const ts = table.timestampField ? row[table.timestampField] : undefined;
      if (ts !== undefined) line += ` ${normaliseTs(ts)}`;
      out.utf8(`${line}\n`);
    },
  };
}

function isJson(value: object): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

function checkObject(item: unknown, timestampField: string): string | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'a row must be an object';
  for (const [name, value] of Object.entries(item)) {
    if (!COLUMN.test(name)) return `field "${name}" is not a valid column name (letters, digits and _)`;
    if (typeof value === 'number' && !Number.isFinite(value))
      return `field "${name}" must be a finite number`;
    // Refused here, per row: thrown while encoding, it would fail the whole shared batch as an outage.
    if (typeof value === 'bigint' && BigInt.asIntN(64, value) !== value)
      return `field "${name}" must fit in a 64-bit integer`;
    if (typeof value === 'symbol' || typeof value === 'function')
      return `field "${name}" must be a number, string, boolean or JSON value (got ${typeof value})`;
    if (typeof value === 'object' && value !== null && !isJson(value))
      return `field "${name}" cannot be written as JSON (a cycle, or a BigInt inside)`;
  }
  if (timestampField) {
    const ts = (item as Record<string, unknown>)[timestampField];
    if (ts === undefined) return undefined;
    // As for points: a time without a zone would be the server's local time, and seconds would land in 1970.
    try {
      normaliseTs(ts);
    } catch (error) {
      return `field "${timestampField}": ${(error as Error).message}`;
    }
  }
  return undefined;
}

import { Sender } from '@questdb/nodejs-client';
import { validatePoints, type Point } from '@plantwire/telemetry';
import { toEvents, type PlantEvent } from './events.js';
import { classify, exec, senderConfig, QuestDbError, type QuestDbConnection } from './questdb-http.js';

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

/** How one kind of row is checked, written and its table prepared: telemetry points, or plain objects. */
export interface RowFormat<T> {
  table: string;
  /** Splits the input into rows to write and refusals with reasons. */
  prepare(input: unknown): { rows: T[]; rejected: Rejected[] };
  /** Adds one row to the sender's buffer. */
  write(sender: Sender, row: T): Promise<void>;
  /** Creates the table before the first write, when the format owns it. */
  ddl?: string;
}

export interface WriterOptions {
  /** Flush once this many rows wait (across messages). */
  flushRows?: number;
  /** ...or this long after the first of them arrived. */
  flushIntervalMs?: number;
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
 * Writes rows to QuestDB through one ILP/HTTP sender: batches across callers, one flush at a time,
 * each write resolving only once its rows are committed (HTTP 2xx). A batch refused as bad data (400) is
 * bisected, so the good rows are written and each bad one is reported with QuestDB's reason; an unavailable
 * QuestDB is retried with backoff. The client drops a batch's rows when a flush fails, so the writer keeps its
 * own copy (the points) and rebuilds the rows for every retry.
 */
export class QuestDbWriter<T> {
  private readonly options: Required<Omit<WriterOptions, 'warn' | 'onState'>> &
    Pick<WriterOptions, 'warn' | 'onState'>;
  private sender: Sender | undefined;
  private tableReady = false;
  private queue: Pending<T>[] = [];
  private queuedRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly connection: QuestDbConnection,
    private readonly format: RowFormat<T>,
    options: WriterOptions = {},
  ) {
    this.options = {
      flushRows: 10_000,
      flushIntervalMs: 100,
      maxAttempts: 10,
      retryBaseMs: 500,
      retryMaxMs: 30_000,
      ...options,
    };
  }

  /** Checks and queues rows; resolves once the good ones are committed, listing the refused ones. */
  write(input: unknown): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new QuestDbError('the writer is closed', 'unavailable'));
    const { rows: valid, rejected } = this.format.prepare(input);
    if (valid.length === 0) return Promise.resolve({ written: 0, rejected });
    return new Promise((resolve, reject) => {
      this.queue.push({ points: valid, rejected, resolve, reject });
      this.queuedRows += valid.length;
      if (this.queuedRows >= this.options.flushRows) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.options.flushIntervalMs);
    });
  }

  /** Writes everything queued; resolves when done (successes and failures alike). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // One flush at a time: the client's buffer is not shared between concurrent flushes.
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    this.flushing = this.flushQueued().finally(() => (this.flushing = undefined));
    await this.flushing;
    if (this.queue.length > 0) await this.flush();
  }

  private async flushQueued(): Promise<void> {
    // Take whole writes up to flushRows (at least one).
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
    const points = batch.flatMap((entry) => entry.points);
    try {
      const bad = await this.deliverWithRetry(points);
      const badSet = new Map(bad.map((item) => [item.point, item.reason]));
      for (const entry of batch) {
        const refused = entry.points.filter((point) => badSet.has(point));
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
        await new Promise((resolve) => setTimeout(resolve, ceiling / 2 + (ceiling / 2) * Math.random()));
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

  /** One ILP/HTTP request with these rows; throws what the client throws. */
  protected async send(points: T[]): Promise<void> {
    await this.ensureTable();
    this.sender ??= await Sender.fromConfig(senderConfig(this.connection));
    const sender = this.sender;
    for (const row of points) await this.format.write(sender, row);
    try {
      await sender.flush();
    } catch (error) {
      // The client has dropped the rows (we keep the points); start the next try from an empty buffer.
      sender.reset();
      throw error;
    }
  }

  private async ensureTable(): Promise<void> {
    if (this.tableReady || !this.format.ddl) return;
    const table = this.format.table;
    await exec(this.connection, this.format.ddl);
    const found = await exec(this.connection, `SELECT dedup FROM tables() WHERE table_name = '${table}'`);
    if (found.dataset[0]?.[0] !== true) {
      this.options.warn?.(
        `table ${table} exists without deduplication: re-sent points will be stored twice ` +
          `(ALTER TABLE ${table} DEDUP ENABLE UPSERT KEYS(ts, id) fixes it)`,
      );
    }
    this.tableReady = true;
  }

  /** Writes what is queued, then closes the sender. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    await this.sender?.close();
    this.sender = undefined;
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
  return {
    table: table.name,
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
    write: (sender, p) =>
      sender
        .table(table.name)
        .symbol('tenant', p.tenant)
        .symbol('plant', p.plant)
        .symbol('line', p.line)
        .symbol('machine', p.machine)
        .symbol('metric', p.metric)
        .symbol('unit', p.unit)
        .stringColumn('id', p.id)
        .floatColumn('value', p.value)
        .intColumn('q', p.q)
        .at(p.ts, 'ms'),
  };
}

export const EVENTS_TABLE = 'plantwire_events';

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
    write(sender, e) {
      sender.table(table);
      for (const name of ['tenant', 'plant', 'line', 'machine', 'kind', 'name', 'state', 'priority'] as const)
        sender.symbol(name, e[name]);
      sender.stringColumn('id', e.id).stringColumn('message', e.message);
      if (e.value !== null) sender.floatColumn('value', e.value);
      return sender.at(e.ts, 'ms');
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
    async write(sender, row) {
      sender.table(table.name);
      for (const name of symbols)
        if (row[name] !== undefined && row[name] !== null) sender.symbol(name, String(row[name]));
      for (const [name, value] of Object.entries(row)) {
        if (symbols.has(name) || name === table.timestampField || value === undefined || value === null)
          continue;
        if (typeof value === 'number') sender.floatColumn(name, value);
        else if (typeof value === 'boolean') sender.booleanColumn(name, value);
        else sender.stringColumn(name, typeof value === 'string' ? value : JSON.stringify(value));
      }
      const ts = table.timestampField ? row[table.timestampField] : undefined;
      if (ts === undefined) await sender.atNow();
      else await sender.at(typeof ts === 'number' ? Math.floor(ts) : Date.parse(String(ts)), 'ms');
    },
  };
}

function checkObject(item: unknown, timestampField: string): string | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'a row must be an object';
  for (const [name, value] of Object.entries(item)) {
    if (!COLUMN.test(name)) return `field "${name}" is not a valid column name (letters, digits and _)`;
    if (typeof value === 'number' && !Number.isFinite(value))
      return `field "${name}" must be a finite number`;
  }
  if (timestampField) {
    const ts = (item as Record<string, unknown>)[timestampField];
    if (ts === undefined) return undefined;
    const ms = typeof ts === 'number' ? ts : typeof ts === 'string' ? Date.parse(ts) : NaN;
    if (!Number.isFinite(ms) || ms < 0)
      return `field "${timestampField}" must be epoch ms or an ISO-8601 time`;
  }
  return undefined;
}

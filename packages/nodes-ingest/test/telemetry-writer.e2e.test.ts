import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuestDb, telemetryPoint, type QuestDb } from '@plantwire/testkit';
import {
  genericFormat,
  QuestDbWriter,
  telemetryTableDdl,
  TelemetryWriter,
  DEFAULT_TABLE,
  QuestDbError,
  type TelemetryTable,
} from '../src/index.js';

let questdb: QuestDb;
beforeAll(async () => {
  questdb = await startQuestDb();
});
afterAll(async () => {
  await questdb?.stop();
});

const point = telemetryPoint;

async function count(table: string) {
  await questdb.waitForWal(table);
  const [row] = await questdb.rows<{ rows: number; ids: number }>(
    `SELECT count() rows, count_distinct(id) ids FROM ${table}`,
  );
  return row;
}

describe('TelemetryWriter against a real QuestDB', () => {
  it('creates a deduplicated WAL table and is idempotent: a batch twice, an id twice in one batch', async () => {
    const table = { ...DEFAULT_TABLE, name: 'idempotent' };
    const writer = new TelemetryWriter({ url: questdb.httpUrl }, { table });
    const start = Date.UTC(2026, 0, 5);
    const batch = Array.from({ length: 1000 }, (_, i) => point(start + i * 1000));
    expect(await writer.write(batch)).toEqual({ written: 1000, rejected: [] });
    expect(await writer.write(batch)).toEqual({ written: 1000, rejected: [] });
    await writer.write([batch[0]!, batch[1]!, batch[0]!]);
    await writer.close();
    expect(await count('idempotent')).toEqual({ rows: 1000, ids: 1000 });
    const tables = await questdb.rows<{
      table_name: string;
      dedup: boolean;
      walEnabled: boolean;
      partitionBy: string;
    }>('SELECT * FROM tables()');
    expect(tables.find((t) => t.table_name === 'idempotent')).toMatchObject({
      dedup: true,
      walEnabled: true,
      partitionBy: 'DAY',
    });
  });

  it('keeps exactly the distinct rows of an out-of-order backfill across day partitions, written from many callers', async () => {
    const table = { ...DEFAULT_TABLE, name: 'backfill' };
    const writer = new TelemetryWriter({ url: questdb.httpUrl }, { table, flushRows: 700 });
    const days = [Date.UTC(2026, 0, 9), Date.UTC(2026, 0, 3), Date.UTC(2026, 0, 7), Date.UTC(2026, 0, 1)];
    const points = days.flatMap((day) => Array.from({ length: 500 }, (_, i) => point(day + i * 60_000)));
    // Shuffled, each chunk written twice, concurrently: batching across callers, duplicates across flushes.
    const shuffled = [...points].sort((a, b) => (a.id < b.id ? 1 : -1));
    const chunks = Array.from({ length: 20 }, (_, i) => shuffled.slice(i * 100, i * 100 + 100));
    const results = await Promise.all([...chunks, ...chunks].map((chunk) => writer.write(chunk)));
    expect(results.every((r) => r.written === 100 && r.rejected.length === 0)).toBe(true);
    await writer.close();
    expect(await count('backfill')).toEqual({ rows: 2000, ids: 2000 });
    const partitions = await questdb.rows(`SELECT * FROM table_partitions('backfill')`);
    expect(partitions).toHaveLength(4);
  });

  it('reports every row of a batch QuestDB refuses (a table whose columns drifted) with its reason, and goes on', async () => {
    await questdb.exec(
      'CREATE TABLE drifted (ts TIMESTAMP, id UUID, tenant SYMBOL, plant SYMBOL, line SYMBOL, machine SYMBOL, metric SYMBOL, ' +
        'unit SYMBOL, value INT, q INT) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, id)',
    );
    const writer = new TelemetryWriter(
      { url: questdb.httpUrl },
      { table: { ...DEFAULT_TABLE, name: 'drifted' } },
    );
    const start = Date.UTC(2026, 0, 5);
    const result = await writer.write([point(start), point(start + 1), { not: 'a point' }]);
    await writer.close();
    expect(result.written).toBe(0);
    expect(result.rejected).toHaveLength(3);
    expect(result.rejected[0]!.reason).toMatch(/is missing/);
    expect(result.rejected[1]!.reason).toMatch(
      /^QuestDB refused the row \(HTTP 400\): failed to parse line protocol/,
    );
    expect(result.rejected[1]!.reason).toMatch(/value/);
  });

  it('writes the good rows of a refused batch and reports each bad one with QuestDB reason (plain objects)', async () => {
    const format = genericFormat({ name: 'readings', timestampField: 'ts', symbols: ['machine'] });
    const writer = new QuestDbWriter({ url: questdb.httpUrl }, format);
    const at = Date.UTC(2026, 0, 5);
    const rows = Array.from({ length: 40 }, (_, i) => ({
      ts: at + i,
      machine: `m${i % 4}`,
      reading: i === 7 || i === 30 ? 'oops' : i / 2,
      ok: true,
    }));
    const result = await writer.write([...rows, { 'bad name': 1 }]);
    await writer.close();
    expect(result.written).toBe(38);
    expect(result.rejected.map((r) => (r.point as { ts?: number }).ts ?? 'invalid')).toEqual([
      'invalid',
      at + 7,
      at + 30,
    ]);
    expect(result.rejected[0]!.reason).toMatch(/is not a valid column name/);
    expect(result.rejected[1]!.reason).toMatch(/^QuestDB refused the row \(HTTP 400\): .*reading/);
    await questdb.waitForWal('readings').catch(() => undefined);
    expect((await questdb.exec('SELECT count() FROM readings')).dataset).toEqual([[38]]);
  });

  it('waits for a QuestDB that is down, and writes once it is up', async () => {
    const down = await startQuestDb();
    const { httpPort, pgPort, ilpPort } = down;
    await down.stop();
    const states: string[] = [];
    const writer = new TelemetryWriter(
      { url: `http://127.0.0.1:${httpPort}`, requestTimeoutMs: 2000 },
      { retryBaseMs: 200, retryMaxMs: 1000, maxAttempts: 100, onState: (state) => states.push(state) },
    );
    const pending = writer.write([point(Date.UTC(2026, 0, 5))]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const up = await startQuestDb({ httpPort, pgPort, ilpPort });
    try {
      expect(await pending).toEqual({ written: 1, rejected: [] });
      await writer.close();
      expect(states[0]).toBe('retrying');
      expect(states.at(-1)).toBe('connected');
      await up.waitForWal('plantwire_telemetry');
      expect((await up.exec('SELECT count() FROM plantwire_telemetry')).dataset).toEqual([[1]]);
    } finally {
      await up.stop();
    }
  });

  it('gives up after its attempts with an "unavailable" error', async () => {
    const writer = new TelemetryWriter(
      { url: 'http://127.0.0.1:9', requestTimeoutMs: 500 },
      { retryBaseMs: 10, maxAttempts: 2 },
    );
    const failure = await writer.write([point(Date.UTC(2026, 0, 5))]).catch((error: QuestDbError) => error);
    expect(failure).toBeInstanceOf(QuestDbError);
    expect((failure as QuestDbError).kind).toBe('unavailable');
  });

  it('refuses at once the TTLs QuestDB refuses (not whole partitions), and creates the others', async () => {
    const table = (partitionBy: TelemetryTable['partitionBy'], ttlDays: number) => ({
      name: `ttl_${partitionBy}_${ttlDays}`.toLowerCase(),
      partitionBy,
      ttlDays,
    });
    for (const fits of [table('HOUR', 1), table('DAY', 3), table('WEEK', 14), table('MONTH', 0)])
      await questdb.exec(telemetryTableDdl(fits));
    for (const [partitionBy, days] of [
      ['WEEK', 10],
      ['MONTH', 30],
      ['YEAR', 365],
    ] as const) {
      expect(() => telemetryTableDdl(table(partitionBy, days))).toThrow(
        `keeping ${days} days does not fit ${partitionBy} partitions`,
      );
      // What QuestDB says to the same table, which is what the check spares a user at the first write.
      const ddl = telemetryTableDdl(table('DAY', days)).replace(
        'PARTITION BY DAY',
        `PARTITION BY ${partitionBy}`,
      );
      await expect(questdb.exec(ddl)).rejects.toThrow(
        /TTL value must be an integer multiple of partition size/,
      );
    }
  });

  it('refuses a table name that is not an identifier', () => {
    expect(() => telemetryTableDdl({ ...DEFAULT_TABLE, name: 'x; DROP TABLE y' })).toThrow(
      /must be letters, digits and _/,
    );
  });
});

import { Sender } from '@questdb/nodejs-client';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '@plantwire/telemetry';
import { QUESTDB_VERSION, startQuestDb, type QuestDb } from '@plantwire/testkit';

// The telemetry table of DESIGN section 4: dedup on (ts, id) makes re-sent points harmless. Not named
// `telemetry`: QuestDB keeps its own hidden table of that name (see the last test).
const TABLE = 'plantwire_telemetry';
const TELEMETRY_DDL = `CREATE TABLE IF NOT EXISTS ${TABLE} (
  ts TIMESTAMP, id UUID, tenant SYMBOL, plant SYMBOL, line SYMBOL, machine SYMBOL, metric SYMBOL, unit SYMBOL,
  value DOUBLE, q INT
) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, id)`;

describe('real QuestDB from Maven Central on Java 17', () => {
  let questdb: QuestDb;

  beforeAll(async () => {
    questdb = await startQuestDb();
  });

  afterAll(async () => {
    await questdb?.stop();
  });

  it(`is the pinned ${QUESTDB_VERSION}, on loopback, with its own root`, async () => {
    const [build] = await questdb.rows<{ build: string }>('SELECT build() build');
    expect(build?.build).toContain(`QuestDB ${QUESTDB_VERSION}`);
    expect(questdb.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(existsSync(`${questdb.root}/db`)).toBe(true);
    expect(questdb.process.output()).not.toMatch(/telemetry.*enabled=true/i);
  });

  it('keeps exactly one row per (ts, id): the same 1,000 points twice, and one flush holding an id twice', async () => {
    await questdb.exec(TELEMETRY_DDL);
    const start = Date.UTC(2026, 0, 1);
    const points = Array.from({ length: 1000 }, (_, i) => ({
      ts: start + i * 1000,
      id: uuidv7(start + i * 1000),
      machine: `cnc-${i % 10}`,
      value: i / 10,
    }));
    const sender = await Sender.fromConfig(
      `http::addr=${questdb.host}:${questdb.httpPort};auto_flush=off;protocol_version=1`,
    );
    const write = async (batch: typeof points) => {
      for (const p of batch) {
        await sender
          .table(TABLE)
          .symbol('tenant', 'acme')
          .symbol('plant', 'plant-1')
          .symbol('line', 'line-1')
          .symbol('machine', p.machine)
          .symbol('metric', 'temperature')
          .symbol('unit', 'degC')
          .stringColumn('id', p.id)
          .floatColumn('value', p.value)
          .intColumn('q', 100)
          .at(p.ts, 'ms');
      }
      await sender.flush();
    };
    try {
      await write(points);
      await write(points);
      // One flush that carries the same id twice (a retried message inside one batch).
      await write([points[0]!, points[1]!, points[0]!]);
    } finally {
      await sender.close();
    }
    await questdb.waitForWal(TABLE);
    const [counted] = await questdb.rows<{ rows: number; ids: number }>(
      `SELECT count() rows, count_distinct(id) ids FROM ${TABLE}`,
    );
    expect(counted).toEqual({ rows: 1000, ids: 1000 });
    const tables = await questdb.rows<{ table_name: string; dedup: boolean }>('SELECT * FROM tables()');
    expect(tables.find((t) => t.table_name === TABLE)?.dedup).toBe(true);
  });

  it('reports a suspended or unknown table instead of waiting forever', async () => {
    await expect(questdb.waitForWal('no_such_table', 1000)).rejects.toThrow(/not a WAL table/);
  });

  it('owns a hidden table named telemetry when its telemetry is on (the default): a table of ours by that name would silently not be created', async () => {
    const withTelemetry = await startQuestDb({ env: { QDB_TELEMETRY_ENABLED: 'true' } });
    try {
      await withTelemetry.exec(TELEMETRY_DDL.replace(TABLE, 'telemetry'));
      const columns = await withTelemetry.rows<{ column: string }>('SHOW COLUMNS FROM telemetry');
      expect(columns.map((c) => c.column)).not.toContain('value');
    } finally {
      await withTelemetry.stop();
    }
  });

  it('turns a SQL error into an error with QuestDB own words', async () => {
    await expect(questdb.exec('SELECT * FROM nowhere')).rejects.toThrow(/QuestDB: table does not exist/);
  });
});

describe('QuestDB lifecycle', () => {
  it('stops by PID and frees its ports for the next start on the same ports', async () => {
    const first = await startQuestDb();
    const { httpPort, pgPort, ilpPort, root } = first;
    const pid = first.process.pid;
    await first.kill();
    expect(() => process.kill(pid, 0)).toThrow();
    const second = await startQuestDb({ httpPort, pgPort, ilpPort });
    try {
      expect((await second.exec('SELECT 1')).dataset).toEqual([[1]]);
    } finally {
      await second.stop();
    }
    expect(second.process.exitStatus()).not.toBeUndefined();
    expect(existsSync(second.root)).toBe(false);
    expect(root).not.toBe(second.root);
  });
});

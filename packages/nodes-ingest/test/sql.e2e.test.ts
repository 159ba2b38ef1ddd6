import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startQuestDb, telemetryPoint, type QuestDb } from '@plantwire/testkit';
import { bindSql, exec, presetSql, TelemetryWriter, toRows, toSeries, DEFAULT_TABLE } from '../src/index.js';

describe('bindSql', () => {
  it('turns parameters into literals, never SQL', () => {
    expect(
      bindSql('SELECT * FROM t WHERE a = :a AND b = :b AND c = :c AND d = :d AND e = :e', {
        a: "O'Brien",
        b: 42.5,
        c: true,
        d: null,
        e: new Date(Date.UTC(2026, 0, 5)),
      }),
    ).toBe(
      "SELECT * FROM t WHERE a = 'O''Brien' AND b = 42.5 AND c = true AND d = null AND e = '2026-01-05T00:00:00.000Z'",
    );
  });

  it('brackets a negative number, so a minus before it cannot make a comment of the rest', () => {
    expect(bindSql('SELECT 3 -:off n FROM t WHERE tenant = :tenant', { off: -5, tenant: 'a' })).toBe(
      "SELECT 3 -(-5) n FROM t WHERE tenant = 'a'",
    );
  });

  it('leaves colons inside strings, quoted names and casts alone', () => {
    expect(bindSql(`SELECT '10:30 :x', "a:b", v::int FROM t WHERE m = :m`, { m: 'x' })).toBe(
      `SELECT '10:30 :x', "a:b", v::int FROM t WHERE m = 'x'`,
    );
  });

  it.each([
    [{}, /no value for :m/],
    [{ m: Number.NaN }, /finite number/],
    [{ m: { toString: () => "x' OR 1=1" } }, /must be a string, number, boolean, date or null/],
    [{ m: 'a\u0000b' }, /NUL/],
  ])('refuses %j', (params, message) => {
    expect(() => bindSql('SELECT * FROM t WHERE m = :m', params)).toThrow(message);
  });

  it('validates identifiers and buckets in presets', () => {
    expect(() => presetSql('latest', { table: 't; DROP TABLE x' }, {})).toThrow(
      /table must be letters, digits and _/,
    );
    expect(() => presetSql('series', { table: 't', bucket: "1m'; --" }, {})).toThrow(/bucket must look like/);
  });

  it('events: the newest plant events, filtered by kind in place of metric', () => {
    const { sql, params } = presetSql(
      'events',
      { table: 'plantwire_events', minutes: 1440 },
      { tenant: 'acme', kind: 'alarm', metric: 'ignored' },
    );
    expect(bindSql(sql, params)).toBe(
      "SELECT ts, line, machine, kind, name, state, priority, value, message FROM plantwire_events WHERE tenant = 'acme' AND kind = 'alarm' AND ts > dateadd('m', -1440, now()) ORDER BY ts DESC LIMIT 100",
    );
  });
});

describe('queries against a real QuestDB', () => {
  let questdb: QuestDb;
  const connection = () => ({ url: questdb.httpUrl });
  beforeAll(async () => {
    questdb = await startQuestDb();
    const writer = new TelemetryWriter(connection());
    const now = Date.now();
    const points = ['cnc-01', 'press-02'].flatMap((machine) =>
      Array.from({ length: 30 }, (_, i) => telemetryPoint(now - (30 - i) * 60_000, { machine, value: i })),
    );
    await writer.write(points);
    await writer.close();
    await questdb.waitForWal(DEFAULT_TABLE.name);
  });
  afterAll(async () => {
    await questdb?.stop();
  });

  it('an injection attempt through a parameter is inert', async () => {
    const attack = "x' OR '1'='1";
    const rows = toRows(
      await exec(
        connection(),
        bindSql('SELECT count() n FROM plantwire_telemetry WHERE machine = :machine', { machine: attack }),
      ),
    );
    expect(rows).toEqual([{ n: 0 }]);
    const drop = "'; DROP TABLE plantwire_telemetry; --";
    await exec(
      connection(),
      bindSql('SELECT count() n FROM plantwire_telemetry WHERE machine = :machine', { machine: drop }),
    );
    expect(toRows(await exec(connection(), 'SELECT count() n FROM plantwire_telemetry'))).toEqual([
      { n: 60 },
    ]);
  });

  it('a negative number after a minus is subtracted in QuestDB, and the condition after it still holds', async () => {
    const sql = bindSql(
      'SELECT count() n FROM plantwire_telemetry WHERE value > 3 -:off AND machine = :machine',
      {
        off: -5,
        machine: 'cnc-01',
      },
    );
    expect(toRows(await exec(connection(), sql))).toEqual([{ n: 21 }]); // values 9..29 of one machine
  });

  it('runs the presets: latest per machine and metric, a bucketed series for ui-chart, counts', async () => {
    const latest = presetSql('latest', { table: DEFAULT_TABLE.name }, { tenant: 'acme' });
    const rows = toRows(await exec(connection(), bindSql(latest.sql, latest.params)));
    expect(rows.map((r) => [r.machine, r.value]).sort()).toEqual([
      ['cnc-01', 29],
      ['press-02', 29],
    ]);
    const series = presetSql(
      'series',
      { table: DEFAULT_TABLE.name, bucket: '10m', minutes: 120 },
      { metric: 'temperature', machine: 'cnc-01' },
    );
    const points = toSeries(toRows(await exec(connection(), bindSql(series.sql, series.params))));
    expect(points.length).toBeGreaterThanOrEqual(3);
    expect(points.every((p) => p.series === 'cnc-01' && Number.isFinite(p.x) && Number.isFinite(p.y))).toBe(
      true,
    );
    const counts = presetSql('counts', { table: DEFAULT_TABLE.name, minutes: 60 }, {});
    const counted = toRows(await exec(connection(), bindSql(counts.sql, counts.params)));
    expect(counted.reduce((sum, r) => sum + Number(r.points), 0)).toBe(60);
  });
});

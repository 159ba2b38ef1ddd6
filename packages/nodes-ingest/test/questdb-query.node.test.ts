import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { TelemetryWriter } from '../src/index.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  coreNode,
  freePort,
  nodeRedTestHelper,
  startQuestDb,
  telemetryPoint,
  until,
  type QuestDb,
} from '@plantwire/testkit';

const require = createRequire(import.meta.url);
const configNode = require('../dist/nodes/questdb-config/questdb-config.js');
const queryNode = require('../dist/nodes/questdb-query/questdb-query.js');
const catchNode = coreNode('common/25-catch');
const helper = nodeRedTestHelper();

function flow(url: string, query: Record<string, unknown>) {
  return [
    { id: 'db', type: 'questdb-config', url, requestTimeoutS: '2' },
    {
      id: 'query',
      type: 'questdb-query',
      server: 'db',
      mode: 'latest',
      table: 'plantwire_telemetry',
      output: 'rows',
      wires: [['rows']],
      ...query,
    },
    { id: 'rows', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

const spy = (id: string, method: 'warn' | 'error' | 'log') => (helper.getNode(id) as any)[method];

describe('questdb-query while QuestDB is unreachable', () => {
  let questdb: QuestDb | undefined;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    await helper.startServer();
  });
  afterEach(() => helper.unload());
  afterAll(async () => {
    await helper.stopServer();
    await questdb?.stop();
  });

  it('a preset warns once per outage, answers empty results meanwhile, and recovers when QuestDB comes up', async () => {
    await helper.load(
      [configNode, queryNode, catchNode],
      flow(`http://127.0.0.1:${port}`, { mode: 'counts' }),
    );
    const rows = collect(helper, 'rows');
    const caught = collect(helper, 'caught');
    const statuses: any[] = [];
    helper
      .getNode('query')!
      .on('call:status' as never, ((call: any) => statuses.push(call.args[0])) as never);
    for (let i = 0; i < 10; i++) helper.getNode('query')!.receive({ params: { tenant: 'acme' } });
    await until('ten empty answers', () => rows.length === 10, 10_000);
    expect(rows.every((m) => Array.isArray(m.payload) && m.payload.length === 0)).toBe(true);
    expect(rows.every((m) => m.statusCode === 503)).toBe(true); // for an http response: unavailable, not empty
    expect(caught).toEqual([]);
    expect(spy('query', 'warn').callCount).toBe(1);
    expect(spy('query', 'warn').firstCall.args[0]).toMatch(
      /^questdb-query: QuestDB unavailable: .*until it is back/,
    );
    expect(spy('query', 'error').callCount).toBe(0);
    expect(statuses.at(-1)).toEqual({ fill: 'yellow', shape: 'ring', text: 'QuestDB unavailable' });

    questdb = await startQuestDb({ httpPort: port });
    helper.getNode('query')!.receive({});
    await until('the answer from QuestDB', () => rows.length === 11, 10_000);
    expect(spy('query', 'log').calledWithMatch(/QuestDB is reachable again/)).toBe(true);
    // QuestDB answers (here: no table yet), so the outage is over.
    expect(statuses.at(-1)).toMatchObject({ text: 'no data yet: the table does not exist' });

    // A second outage is reported again, once.
    await questdb.stop();
    questdb = undefined;
    for (let i = 0; i < 5; i++) helper.getNode('query')!.receive({});
    await until('five more answers', () => rows.length === 16, 10_000);
    expect(spy('query', 'warn').callCount).toBe(2);
  }, 90_000);

  it('a SQL query still fails every message for Catch', async () => {
    await helper.load(
      [configNode, queryNode, catchNode],
      flow('http://127.0.0.1:9', { mode: 'sql', sql: 'SELECT 1' }),
    );
    const caught = collect(helper, 'caught');
    for (let i = 0; i < 3; i++) helper.getNode('query')!.receive({});
    await until('three errors', () => caught.length === 3, 10_000);
    expect(caught[0].error.message).toMatch(/QuestDB unavailable/);
    expect(spy('query', 'warn').callCount).toBe(0);
  });

  it('refuses a window past a year at deploy, not on every query', async () => {
    await helper.load(
      [configNode, queryNode, catchNode],
      flow(`http://127.0.0.1:${port}`, { mode: 'series', minutes: '600000' }),
    );
    expect(
      spy('query', 'error').calledWithMatch(
        /minutes must be a whole number from 1 to 527040 \(got "600000"\)/,
      ),
    ).toBe(true);
  });

  it('refuses its own bucket at deploy when the window holds too many of them', async () => {
    await helper.load(
      [configNode, queryNode, catchNode],
      flow('http://127.0.0.1:9', { mode: 'series', minutes: '1440', bucket: '1s' }),
    );
    const caught = collect(helper, 'caught');
    expect(spy('query', 'error').calledWithMatch(/1440 minutes in buckets of 1s is 86400 per series/)).toBe(
      true,
    );
    helper.getNode('query')!.receive({});
    await until('the error', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/questdb-query: query: 1440 minutes in buckets of 1s/);
  });

  it('series: an answer past 100,000 rows fails for Catch instead of going out', async () => {
    // A stand-in for QuestDB's /exec answering what an unfiltered year would: one row past the cap.
    const row = ['2026-01-01T00:00:00.000000Z', 'line-01', 'cnc-01', 'temperature', 50, 50];
    const body = JSON.stringify({
      columns: ['ts', 'line', 'machine', 'metric', 'value', 'last'].map((name) => ({ name })),
      dataset: Array.from({ length: 100_001 }, () => row),
    });
    const server = createServer((_, response) => response.end(body));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port: fake } = server.address() as AddressInfo;
      await helper.load(
        [configNode, queryNode, catchNode],
        flow(`http://127.0.0.1:${fake}`, { mode: 'series' }),
      );
      const rows = collect(helper, 'rows');
      const caught = collect(helper, 'caught');
      helper.getNode('query')!.receive({});
      await until('the error', () => caught.length === 1);
      expect(caught[0].error.message).toMatch(/more than 100000 rows: filter by line, machine or metric/);
      expect(rows).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('kpis: bad ideal rates are reported at deploy and fail each query', async () => {
    await helper.load(
      [configNode, queryNode, catchNode],
      flow('http://127.0.0.1:9', { mode: 'kpis', idealRates: '{"cnc": -1}' }),
    );
    const caught = collect(helper, 'caught');
    expect(spy('query', 'error').calledWithMatch(/ideal rate of "cnc" must be a positive number/)).toBe(true);
    helper.getNode('query')!.receive({});
    await until('the error', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/questdb-query: ideal rate of "cnc"/);
  });

  it('kpis: takes ideal rates a script wrote as an object, not as JSON text', async () => {
    for (const [idealRates, refusal] of [
      [{ cnc: 12 }, undefined],
      [{ cnc: -1 }, /ideal rate of "cnc" must be a positive number/],
    ] as const) {
      await helper.load(
        [configNode, queryNode, catchNode],
        flow('http://127.0.0.1:9', { mode: 'kpis', idealRates }),
      );
      const logged = spy('query', 'error');
      if (refusal) expect(logged.calledWithMatch(refusal)).toBe(true);
      else expect(logged.callCount).toBe(0);
      await helper.unload();
    }
  });

  it('refuses a table that is not a table name at deploy, as written or as a number', async () => {
    for (const table of ['5', 5]) {
      await helper.load([configNode, queryNode, catchNode], flow('http://127.0.0.1:9', { table }));
      expect(spy('query', 'error').args).toEqual([
        ['questdb-query: query: table must be letters, digits and _ (got "5")'],
      ]);
      await helper.unload();
    }
  });

  it('series: msg.params.minutes and bucket are checked like the settings', async () => {
    await helper.load([configNode, queryNode, catchNode], flow('http://127.0.0.1:9', { mode: 'series' }));
    const caught = collect(helper, 'caught');
    helper.getNode('query')!.receive({ params: { minutes: 0 } });
    helper.getNode('query')!.receive({ params: { bucket: '1 week' } });
    await until('two errors', () => caught.length === 2);
    expect(caught.map((m) => m.error.message)).toEqual([
      expect.stringMatching(/minutes must be a whole number from 1 to a year \(got 0\)/),
      expect.stringMatching(/bucket must look like 30s, 1m or 1h/),
    ]);
  });

  it('kpis: rows per line and machine from the telemetry of the last hour', async () => {
    questdb = await startQuestDb({ httpPort: port });
    const writer = new TelemetryWriter({ url: questdb.httpUrl });
    const start = Date.now() - 30 * 60_000;
    const at = (i: number, metric: string, value: number) =>
      telemetryPoint(start + i * 60_000, { line: 'line-02', machine: 'pump-03', metric, value });
    await writer.write(
      Array.from({ length: 30 }, (_, i) => [
        at(i, 'state', 1),
        at(i, 'units_good', 5 * i),
        at(i, 'temperature', 50),
      ]).flat(),
    );
    await writer.close();
    await questdb.waitForWal('plantwire_telemetry');
    await helper.load(
      [configNode, queryNode, catchNode],
      flow(questdb.httpUrl, { mode: 'kpis', idealRates: '{"pump": 10}', output: 'series' }),
    );
    const rows = collect(helper, 'rows');
    helper.getNode('query')!.receive({ params: { tenant: 'acme', line: 'line-02' } });
    await until('the answer', () => rows.length === 1, 10_000);
    // 29 minutes running at 5 parts a minute against an ideal 10: performance 50 %.
    expect(rows[0].payload).toEqual([
      expect.objectContaining({
        line: 'line-02',
        machine: 'pump-03',
        state: 'RUNNING',
        availability: 100,
        performance: 50,
        quality: 100,
        oee_hour: 50,
        health: 100,
      }),
    ]);
  }, 60_000);

  it('sql: a statement that returns no rows (CREATE, INSERT) answers an empty list', async () => {
    await helper.load([configNode, queryNode, catchNode], flow(questdb!.httpUrl, { mode: 'sql' }));
    const rows = collect(helper, 'rows');
    const caught = collect(helper, 'caught');
    const query = (sql: string) => helper.getNode('query')!.receive({ query: sql });
    query(
      'CREATE TABLE plantwire_notes (note STRING, ts TIMESTAMP) TIMESTAMP(ts) PARTITION BY DAY BYPASS WAL',
    );
    await until('the CREATE answer', () => rows.length === 1, 10_000);
    query("INSERT INTO plantwire_notes VALUES ('checked', now())");
    await until('the INSERT answer', () => rows.length === 2, 10_000);
    query('SELECT note FROM plantwire_notes');
    await until('the SELECT answer', () => rows.length === 3, 10_000);
    expect(rows.map((m) => m.payload)).toEqual([[], [], [{ note: 'checked' }]]);
    expect(caught).toEqual([]);
  }, 30_000);
});

import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  coreNode,
  nodeRedTestHelper,
  startQuestDb,
  telemetryPoint,
  until,
  type QuestDb,
} from '@plantwire/testkit';

// The runtime tests load the built nodes, as Node-RED does (npm test builds first).
const require = createRequire(import.meta.url);
const configNode = require('../dist/nodes/questdb-config/questdb-config.js');
const writeNode = require('../dist/nodes/questdb-write/questdb-write.js');
const queryNode = require('../dist/nodes/questdb-query/questdb-query.js');
const catchNode = coreNode('common/25-catch');
const helper = nodeRedTestHelper();
let questdb: QuestDb;

const point = (ts: number) => telemetryPoint(ts, { value: 61.5 });

function flow(table: string, url = questdb.httpUrl, config: Record<string, unknown> = {}) {
  return [
    { id: 'db', type: 'questdb-config', url, flushIntervalMs: '20', ...config },
    {
      id: 'write',
      type: 'questdb-write',
      server: 'db',
      table,
      partitionBy: 'DAY',
      ttlDays: '0',
      wires: [['written'], ['rejected']],
    },
    { id: 'written', type: 'helper' },
    { id: 'rejected', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

/** flow(table) with the write node's own settings. */
const writing = (table: string, settings: Record<string, unknown>) =>
  flow(table).map((node) => (node.id === 'write' ? { ...node, ...settings } : node));

const wait = (what: string, check: () => boolean, ms = 15_000) => until(what, check, ms);

describe('questdb-write inside Node-RED, against a real QuestDB', () => {
  beforeAll(async () => {
    questdb = await startQuestDb();
    await helper.startServer();
  });
  afterEach(() => helper.unload());
  afterAll(async () => {
    await helper.stopServer();
    await questdb?.stop();
  });

  it('passes each message on once its rows are committed, msg.sf intact', async () => {
    await helper.load([configNode, writeNode, catchNode], flow('node_write'));
    const written = collect(helper, 'written');
    const start = Date.UTC(2026, 0, 5);
    const sf = { store: 'edge', batch: '1-1', count: 500, attempt: 1, historical: false };
    helper
      .getNode('write')!
      .receive({ payload: Array.from({ length: 500 }, (_, i) => point(start + i)), sf });
    helper.getNode('write')!.receive({ payload: point(start + 9999) });
    await wait('both messages', () => written.length === 2);
    expect(written[0].sf).toEqual(sf);
    await questdb.waitForWal('node_write');
    expect((await questdb.exec('SELECT count() FROM node_write')).dataset).toEqual([[501]]);
  });

  it('writes the valid points and sends the refused ones with reasons on output 2', async () => {
    await helper.load([configNode, writeNode, catchNode], flow('node_rejects'));
    const written = collect(helper, 'written');
    const rejected = collect(helper, 'rejected');
    helper.getNode('write')!.receive({
      payload: [point(Date.UTC(2026, 0, 5)), { ...point(Date.UTC(2026, 0, 5) + 1), tenant: 'acme corp' }],
    });
    await wait('the answer', () => written.length === 1 && rejected.length === 1);
    expect(rejected[0].payload).toHaveLength(1);
    expect(rejected[0].payload[0].reason).toMatch(/^tenant must be 1 to 64 characters/);
    expect(written[0].statusCode).toBeUndefined();
  });

  it('answers 422 when every point is refused, and keeps the refused count in its status', async () => {
    await helper.load([configNode, writeNode, catchNode], flow('node_all_refused'));
    const statuses: { fill?: string; text?: string }[] = [];
    helper
      .getNode('write')!
      .on(
        'call:status' as never,
        ((call: { args: [{ fill?: string; text?: string }] }) => statuses.push(call.args[0])) as never,
      );
    const written = collect(helper, 'written');
    const rejected = collect(helper, 'rejected');
    // A store-forward batch sent as JSON text: not points at all.
    const sf = { store: 'edge', batch: '1-3', count: 2, attempt: 1, historical: false };
    const batch = JSON.stringify([point(Date.UTC(2026, 0, 5)), point(Date.UTC(2026, 0, 5) + 1)]);
    helper.getNode('write')!.receive({ payload: batch, sf });
    await wait('the answer', () => written.length === 1 && rejected.length === 1);
    expect(written[0]).toMatchObject({ statusCode: 422, questdb: { written: 0, rejected: 1 }, sf });
    await wait('a yellow status with the refused count', () =>
      statuses.some((s) => s.fill === 'yellow' && s.text === '0 rows written, 1 refused (output 2)'),
    );
  });

  it('writes plain objects to a table of yours in generic mode, refusing what does not fit', async () => {
    await helper.load(
      [configNode, writeNode, catchNode],
      writing('shifts', { mode: 'generic', timestampField: 'at', symbols: 'machine, shift' }),
    );
    const written = collect(helper, 'written');
    const rejected = collect(helper, 'rejected');
    const at = Date.UTC(2026, 0, 5);
    helper.getNode('write')!.receive({
      payload: [
        { at, machine: 'press-02', shift: 'early', good: 410, running: true, note: { by: 'anna' } },
        { at: 'yesterday', machine: 'press-02' },
        { at: new Date(at + 60_000).toISOString(), machine: 'cnc-01', shift: 'early', good: 12 },
        // No zone (it would be the server's local time), and seconds (1970).
        { at: '2026-01-05T12:00:00', machine: 'cnc-01' },
        { at: at / 1000, machine: 'cnc-01' },
      ],
    });
    await wait('the answer', () => written.length === 1 && rejected.length === 1);
    expect(written[0].questdb).toEqual({ written: 2, rejected: 3 });
    expect(rejected[0].payload.map((r: { reason: string }) => r.reason)).toEqual([
      'field "at": ts must be epoch milliseconds or an ISO-8601 date-time with a zone (got "yesterday")',
      'field "at": ts must be epoch milliseconds or an ISO-8601 date-time with a zone (got "2026-01-05T12:00:00")',
      'field "at": ts 1767571200 is before 2000-01-01 as milliseconds: send epoch milliseconds, not seconds',
    ]);
    await questdb.waitForWal('shifts').catch(() => undefined);
    const rows = await questdb.rows<{
      machine: string;
      shift: string;
      good: number;
      running: boolean | null;
      note: string | null;
    }>('SELECT machine, shift, good, running, note FROM shifts ORDER BY timestamp');
    expect(rows).toEqual([
      { machine: 'press-02', shift: 'early', good: 410, running: true, note: '{"by":"anna"}' },
      { machine: 'cnc-01', shift: 'early', good: 12, running: false, note: null },
    ]);
  });

  it('generic mode without a table is refused at deploy, not written into the telemetry table', async () => {
    await helper.load(
      [configNode, writeNode, catchNode],
      writing('', { mode: 'generic', timestampField: 'at' }),
    );
    const caught = collect(helper, 'caught');
    const write = helper.getNode('write') as any;
    expect(write.error.calledWithMatch(/generic mode writes plain objects: name a table for them/)).toBe(
      true,
    );
    write.receive({ payload: { at: Date.UTC(2026, 0, 5), machine: 'press-02' } });
    await wait('the error', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(
      /questdb-write: not configured \(see the error logged at deploy\)/,
    );
  });

  it('refuses a table that is not a table name at deploy, as written or as a number', async () => {
    for (const table of ['5', 5]) {
      await helper.load([configNode, writeNode, catchNode], writing('', { table }));
      expect((helper.getNode('write') as any).error.args).toEqual([
        ['questdb-write: table name "5" must be letters, digits and _'],
      ]);
      await helper.unload();
    }
  });

  it('generic mode: a BigInt is stored as an exact long; a value it cannot write fails its row alone', async () => {
    await helper.load(
      [configNode, writeNode, catchNode],
      writing('counters', { mode: 'generic', timestampField: 'at', symbols: 'machine' }),
    );
    const written = collect(helper, 'written');
    const rejected = collect(helper, 'rejected');
    const at = Date.UTC(2026, 0, 5);
    helper.getNode('write')!.receive({
      payload: [
        { at, machine: 'press-02', total: 9007199254740993n },
        { at, machine: 'press-02', total: 1, callback: () => 1 },
      ],
    });
    await wait('the answer', () => written.length === 1 && rejected.length === 1);
    expect(written[0].questdb).toEqual({ written: 1, rejected: 1 });
    expect(rejected[0].payload[0].reason).toMatch(
      /field "callback" must be a number, string, boolean or JSON/,
    );
    await questdb.waitForWal('counters').catch(() => undefined);
    expect(await questdb.rows('SELECT CAST(total AS STRING) total FROM counters')).toEqual([
      { total: '9007199254740993' },
    ]);
    expect(await questdb.rows("SELECT type FROM table_columns('counters') WHERE column = 'total'")).toEqual([
      { type: 'LONG' },
    ]);
  });

  it('writes with its own settings: beside another node on the table, and after a redeploy of itself', async () => {
    const generic = (id: string, timestampField: string, wires: string[][]) => ({
      id,
      type: 'questdb-write',
      server: 'db',
      table: 'readings',
      mode: 'generic',
      timestampField,
      symbols: 'machine',
      wires,
    });
    const nodes = (fieldOfWrite: string) => [
      flow('readings')[0],
      generic('write', fieldOfWrite, [['written'], []]),
      generic('other', 'at', [['written'], []]),
      ...flow('readings').slice(2),
    ];
    await helper.load([configNode, writeNode, catchNode], nodes('taken'));
    const written = collect(helper, 'written');
    const taken = Date.UTC(2026, 0, 5, 8);
    const at = Date.UTC(2026, 0, 5, 9);
    helper.getNode('other')!.receive({ payload: { at, machine: 'cnc-01' } });
    helper.getNode('write')!.receive({ payload: { taken, machine: 'cnc-02' } });
    await wait('both answers', () => written.length === 2);
    // A redeploy of the write node alone ("modified nodes"), timestamped by another field now.
    await (helper as any).setFlows(nodes('stamped'), 'nodes');
    const stamped = Date.UTC(2026, 0, 5, 10);
    helper.getNode('write')!.receive({ payload: { stamped, machine: 'cnc-03' } });
    await wait('the third answer', () => written.length === 3);
    await questdb.waitForWal('readings').catch(() => undefined);
    const rows = await questdb.rows<{ machine: string; timestamp: string }>(
      'SELECT machine, timestamp FROM readings ORDER BY machine',
    );
    expect(rows).toEqual([
      { machine: 'cnc-01', timestamp: new Date(at).toISOString().replace('Z', '000Z') },
      { machine: 'cnc-02', timestamp: new Date(taken).toISOString().replace('Z', '000Z') },
      { machine: 'cnc-03', timestamp: new Date(stamped).toISOString().replace('Z', '000Z') },
    ]);
  });

  it('events mode: normalises raw events into plantwire_events, refusing what does not fit', async () => {
    await helper.load([configNode, writeNode, catchNode], writing('', { mode: 'events' }));
    const written = collect(helper, 'written');
    const rejected = collect(helper, 'rejected');
    const at = Date.UTC(2026, 0, 6);
    const state = {
      ts: at,
      type: 'state',
      tenant: 'acme',
      plant: 'plant-1',
      line: 'line-01',
      machine: 'press-01',
    };
    helper.getNode('write')!.receive({
      payload: [
        { ...state, state: 'SETUP', previous: 'IDLE' },
        { ...state, state: 'SETUP' }, // no previous
      ],
    });
    await wait('the answer', () => written.length === 1 && rejected.length === 1);
    expect(written[0].questdb).toEqual({ written: 1, rejected: 1 });
    expect(rejected[0].payload[0].reason).toBe('previous must be a non-empty string (got nothing)');
    await questdb.waitForWal('plantwire_events');
    expect(
      await questdb.rows("SELECT name, message FROM plantwire_events WHERE machine = 'press-01'"),
    ).toEqual([{ name: 'SETUP', message: 'IDLE -> SETUP' }]);
  });

  it('fails the message for Catch when QuestDB stays unavailable, and says so in its status', async () => {
    await helper.load(
      [configNode, writeNode, catchNode],
      flow('nowhere', 'http://127.0.0.1:9', { maxAttempts: '2', requestTimeoutS: '1' }),
    );
    const caught = collect(helper, 'caught');
    const statuses: any[] = [];
    helper
      .getNode('write')!
      .on('call:status' as never, ((call: any) => statuses.push(call.args[0])) as never);
    helper.getNode('write')!.receive({ payload: point(Date.UTC(2026, 0, 5)) });
    await wait('the error', () => caught.length === 1, 20_000);
    expect(caught[0].error.message).toMatch(/QuestDB unavailable/);
    expect(statuses.some((s) => s.fill === 'yellow' && /retrying/.test(s.text))).toBe(true);
  });

  it('reports a missing server', async () => {
    await helper.load(
      [configNode, writeNode, catchNode],
      [{ ...flow('x')[1], server: '' }, ...flow('x').slice(2)],
    );
    const caught = collect(helper, 'caught');
    helper.getNode('write')!.receive({ payload: point(Date.UTC(2026, 0, 5)) });
    await wait('the error', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/no QuestDB server configured/);
  });

  it('questdb-query binds msg.params as literals and answers rows or ui-chart series', async () => {
    await helper.load(
      [configNode, writeNode, queryNode, catchNode],
      [
        ...flow('node_write'),
        {
          id: 'query-sql',
          type: 'questdb-query',
          server: 'db',
          mode: 'sql',
          sql: 'SELECT count() n FROM node_write WHERE machine = :machine',
          output: 'rows',
          wires: [['rows']],
        },
        {
          id: 'query-latest',
          type: 'questdb-query',
          server: 'db',
          mode: 'latest',
          table: 'node_write',
          output: 'series',
          wires: [['rows']],
        },
        { id: 'rows', type: 'helper' },
      ],
    );
    const rows = collect(helper, 'rows');
    const caught = collect(helper, 'caught');
    helper.getNode('query-sql')!.receive({ params: { machine: "cnc-01' OR '1'='1" } });
    await wait('the first answer', () => rows.length === 1);
    helper.getNode('query-sql')!.receive({ params: { machine: 'cnc-01' } });
    await wait('the second answer', () => rows.length === 2);
    expect(rows.map((m) => m.payload)).toEqual([[{ n: 0 }], [{ n: 501 }]]);
    helper.getNode('query-latest')!.receive({ params: { tenant: 'acme' } });
    await wait('the series', () => rows.length === 3);
    expect(rows[2].payload).toEqual([{ series: 'cnc-01', x: expect.any(Number), y: 61.5 }]);
    helper.getNode('query-sql')!.receive({ params: {} });
    helper.getNode('query-sql')!.receive({ query: 'SELECT nonsense FROM nowhere' });
    await wait('two errors', () => caught.length === 2);
    expect(caught[0].error.message).toMatch(/no value for :machine/);
    expect(caught[1].error.message).toMatch(/QuestDB: /);
  });

  it('questdb-query presets answer an empty result before the table exists; SQL on a missing table fails', async () => {
    await helper.load(
      [configNode, queryNode, catchNode],
      [
        ...flow('node_write').filter((node) => node.type !== 'questdb-write'),
        ...(['counts', 'sql'] as const).map((mode) => ({
          id: `query-${mode}`,
          type: 'questdb-query',
          server: 'db',
          mode,
          sql: 'SELECT count() FROM not_written_yet',
          table: 'not_written_yet',
          output: 'rows',
          wires: [['rows']],
        })),
        { id: 'rows', type: 'helper' },
      ],
    );
    const rows = collect(helper, 'rows');
    const caught = collect(helper, 'caught');
    helper.getNode('query-counts')!.receive({});
    helper.getNode('query-sql')!.receive({});
    await wait('one answer and one error', () => rows.length === 1 && caught.length === 1);
    expect(rows[0].payload).toEqual([]);
    expect(caught[0].error.message).toMatch(/table does not exist/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeRed, startQuestDb, telemetryPoint, type NodeRed, type QuestDb } from '@plantwire/testkit';

const at = Date.UTC(2026, 0, 5, 8);

describe('plant events in a real Node-RED: POST /events -> telemetry-validate (events) -> questdb-write (events)', () => {
  let red: NodeRed;
  let questdb: QuestDb;

  beforeAll(async () => {
    questdb = await startQuestDb();
    red = await startNodeRed({
      flows: [
        { id: 'tab', type: 'tab' },
        { id: 'db', type: 'questdb-config', url: questdb.httpUrl, flushIntervalMs: '20' },
        { id: 'in', z: 'tab', type: 'http in', url: '/events', method: 'post', wires: [['gate']] },
        {
          id: 'gate',
          z: 'tab',
          type: 'telemetry-validate',
          mode: 'events',
          maxPoints: '100',
          maxKB: '64',
          plant: 'plant-1',
          credentials: { tokens: 'tok-acme acme' },
          wires: [['write'], ['out']],
        },
        {
          id: 'write',
          z: 'tab',
          type: 'questdb-write',
          server: 'db',
          mode: 'events',
          table: '',
          wires: [['answer'], []],
        },
        {
          id: 'answer',
          z: 'tab',
          type: 'change',
          rules: [
            {
              t: 'set',
              p: 'payload',
              pt: 'msg',
              to: '{"accepted": questdb.written, "rejected": ingest.rejected}',
              tot: 'jsonata',
            },
          ],
          wires: [['out']],
        },
        { id: 'out', z: 'tab', type: 'http response', wires: [] },
        // The events preset with no table named reads plantwire_events.
        { id: 'list-in', z: 'tab', type: 'http in', url: '/events', method: 'get', wires: [['list']] },
        // The events are stamped in January 2026: a year back from now holds them.
        {
          id: 'list',
          z: 'tab',
          type: 'questdb-query',
          server: 'db',
          mode: 'events',
          table: '',
          minutes: '527040',
          wires: [['out']],
        },
      ],
    });
  });
  afterAll(async () => {
    await red?.stop();
    await questdb?.stop();
  });

  const post = async (body: unknown) => {
    const response = await fetch(`${red.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok-acme' },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as { accepted: number; rejected: unknown[] },
    };
  };

  const events = [
    { ts: at, type: 'state', line: 'line-01', machine: 'cnc-01', state: 'ERROR', previous: 'RUNNING' },
    { ts: at + 1, type: 'fault', phase: 'start', fault: 'network_outage' },
    {
      id: 'line-01/cnc-01/temperature:temp-high:critical',
      key: 'line-01/cnc-01/temperature',
      rule: 'temp-high',
      level: 'critical',
      state: 'active-unack',
      previous: 'normal',
      priority: 'high',
      value: 93.5,
      limit: 90,
      ts: at + 2,
      message: 'temperature 93.5 above 90',
    },
    { ...telemetryPoint(at + 3, { value: 97.25 }), score: 0.73, anomaly: true },
  ];

  it('stores events once however often they are posted', async () => {
    expect(await post(events)).toEqual({ status: 200, body: { accepted: 4, rejected: [] } });
    expect((await post(events)).status).toBe(200);
    await questdb.waitForWal('plantwire_events');
    const rows = await questdb.rows<Record<string, unknown>>(
      'SELECT kind, name, state, line, machine, priority, value, message, tenant, plant FROM plantwire_events ORDER BY ts',
    );
    expect(rows).toEqual([
      {
        kind: 'state',
        name: 'ERROR',
        state: 'ERROR',
        line: 'line-01',
        machine: 'cnc-01',
        priority: '',
        value: null,
        message: 'RUNNING -> ERROR',
        tenant: 'acme',
        plant: 'plant-1',
      },
      expect.objectContaining({
        kind: 'fault',
        name: 'network_outage',
        state: 'start',
        line: '',
        machine: '',
      }),
      expect.objectContaining({ kind: 'alarm', priority: 'high', value: 93.5, machine: 'cnc-01' }),
      expect.objectContaining({ kind: 'anomaly', state: 'flagged', value: 97.25 }),
    ]);
  });

  it('the events preset of questdb-query, naming no table, lists them from plantwire_events', async () => {
    await post(events);
    await questdb.waitForWal('plantwire_events');
    const response = await fetch(`${red.url}/events`);
    expect(response.status).toBe(200);
    const rows = (await response.json()) as { kind: string }[];
    expect(rows.map((row) => row.kind).sort()).toEqual(['alarm', 'anomaly', 'fault', 'state']);
  });

  it('a mixed batch stores the valid events and lists the refused ones; another tenant alone gets 403', async () => {
    const mixed = [
      { ...events[0], ts: at + 100 },
      { ...events[0], ts: 'later' },
      { ...events[0], ts: at + 101, tenant: 'globex' },
    ];
    const answer = await post(mixed);
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(1);
    expect(answer.body.rejected).toHaveLength(2);
    expect((await post([mixed[2]])).status).toBe(403);
    await questdb.waitForWal('plantwire_events');
    expect((await questdb.exec('SELECT count() FROM plantwire_events')).dataset).toEqual([[5]]);
  });
});

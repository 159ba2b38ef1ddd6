import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('the demo flows in flows/', () => {
  it('are what scripts/flows builds', () => {
    const check = spawnSync(process.execPath, ['scripts/build-flows.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('document every alarm rule in flows/README.md', () => {
    const readme = readFileSync(`${root}/flows/README.md`, 'utf8');
    const edge = JSON.parse(readFileSync(`${root}/flows/edge-agent.json`, 'utf8')) as {
      type: string;
      rules?: string;
    }[];
    const rules = JSON.parse(edge.find((node) => node.type === 'threshold-alarm')!.rules!) as {
      name: string;
    }[];
    expect(rules.length).toBeGreaterThan(3);
    for (const rule of rules) expect(readme).toContain(`\`${rule.name}\``);
  });

  it("hold the remaining life's last value until now on the Machine page, in minutes, drawn as steps; states as steps of their names; times in UTC", () => {
    const dashboard = JSON.parse(readFileSync(`${root}/flows/dashboard.json`, 'utf8')) as {
      id: string;
      type: string;
      func?: string;
      label?: string;
      interpolation?: string;
      xAxisLabel?: string;
      ymin?: string;
      ymax?: string;
      chartOptions?: { useUTC?: boolean; yAxis?: object };
    }[];
    const noViews = { get: () => undefined };
    const historySplit = new Function(
      'msg',
      'flow',
      dashboard.find((node) => node.id === 'dash-history-split')!.func!,
    ) as (msg: object, flow: object) => { payload: { series: string; x: number; y: number }[] }[];
    const split = (msg: { payload: object[] }) =>
      historySplit({ ...msg, params: { line: 'line-01', machine: 'cnc-01', minutes: 60 } }, noViews);
    const charts = dashboard.filter((node) => node.id.startsWith('dash-chart-'));
    const rul = charts.findIndex((node) => node.id === 'dash-chart-rul');
    const temperature = charts.findIndex((node) => node.id === 'dash-chart-temperature');
    const state = charts.findIndex((node) => node.id === 'dash-chart-state');
    const before = Date.now();
    // The series preset's rows: each bucket's mean (value) and last value (last).
    const out = split({
      payload: [
        { ts: '2026-01-05T08:00:00Z', metric: 'vibration_rul', value: 7000, last: 7200 },
        { ts: '2026-01-05T08:00:00Z', metric: 'temperature', value: 50, last: 50.5 },
        { ts: '2026-01-05T08:00:02Z', metric: 'temperature', value: 51, last: 51.5 },
        { ts: '2026-01-05T08:00:00Z', metric: 'state', value: 2.5, last: 4 },
      ],
    });
    // A state code is each bucket's last state (a mean of codes, 2.5, is no state), drawn as its name on an axis
    // of the names, as steps: never a ramp from RUNNING through IDLE and SETUP to ERROR.
    expect(out[state]!.payload.map((p) => p.y)).toEqual(['ERROR']);
    expect(charts[state]!.interpolation).toBe('step');
    expect(charts[state]!.chartOptions!.yAxis).toMatchObject({
      type: 'category',
      data: ['RUNNING', 'IDLE', 'SETUP', 'ERROR', 'MAINTENANCE'],
    });
    expect([charts[state]!.ymin, charts[state]!.ymax]).toEqual(['0', '4']);
    // Sent only when it changes: one point would stretch the time axis over days, and a line between two sent
    // values would draw a decline that never was.
    // In minutes, on a fixed axis up to the forecast's cap of 2 hours (which the title explains).
    expect(out[rul]!.payload.map((p) => p.y)).toEqual([120, 120]);
    expect([charts[rul]!.ymin, charts[rul]!.ymax, charts[rul]!.chartOptions!.yAxis]).toEqual([
      '0',
      '120',
      expect.objectContaining({ interval: 30 }),
    ]);
    expect(charts[rul]!.label).toMatch(/min; 120: no drift/);
    expect(out[rul]!.payload[1]!.x).toBeGreaterThanOrEqual(before);
    expect(charts[rul]!.interpolation).toBe('step');
    // A sampled series is drawn as it came.
    expect(out[temperature]!.payload.map((p) => p.y)).toEqual([50, 51]);
    expect(charts[temperature]!.interpolation).toBe('linear');
    // Every chart of the dashboard draws UTC, as the tables, and names it.
    for (const chart of dashboard.filter((node) => node.type === 'ui-chart')) {
      expect(chart.xAxisLabel, chart.id).toBe('time (UTC)');
      expect(chart.chartOptions!.useUTC, chart.id).toBe(true);
    }
  });

  it("send the Machine page's live points to the tabs that show their machine, and history to the tab that asked", () => {
    const dashboard = JSON.parse(readFileSync(`${root}/flows/dashboard.json`, 'utf8')) as {
      id: string;
      func?: string;
    }[];
    const func = (id: string) =>
      new Function('msg', 'flow', dashboard.find((node) => node.id === id)!.func!) as (
        msg: object,
        flow: object,
      ) => ({ payload: unknown; _client?: { socketId: string } } | null | object[])[] | null;
    const views: Record<string, object> = {
      a: { machine: 'line-01/cnc-01', window: '60', viewing: true },
      b: { machine: 'line-02/press-02', window: '15', viewing: true },
      c: { machine: 'line-01/cnc-01', window: '60', viewing: false },
    };
    const flow = { get: (key: string) => (key === 'machineViews' ? views : undefined) };
    const live = (metric: string, ts: number, value: number) =>
      (
        func('dash-live-split')(
          { payload: { line: 'line-01', machine: 'cnc-01', metric, ts, value } },
          flow,
        ) ?? []
      )
        .flat()
        .filter(Boolean);
    // Only tab a shows line-01/cnc-01 now (c left the page). Its window (1 hour) is drawn in 30 s buckets: the
    // live points are averaged into them, each sent once it is over, not spiky raw 2 s points.
    expect(live('temperature', 0, 40)).toEqual([]);
    expect(live('temperature', 2000, 41)).toEqual([]);
    expect(live('temperature', 28_000, 45)).toEqual([]);
    expect(live('temperature', 30_000, 50)).toEqual([
      { payload: { series: 'temperature', x: 0, y: 42 }, _client: { socketId: 'a' } },
    ]);
    // A state is its bucket's last, by name; the remaining life (sent on change) comes at once, in minutes.
    live('state', 0, 1);
    live('state', 2000, 4);
    expect(live('state', 30_000, 4)).toEqual([
      { payload: { series: 'state', x: 0, y: 'ERROR' }, _client: { socketId: 'a' } },
    ]);
    expect(live('vibration_rul', 31_000, 600)).toEqual([
      { payload: { series: 'vibration_rul', x: 31_000, y: 10 }, _client: { socketId: 'a' } },
    ]);
    // The history leaves the bucket under way to the live points (a mean of part of it is another value).
    const bucket = Math.floor(Date.now() / 30_000) * 30_000;
    const underWay = func('dash-history-split')(
      {
        payload: [
          { ts: new Date(bucket - 30_000).toISOString(), metric: 'power', value: 5, last: 5 },
          { ts: new Date(bucket).toISOString(), metric: 'power', value: 6, last: 6 },
        ],
        params: { line: 'line-01', machine: 'cnc-01', minutes: 60, bucket: '30s' },
        _client: { socketId: 'a' },
      },
      flow,
    )!;
    const power = underWay.find(
      (m) => (m as { payload: { series: string }[] }).payload[0]?.series === 'power',
    );
    expect((power as { payload: { x: number }[] }).payload.map((p) => p.x)).toEqual([bucket - 30_000]);
    // An answer for tab b's earlier choice (cnc-01) is dropped; its answer for the press goes to b alone.
    const history = func('dash-history-split');
    const rows = [{ ts: '2026-01-05T08:00:00Z', metric: 'power', value: 5, last: 5 }];
    const earlier = { line: 'line-01', machine: 'cnc-01', minutes: 15 };
    expect(history({ payload: rows, params: earlier, _client: { socketId: 'b' } }, flow)).toBeNull();
    const answer = history(
      {
        payload: rows,
        params: { line: 'line-02', machine: 'press-02', minutes: 15 },
        _client: { socketId: 'b' },
      },
      flow,
    )!;
    expect(answer.every((m) => (m as { _client: object })._client)).toBe(true);
    expect(answer.map((m) => (m as { _client: { socketId: string } })._client.socketId)).toContain('b');
  });

  it("tell the Faults page which faults run: a machine's fault whose newest event is a start", () => {
    const dashboard = JSON.parse(readFileSync(`${root}/flows/dashboard.json`, 'utf8')) as {
      id: string;
      func?: string;
      rules?: { p: string; to: string }[];
    }[];
    const running = new Function(
      'msg',
      dashboard.find((node) => node.id === 'dash-faults-running')!.func!,
    ) as (msg: object) => { payload: { running: Record<string, Record<string, string>> } };
    const event = (ts: string, machine: string, name: string, state: string) => ({
      ts,
      line: machine ? 'line-01' : '',
      machine,
      name,
      state,
    });
    // Newest first, as the events preset answers.
    const out = running({
      payload: [
        event('2026-01-05T08:03:00Z', 'cnc-01', 'bearing_fault', 'end'),
        event('2026-01-05T08:02:00Z', 'cnc-01', 'dropout', 'start'),
        event('2026-01-05T08:01:00Z', 'cnc-01', 'bearing_fault', 'start'),
        event('2026-01-05T08:01:00Z', '', 'network_outage', 'start'),
        event('2026-01-05T08:00:00Z', 'pump-03', 'energy_spike', 'start'),
      ],
    });
    expect(out.payload.running).toEqual({
      'line-01/cnc-01': { dropout: '2026-01-05T08:02:00Z' },
      'line-01/pump-03': { energy_spike: '2026-01-05T08:00:00Z' },
    });
  });

  it("stamp an edge store's last error with when it happened, and mark it past once the store acks again", () => {
    const dashboard = JSON.parse(readFileSync(`${root}/flows/dashboard.json`, 'utf8')) as {
      id: string;
      func?: string;
    }[];
    const store: Record<string, unknown> = {};
    const context = {
      get: (key: string) => store[key],
      set: (key: string, value: unknown) => (store[key] = value),
    };
    const view = new Function(
      'msg',
      'context',
      dashboard.find((node) => node.id === 'dash-edge-view')!.func!,
    ) as (
      msg: object,
      context: object,
    ) => [
      { payload: { stores: Record<string, { errorAt: number; errorAtKnown: boolean; errorPast: boolean }> } },
    ];
    const stats = (fields: object) => ({
      topic: 'v1/acme/plant-01/edge/edge-telemetry',
      payload: {
        store: 'edge-telemetry',
        rows: 0,
        acked: 100,
        retries: 0,
        ackedPerS: 5,
        lastError: null,
        ...fields,
      },
    });
    const at = (ms: number) => {
      const real = Date.now;
      Date.now = () => ms;
      return { restore: () => (Date.now = real) };
    };
    const step = (ms: number, fields: object) => {
      const clock = at(ms);
      try {
        return view(stats(fields), context)[0].payload.stores['edge-telemetry']!;
      } finally {
        clock.restore();
      }
    };
    expect(step(1000, {})).toMatchObject({ errorAt: null, errorPast: false });
    const refused = 'RequestError: connect ECONNREFUSED 127.0.0.1:1881';
    expect(step(2000, { lastError: refused, retries: 1, ackedPerS: 0 })).toMatchObject({
      errorAt: 2000,
      errorAtKnown: true,
      errorPast: false,
    });
    // Tried again, failed again: the time follows.
    expect(step(3000, { lastError: refused, retries: 4, ackedPerS: 0 })).toMatchObject({ errorAt: 3000 });
    // The link is back: acks resume, the store still says its last error.
    expect(step(4000, { lastError: refused, retries: 4, acked: 180, ackedPerS: 40 })).toMatchObject({
      errorAt: 3000,
      errorPast: true,
    });
    expect(step(5000, { lastError: refused, retries: 4, acked: 200 })).toMatchObject({ errorPast: true });
    // And a new failure is current again.
    expect(step(6000, { lastError: refused, retries: 5, acked: 200 })).toMatchObject({
      errorAt: 6000,
      errorPast: false,
    });
  });

  it("turn an alarm command into threshold-alarm's control, every alarm only for list", async () => {
    const edge = JSON.parse(readFileSync(`${root}/flows/edge-agent.json`, 'utf8')) as {
      id: string;
      rules?: { p: string; to: string }[];
    }[];
    const rule = edge
      .find((node) => node.id === 'edge-alarm-command')!
      .rules!.find((r) => r.p === 'control')!;
    const control = (payload: object) => jsonata(rule.to).evaluate({ payload });
    expect(await control({ cmd: 'ack', alarm: 'a1', by: 'op' })).toEqual({
      command: 'ack',
      alarm: 'a1',
      by: 'op',
    });
    expect(await control({ cmd: 'list' })).toEqual({ command: 'list', alarm: '*' });
    // threshold-alarm refuses a command without an alarm: a typo must not disable every alarm.
    expect(await control({ cmd: 'disable', alarmId: 'a1' })).toEqual({ command: 'disable' });
  });

  describe('the dashboard', () => {
    interface FlowNode {
      id: string;
      type: string;
      func?: string;
      wires?: string[][];
      rules?: { p: string; to: string }[];
      width?: string;
    }
    const nodes = () => JSON.parse(readFileSync(`${root}/flows/dashboard.json`, 'utf8')) as FlowNode[];
    const byId = (id: string) => nodes().find((node) => node.id === id)!;
    /** A function node of the dashboard, run as Node-RED would (one context per node, node.send, setTimeout). */
    const functionNode = (id: string) => {
      const store = new Map<string, unknown>();
      const context = {
        get: (key: string) => store.get(key),
        set: (key: string, value: unknown) =>
          value === undefined ? store.delete(key) : store.set(key, value),
      };
      const sent: unknown[] = [];
      const timers: (() => void)[] = [];
      const run = new Function('msg', 'context', 'node', 'setTimeout', byId(id).func!) as (
        ...args: unknown[]
      ) => ({ payload: unknown } | null)[] | null;
      return {
        sent,
        timers,
        run: (msg: Record<string, unknown>) =>
          run(msg, context, { send: (out: unknown) => sent.push(out) }, (f: () => void) => timers.push(f)),
      };
    };
    const unreachable = () => ({ payload: [], statusCode: 503 });

    it("keep the last figures while QuestDB is unreachable, and say since when: an empty answer is no 'nothing happened'", () => {
      // Every QuestDB query of Overview and Alarms goes through the check before its table.
      for (const [query, check, next] of [
        ['dash-kpi-query', 'dash-kpi-answered', 'dash-kpi-times'],
        ['dash-alarm-history-query', 'dash-alarm-history-answered', 'dash-alarm-history-times'],
        ['dash-anomaly-history-query', 'dash-anomaly-history-answered', 'dash-anomaly-history-times'],
      ]) {
        expect(byId(query!).wires!.flat(), query).not.toContain(next);
        expect(byId(query!).wires!.flat(), query).toContain(check);
        expect(byId(check!).wires![0], check).toEqual([next]);
      }
      const check = functionNode('dash-kpi-answered');
      const first = check.run(unreachable());
      expect(first![0]).toBeNull();
      expect(first![1]!.payload).toMatch(/^UNREACHABLE since \d\d:\d\d:\d\d UTC; nothing to show yet$/);
      const rows = { payload: [{ machine: 'cnc-01' }] };
      const ok = check.run(rows);
      expect(ok![0]).toBe(rows);
      expect(ok![1]!.payload).toBe('answering');
      const later = check.run(unreachable());
      expect(later![0]).toBeNull();
      expect(later![1]!.payload).toMatch(
        /^UNREACHABLE since \d\d:\d\d:\d\d UTC; showing its answer of \d\d:\d\d:\d\d UTC$/,
      );

      // The plant figures stay; only their age moves on.
      const summary = functionNode('dash-plant-summary');
      summary.run({
        payload: [{ state: 'RUNNING', oee_hour: 80, energy_kwh: 1, last_seen: new Date().toISOString() }],
      });
      const out = summary.run(unreachable());
      expect(out!.slice(0, 3)).toEqual([null, null, null]);
      expect(out![3]!.payload).toMatch(/^\d\d:\d\d:\d\d UTC \(\d s ago\)$/);
    });

    it('give the age of the figures (their newest last_seen), stale after 30 s, not the time of the query', () => {
      const summary = functionNode('dash-plant-summary');
      const at = (s: number) => new Date(Date.now() - s * 1000).toISOString();
      const [oee, running, energy, age] = summary.run({
        payload: [
          { state: 'RUNNING', oee_hour: 80, energy_kwh: 1.25, last_seen: at(75) },
          { state: 'IDLE', oee_hour: 90, energy_kwh: 2, last_seen: at(60) },
        ],
      })!;
      expect([oee!.payload, running!.payload, energy!.payload]).toEqual(['85.0 %', '1 of 2', '3.3 kWh']);
      expect(age!.payload).toBe(`STALE: ${at(60).slice(11, 19)} UTC (60 s ago)`);
      expect(summary.run({ payload: [{ state: 'RUNNING', last_seen: at(3) }] })![3]!.payload).toBe(
        `${at(3).slice(11, 19)} UTC (3 s ago)`,
      );
    });

    it('count the alarms to acknowledge beside the active ones', async () => {
      const count = jsonata(byId('dash-alarm-count').rules![0]!.to);
      const states = (...list: string[]) => ({ payload: list.map((state) => ({ state })) });
      expect(await count.evaluate(states('rtn-unack', 'rtn-unack', 'rtn-unack', 'rtn-unack'))).toBe(
        '0 active, 4 to acknowledge',
      );
      expect(
        await count.evaluate(states('active-unack', 'active-ack', 'shelved', 'rtn-unack', 'normal')),
      ).toBe('2 active, 2 to acknowledge');
      expect(await count.evaluate(states())).toBe('0 active, 0 to acknowledge');
    });

    it('show every number of a column in one format', async () => {
      const format = jsonata(byId('dash-kpi-times').rules![0]!.to);
      const [row] = (await format.evaluate({
        payload: [
          {
            oee_hour: 83,
            oee_shift: 89.94,
            scrap_rate: 0,
            energy_kwh: 1.5,
            health: null,
            last_seen: '2026-01-05T08:00:00Z',
          },
        ],
      })) as Record<string, unknown>[];
      expect(row).toMatchObject({
        oee_hour: '83.0',
        oee_shift: '89.9',
        scrap_rate: '0.0',
        energy_kwh: '1.5',
        health: null,
        last_seen: '08:00:00',
      });
      const history = jsonata(byId('dash-alarm-history-times').rules![0]!.to);
      const [alarm] = (await history.evaluate({
        payload: [{ value: 44, ts: '2026-01-05T08:00:00Z' }],
      })) as Record<string, unknown>[];
      expect(alarm!.value).toBe('44.0');
    });

    it("retry the Machine page's history until QuestDB answers, the newest request only, without blanking the charts", () => {
      expect(byId('dash-history-query').wires).toEqual([['dash-history-retry']]);
      expect(byId('dash-history-retry').wires).toEqual([['dash-history-split'], ['dash-history-query']]);
      const retry = functionNode('dash-history-retry');
      const old = { ...unreachable(), params: { machine: 'cnc-01' } };
      expect(retry.run(old)).toBeNull(); // the charts keep what they hold
      const newer = { ...unreachable(), params: { machine: 'press-02' } };
      expect(retry.run(newer)).toBeNull();
      for (const timer of retry.timers) timer();
      // Asked again, once, for what was chosen last, and as a new question (not an answer of 503).
      expect(retry.sent).toEqual([[null, { payload: [], params: { machine: 'press-02' } }]]);
      const rows = { payload: [{ metric: 'temperature' }] };
      expect(retry.run(rows)).toEqual([rows, null]);
    });

    it('give Alarm history and Anomalies the full width: side by side, a tablet cut their last columns off', () => {
      expect(byId('dash-g-history').width).toBe('12');
      expect(byId('dash-g-anomalies').width).toBe('12');
    });
  });
});

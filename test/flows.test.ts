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

  it("hold the remaining life's last value until now on the Machine page, drawn as steps; codes as their last value", () => {
    const dashboard = JSON.parse(readFileSync(`${root}/flows/dashboard.json`, 'utf8')) as {
      id: string;
      func?: string;
      interpolation?: string;
    }[];
    const split = new Function('msg', dashboard.find((node) => node.id === 'dash-history-split')!.func!) as (
      msg: object,
    ) => { payload: { series: string; x: number; y: number }[] }[];
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
    // A state code is each bucket's last state: a mean of codes (2.5) is no state.
    expect(out[state]!.payload.map((p) => p.y)).toEqual([4]);
    // Sent only when it changes: one point would stretch the time axis over days, and a line between two sent
    // values would draw a decline that never was.
    expect(out[rul]!.payload.map((p) => p.y)).toEqual([7200, 7200]);
    expect(out[rul]!.payload[1]!.x).toBeGreaterThanOrEqual(before);
    expect(charts[rul]!.interpolation).toBe('step');
    // A sampled series is drawn as it came.
    expect(out[temperature]!.payload.map((p) => p.y)).toEqual([50, 51]);
    expect(charts[temperature]!.interpolation).toBe('linear');
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

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { collect, coreNode, nodeRedTestHelper, sleep, telemetryPoint, until } from '@plantwire/testkit';

// The runtime tests load the built node, as Node-RED does (npm test builds first).
const require = createRequire(import.meta.url);
const thresholdAlarm = require('../dist/nodes/threshold-alarm/threshold-alarm.js');
const catchNode = coreNode('common/25-catch');
const injectNode = coreNode('common/20-inject');
const machineSim = require('@plantwire/node-red-simulator/dist/nodes/machine-sim/machine-sim.js');
const helper = nodeRedTestHelper();
let userDir: string;

const RULES = [
  { name: 'temp-high', match: 'temperature', mode: 'above', warning: 80, critical: 90, deadband: 2 },
  { name: 'slow-vib', match: 'vibration', mode: 'above', warning: 7, onDelayS: 0.3 },
];
const CRITICAL = 'cnc-01/temperature:temp-high:critical';
const WARNING = 'cnc-01/temperature:temp-high:warning';

function flow(config: Record<string, unknown> = {}) {
  return [
    {
      id: 'alarm',
      type: 'threshold-alarm',
      rules: JSON.stringify(RULES),
      chatterCount: '0',
      floodCount: '0',
      wires: [['events'], ['list']],
      ...config,
    },
    { id: 'events', type: 'helper' },
    { id: 'list', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: ['alarm'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

const temperature = (value: number, over = {}) => telemetryPoint(Date.now(), { value, ...over });

/** Loads the flow and the collectors; the list of output 2 fills from the start (quiet start sends it). */
async function load(config: Record<string, unknown> = {}) {
  await helper.load([thresholdAlarm, catchNode], flow(config));
  return {
    node: helper.getNode('alarm')!,
    events: collect(helper, 'events'),
    list: collect(helper, 'list'),
    caught: collect(helper, 'caught'),
  };
}

describe('threshold-alarm inside Node-RED', () => {
  beforeAll(() => helper.startServer());
  beforeEach(() => {
    userDir = mkdtempSync(join(tmpdir(), 'plantwire-alarm-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    rmSync(userDir, { recursive: true, force: true });
  });
  afterAll(() => helper.stopServer());

  it('turns an array of points into one array of events and the current list, with counts in the status', async () => {
    const { node, events, list } = await load();
    const statuses: any[] = [];
    node.on('call:status' as never, ((call: any) => statuses.push(call.args[0])) as never);
    node.receive({
      payload: [
        temperature(85),
        temperature(95, { machine: 'cnc-02' }),
        temperature(50, { machine: 'cnc-03' }),
      ],
    });
    await until('events', () => events.length === 1);
    expect(events[0].topic).toBe('alarm-events');
    expect(events[0].payload.map((e: any) => [e.id, e.state, e.previous, e.priority])).toEqual([
      [WARNING, 'active-unack', 'normal', 'medium'],
      ['cnc-02/temperature:temp-high:warning', 'active-unack', 'normal', 'medium'],
      ['cnc-02/temperature:temp-high:critical', 'active-unack', 'normal', 'high'],
    ]);
    await until('the list', () => list.some((m) => m.payload.length === 3));
    expect(list.at(-1).payload[0]).toMatchObject({
      id: 'cnc-02/temperature:temp-high:critical',
      state: 'active-unack',
    });
    expect(statuses.at(-1)).toEqual({ fill: 'red', shape: 'dot', text: '3 active, 3 unack' });
    // An unchanged condition sends nothing.
    node.receive({ payload: temperature(86) });
    await sleep(100);
    expect(events).toHaveLength(1);
  });

  it('sends the list at most every 250 ms, and always its last state', async () => {
    const { node, events, list } = await load();
    await until('the start-up list', () => list.length === 1);
    for (let i = 0; i < 20; i++) node.receive({ payload: temperature(i % 2 === 0 ? 95 : 50) });
    node.receive({ payload: temperature(85, { machine: 'cnc-09' }) });
    await until('every event', () => events.length === 21);
    await sleep(400);
    expect(list.length).toBeLessThanOrEqual(4);
    expect(
      list
        .at(-1)
        .payload.map((e: any) => [e.id, e.state])
        .sort(),
    ).toEqual([
      [CRITICAL, 'rtn-unack'],
      [WARNING, 'rtn-unack'],
      ['cnc-09/temperature:temp-high:warning', 'active-unack'],
    ]);
  });

  it('takes commands on msg.control: ack one or all, shelve, list; events carry who', async () => {
    const { node, events, list } = await load();
    node.receive({ payload: [temperature(95), temperature(95, { machine: 'cnc-02' })] });
    await until('events', () => events.length === 1);
    node.receive({ control: { command: 'ack', alarm: CRITICAL, by: 'anna' } });
    await until('the ack', () => events.length === 2);
    expect(events[1].payload).toMatchObject([
      { id: CRITICAL, state: 'active-ack', previous: 'active-unack', by: 'anna' },
    ]);
    node.receive({ control: { command: 'ack', alarm: '*' } });
    await until('ack all', () => events.length === 3);
    expect(events[2].payload).toHaveLength(3);
    node.receive({ control: { command: 'shelve', alarm: WARNING, minutes: 5 } });
    await until('shelved', () => events.length === 4);
    expect(events[3].payload[0]).toMatchObject({ state: 'shelved', message: 'shelved for 5 min' });
    const lists = list.length;
    node.receive({ control: { command: 'list' } });
    await until('the list again', () => list.length === lists + 1);
    expect(list.at(-1).payload.find((e: any) => e.id === WARNING)).toMatchObject({ state: 'shelved' });
  });

  it('refuses bad commands with done(err) and changes nothing', async () => {
    const { node, events, list, caught } = await load();
    node.receive({ payload: temperature(95) });
    await until('events', () => events.length === 1);
    // The list is throttled (250 ms, trailing): let its last update out before counting.
    await until('the list', () => list.length > 0);
    await sleep(400);
    const listsBefore = list.length;
    const bad = [
      { command: 'silence', alarm: '*' },
      { command: 'ack', alarm: 'no-such-alarm' },
      { command: 'shelve', alarm: CRITICAL },
      { command: 'shelve', alarm: CRITICAL, minutes: -5 },
      'ack',
    ];
    for (const control of bad) node.receive({ control });
    await until('every refusal', () => caught.length === bad.length);
    expect(caught.map((m) => m.error.message)).toEqual([
      'Error: threshold-alarm: unknown command "silence": use ack, shelve, unshelve, suppress, unsuppress, disable, enable',
      'Error: threshold-alarm: no alarm with id "no-such-alarm" (2 alarms known)',
      'Error: threshold-alarm: shelve needs minutes: a number above 0 and at most 1440 (got undefined)',
      'Error: threshold-alarm: shelve needs minutes: a number above 0 and at most 1440 (got -5)',
      'Error: threshold-alarm: a command must be an object such as {"command": "ack", "alarm": "<id>" or "*"} (got "ack")',
    ]);
    await sleep(50);
    expect(events).toHaveLength(1);
    expect(list).toHaveLength(listsBefore);
    node.receive({ control: { command: 'list' } });
    await until('the list', () => list.length === listsBefore + 1);
    expect(list.at(-1).payload.map((e: any) => e.state)).toEqual(['active-unack', 'active-unack']);
  });

  it('evaluates the good points of an array and names the refused ones in done(err)', async () => {
    const { node, events, caught } = await load();
    node.receive({
      payload: [
        temperature(95),
        { ...temperature(95, { machine: 'cnc-02' }), value: Number.NaN },
        { ...temperature(95, { machine: 'cnc-03' }), ts: new Date().toISOString() },
        { ...temperature(95), machine: 'cnc 04' },
        42,
      ],
    });
    await until('the error', () => caught.length === 1);
    expect(caught[0].error.message).toBe(
      'Error: threshold-alarm: 3 of 5 points refused (the rest were evaluated); point 1: value must be a finite number (got NaN)',
    );
    await until('events', () => events.length === 1);
    expect(events[0].payload.map((e: any) => e.key)).toEqual([
      'cnc-01/temperature',
      'cnc-01/temperature',
      'cnc-03/temperature',
      'cnc-03/temperature',
    ]);
  });

  it('clears a red status once good points follow refused ones or a bad command', async () => {
    const { node, caught } = await load();
    const statuses: any[] = [];
    node.on('call:status' as never, ((call: any) => statuses.push(call.args[0])) as never);
    node.receive({ payload: { ...temperature(95), value: Number.NaN } });
    await until('the refusal', () => caught.length === 1);
    expect(statuses.at(-1)).toEqual({ fill: 'red', shape: 'ring', text: '1 points refused' });
    node.receive({ payload: temperature(50) }); // changes no alarm: no list goes out
    await until('the counts again', () => statuses.at(-1)?.text === 'no alarms');
    node.receive({ control: { command: 'ack', alarm: 'no-such-alarm' } });
    await until('the bad command', () => caught.length === 2);
    expect(statuses.at(-1)).toMatchObject({ fill: 'red', shape: 'ring' });
    node.receive({ payload: temperature(51) });
    await until('the counts again', () => statuses.at(-1)?.text === 'no alarms');
    expect(statuses.at(-1)).toEqual({ fill: 'green', shape: 'dot', text: 'no alarms' });
  });

  it('applies msg.control first, then evaluates msg.payload of the same message; a bad command refuses both', async () => {
    const { node, events, list, caught } = await load();
    node.receive({ payload: temperature(95) });
    await until('events', () => events.length === 1);
    node.receive({
      control: { command: 'ack', alarm: '*' },
      payload: [temperature(95, { machine: 'cnc-02' })],
    });
    await until('the ack and the new alarms', () => events.length === 3);
    expect(events[1].payload.map((e: any) => [e.id, e.state])).toEqual([
      [WARNING, 'active-ack'],
      [CRITICAL, 'active-ack'],
    ]);
    expect(events[2].payload.map((e: any) => [e.key, e.state])).toEqual([
      ['cnc-02/temperature', 'active-unack'],
      ['cnc-02/temperature', 'active-unack'],
    ]);
    node.receive({
      control: { command: 'silence', alarm: '*' },
      payload: temperature(95, { machine: 'cnc-03' }),
    });
    await until('the refusal', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/unknown command "silence"/);
    await sleep(300);
    expect(events).toHaveLength(3);
    expect(list.at(-1).payload.some((e: any) => e.key === 'cnc-03/temperature')).toBe(false);
  });

  it('lets a delay run out without new points', async () => {
    const { node, events } = await load();
    node.receive({ payload: telemetryPoint(Date.now(), { metric: 'vibration', value: 8 }) });
    await sleep(100);
    expect(events).toHaveLength(0);
    await until('the delayed activation', () => events.length === 1, 2000);
    expect(events[0].payload).toMatchObject([
      { id: 'cnc-01/vibration:slow-vib:warning', state: 'active-unack' },
    ]);
  });

  it('runs on-delay, deadband and off-delay on its own timer, under fake timers', async () => {
    const rules = [
      {
        name: 'hot',
        match: 'temperature',
        mode: 'above',
        critical: 90,
        deadband: 2,
        onDelayS: 60,
        offDelayS: 30,
      },
    ];
    const { node, events } = await load({ rules: JSON.stringify(rules) });
    // Only timers and Date are faked: Node-RED delivers messages with setImmediate, which keeps running.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const delivered = () => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
      node.receive({ payload: temperature(95) });
      await vi.advanceTimersByTimeAsync(59_000);
      await delivered();
      expect(events).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1000); // no new point: the node's timer fires the on-delay
      await delivered();
      expect(events.map((m) => m.payload[0].state)).toEqual(['active-unack']);
      node.receive({ payload: temperature(88.5) }); // inside the deadband: still active, no off-delay started
      await vi.advanceTimersByTimeAsync(60_000);
      await delivered();
      expect(events).toHaveLength(1);
      node.receive({ payload: temperature(87) }); // below the deadband: the off-delay starts
      await vi.advanceTimersByTimeAsync(29_000);
      await delivered();
      expect(events).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1000);
      await delivered();
      expect(events.map((m) => m.payload[0].state)).toEqual(['active-unack', 'rtn-unack']);
      expect(events[1].payload[0].ts - events[0].payload[0].ts).toBe(60_000 + 30_000); // active at 60 s; the 87 came at 120 s, plus the 30 s off-delay
    } finally {
      vi.useRealTimers();
    }
  });

  it('saves a change within a second, without waiting for close', async () => {
    const { node } = await load();
    const file = join(userDir, 'plantwire-alarms', 'alarm.json');
    node.receive({ payload: temperature(95) });
    await until('the state file', () => existsSync(file), 3000);
    expect(JSON.parse(readFileSync(file, 'utf8')).alarms.map((a: any) => a.id)).toEqual([WARNING, CRITICAL]);
    expect(readdirSync(join(userDir, 'plantwire-alarms'))).toEqual(['alarm.json']); // no temporary file left
  });

  it('keeps its state across a restart in its own file and starts quietly', async () => {
    let run = await load();
    run.node.receive({ payload: [temperature(95), temperature(85, { machine: 'cnc-02' })] });
    await until('events', () => run.events.length === 1);
    run.node.receive({ control: { command: 'ack', alarm: 'cnc-02/temperature:temp-high:warning' } });
    await until('the ack', () => run.events.length === 2);
    await helper.unload(); // close saves the state

    const file = join(userDir, 'plantwire-alarms', 'alarm.json');
    expect(JSON.parse(readFileSync(file, 'utf8')).alarms).toHaveLength(3);
    run = await load();
    await until('the restored list', () => run.list.length === 1);
    expect(run.list[0].payload.map((e: any) => [e.id, e.state])).toEqual([
      [CRITICAL, 'active-unack'],
      ['cnc-02/temperature:temp-high:warning', 'active-ack'],
      [WARNING, 'active-unack'],
    ]);
    // Conditions are checked again: still active means nothing to say; a return to normal is news.
    run.node.receive({ payload: [temperature(96), temperature(84, { machine: 'cnc-02' })] });
    await sleep(100);
    expect(run.events).toHaveLength(0);
    run.node.receive({ payload: temperature(50, { machine: 'cnc-02' }) });
    await until('the return to normal', () => run.events.length === 1);
    expect(run.events[0].payload).toMatchObject([
      { id: 'cnc-02/temperature:temp-high:warning', state: 'normal', previous: 'active-ack' },
    ]);
    // Commands still find the restored alarms.
    run.node.receive({ control: { command: 'ack', alarm: '*' } });
    await until('the ack', () => run.events.length === 2);
    expect(run.events[1].payload.map((e: any) => e.state)).toEqual(['active-ack', 'active-ack']);
  });

  it('shows a failed save in the status and saves on the next change', async () => {
    const { node } = await load();
    const statuses: any[] = [];
    node.on('call:status' as never, ((call: any) => statuses.push(call.args[0])) as never);
    const file = join(userDir, 'plantwire-alarms', 'alarm.json');
    mkdirSync(join(file, 'in-the-way'), { recursive: true }); // a directory where the file goes: the save fails
    node.receive({ payload: temperature(95) });
    await until('the red status', () => statuses.at(-1)?.text?.startsWith('state not saved'), 3000);
    expect(statuses.at(-1)).toEqual({
      fill: 'red',
      shape: 'ring',
      text: 'state not saved, 2 active, 2 unack',
    });
    expect(
      helper.logged(20).some((m) => m.startsWith(`threshold-alarm: could not save state to ${file}`)),
    ).toBe(true);
    node.receive({ payload: temperature(96) }); // no change, no save: still red
    await sleep(50);
    expect(statuses.at(-1).text).toBe('state not saved, 2 active, 2 unack');
    rmSync(file, { recursive: true });
    node.receive({ payload: temperature(50) }); // a change: saved again
    await until('the file', () => existsSync(file) && statSync(file).isFile(), 3000);
    await until('the counts', () => statuses.at(-1)?.text === '2 unack');
    expect(JSON.parse(readFileSync(file, 'utf8')).alarms).toHaveLength(2);
  });

  it('starts empty and logs the real cause when an unreadable state file cannot be moved aside', async () => {
    mkdirSync(join(userDir, 'plantwire-alarms'));
    writeFileSync(join(userDir, 'plantwire-alarms', 'kept.json'), '{"version": 1, "alar');
    const fs = require('node:fs');
    const rename = fs.renameSync;
    const spy = vi.spyOn(fs, 'renameSync').mockImplementation((from: any, to: any) => {
      if (String(to).includes('.corrupt-')) throw new Error('EACCES: permission denied');
      return rename(from, to);
    });
    try {
      const { node, events, list } = await load({ stateName: 'kept' });
      await until('the empty list', () => list.length === 1);
      expect(
        helper
          .logged(20)
          .some(
            (m) =>
              m.includes('kept.json was unreadable (') &&
              m.endsWith('could not move it aside (EACCES: permission denied); starting empty'),
          ),
      ).toBe(true);
      node.receive({ payload: temperature(95) });
      await until('events', () => events.length === 1);
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses a second node on the same named state file, and frees the name on close', async () => {
    const shared = flow({ stateName: 'shared' });
    shared.push({
      id: 'alarm-2',
      type: 'threshold-alarm',
      rules: JSON.stringify(RULES),
      stateName: 'shared',
      wires: [[], []],
    } as any);
    (shared[3] as any).scope = ['alarm', 'alarm-2'];
    await helper.load([thresholdAlarm, catchNode], shared);
    const events = collect(helper, 'events');
    const caught = collect(helper, 'caught');
    expect(
      helper
        .logged(20)
        .filter((m) => m.includes('state file "shared" is already used by another threshold-alarm node')),
    ).toHaveLength(1);
    helper.getNode('alarm-2')!.receive({ payload: temperature(95) });
    await until('the refusal', () => caught.length === 1);
    expect(caught[0].error.message).toBe(
      'Error: threshold-alarm: not configured (see the error logged at deploy)',
    );
    helper.getNode('alarm')!.receive({ payload: temperature(95) });
    await until('events', () => events.length === 1);
    await helper.unload();
    const again = await load({ stateName: 'shared' });
    again.node.receive({ payload: temperature(50) });
    await until('the return to normal', () => again.events.length === 1);
  });

  it('moves an unreadable state file aside and starts empty', async () => {
    mkdirSync(join(userDir, 'plantwire-alarms'));
    writeFileSync(join(userDir, 'plantwire-alarms', 'kept.json'), '{"version": 1, "alar');
    const { node, events, list } = await load({ stateName: 'kept' });
    await until('the empty list', () => list.length === 1);
    expect(list[0].payload).toEqual([]);
    expect(
      readdirSync(join(userDir, 'plantwire-alarms')).some((f) => f.startsWith('kept.json.corrupt-')),
    ).toBe(true);
    node.receive({ payload: temperature(95) });
    await until('events', () => events.length === 1);
  });

  it('keeps its file when it is disabled and takes up its alarms, acks included, when enabled again', async () => {
    const { node, events } = await load();
    node.receive({ payload: temperature(85) });
    await until('the warning', () => events.length === 1);
    node.receive({ control: { command: 'ack', alarm: WARNING } });
    await until('the ack', () => events.length === 2);
    // Node-RED closes a disabled node as removed (close(removed = true)), as it does a deleted one.
    const disabled = flow().map((n) => (n.id === 'alarm' ? { ...n, d: true } : n));
    await (helper as any).setFlows(disabled, 'nodes');
    expect(existsSync(join(userDir, 'plantwire-alarms', 'alarm.json'))).toBe(true);

    await (helper as any).setFlows(flow(), 'nodes');
    const list = collect(helper, 'list');
    await until('the list', () => list.length === 1);
    expect(list[0].payload.map((e: any) => [e.id, e.state])).toEqual([[WARNING, 'active-ack']]);
  });

  it('sends every node its start-up list after the flows started, many nodes without a listener warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const nodes = Array.from({ length: 12 }, (_, i) => [
        {
          id: `alarm-${i}`,
          type: 'threshold-alarm',
          rules: JSON.stringify(RULES),
          wires: [[], [`list-${i}`]],
        },
        { id: `list-${i}`, type: 'helper' },
      ]).flat();
      await helper.load(thresholdAlarm, nodes);
      const lists = Array.from({ length: 12 }, (_, i) => collect(helper, `list-${i}`));
      await until('every start-up list', () => lists.every((list) => list.length === 1));
      await sleep(50);
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('holds at most the configured series cap, with a warning when it is reached', async () => {
    const { node, events } = await load({ maxSeries: '2' });
    node.receive({
      payload: ['cnc-01', 'cnc-02', 'cnc-03'].map((machine) => temperature(50, { machine })),
    });
    await until('the warning', () => helper.logged(30).some((m) => m.includes('series cap of 2 reached')));
    expect(helper.logged(30)).toContain(
      'threshold-alarm: series cap of 2 reached: 1 quiet series forgotten (they start afresh with their next point)',
    );
    node.receive({ payload: temperature(95, { machine: 'cnc-01' }) });
    await until('events', () => events.length === 1);
  });

  it('deploys without rules, but warns once and shows a yellow "no rules": it checks nothing', async () => {
    for (const rules of ['[]', '']) {
      const statuses: any[] = [];
      await helper.load([thresholdAlarm, catchNode], flow({ rules }));
      const node = helper.getNode('alarm')! as any;
      node.on('call:status' as never, ((call: any) => statuses.push(call.args[0])) as never);
      expect(node.warn.callCount).toBe(1);
      expect(
        node.warn.calledWithMatch(/^threshold-alarm: no rules: this node checks nothing and never alarms/),
      ).toBe(true);
      expect(node.error.called).toBe(false);
      const caught = collect(helper, 'caught');
      node.receive({ payload: temperature(95) });
      await sleep(300);
      expect(caught).toHaveLength(0);
      expect(statuses.at(-1)).toEqual({ fill: 'yellow', shape: 'dot', text: 'no rules' });
      await helper.unload();
    }
  });

  it('carries the tenant, plant and line of the point in its events with the default key', async () => {
    const { node, events } = await load();
    node.receive({ payload: temperature(95) });
    await until('events', () => events.length === 1);
    for (const event of events[0].payload)
      expect(event).toMatchObject({
        key: 'cnc-01/temperature',
        tenant: 'acme',
        plant: 'plant-1',
        line: 'line-1',
      });
  });

  it('keeps the state of a hand-written id with / or .. in one file inside plantwire-alarms', async () => {
    await helper.load([thresholdAlarm], [{ ...flow()[0], id: '../../a/b', wires: [[], []] }]);
    helper.getNode('../../a/b')!.receive({ payload: temperature(95) });
    await helper.unload();
    expect(readdirSync(join(userDir, 'plantwire-alarms'))).toEqual(['%2E%2E%2F%2E%2E%2Fa%2Fb.json']);
    expect(readdirSync(userDir)).toEqual(['plantwire-alarms']);
  });

  it('takes rules a script wrote as an array, not as JSON text', async () => {
    const { node, events } = await load({ rules: RULES });
    node.receive({ payload: temperature(95) });
    await until('the events', () => events.length === 1);
    expect(events[0].payload.map((e: any) => e.id)).toEqual([WARNING, CRITICAL]);
  });

  it('reports a bad configuration at deploy and refuses input', async () => {
    const { node, caught } = await load({
      rules: '[{"name": "x", "match": "t", "mode": "over", "warning": 1}]',
    });
    node.receive({ payload: temperature(95) });
    await until('the error', () => caught.length === 1);
    expect(caught[0].error.message).toBe(
      'Error: threshold-alarm: not configured (see the error logged at deploy)',
    );
  });

  it('runs the shipped example: machine-sim into the alarm node, operator commands from injects', async () => {
    const example = JSON.parse(
      readFileSync(new URL('../examples/01 - Threshold alarms.json', import.meta.url), 'utf8'),
    ) as any[];
    // The debug nodes become helpers so the test can see what they would show.
    const flowNodes = example.map((n) => (n.type === 'debug' ? { id: n.id, z: n.z, type: 'helper' } : n));
    await helper.load([thresholdAlarm, catchNode, injectNode, machineSim], flowNodes);
    const events = collect(helper, 'ta-events');
    const errors = collect(helper, 'ta-errors');
    const lists = collect(helper, 'ta-list-out');
    const power = (ts: number, value: number) =>
      telemetryPoint(ts, { line: 'line-01', machine: 'cnc-01', metric: 'power', value, unit: 'kW' });
    const now = Date.now();
    helper.getNode('ta-alarm')!.receive({ payload: [power(now - 2000, 10), power(now, 40)] });
    await until('the power-jump alarm', () =>
      events.some((m) => m.payload.some((e: any) => e.id === 'line-01/cnc-01/power:power-jump:warning')),
    );
    const event = events.flatMap((m) => m.payload).find((e: any) => e.rule === 'power-jump');
    expect(event.message).toBe('line-01/cnc-01/power: power rising 15 kW/s (limit 6)');
    helper.getNode('ta-ack')!.receive({});
    await until('the ack', () => events.some((m) => m.payload.some((e: any) => e.state === 'active-ack')));
    helper.getNode('ta-bad')!.receive({});
    await until('the refused command', () => errors.length === 1);
    expect(errors[0].error.message).toMatch(/unknown command "silence"/);
    expect(lists.length).toBeGreaterThan(0);
  });
});

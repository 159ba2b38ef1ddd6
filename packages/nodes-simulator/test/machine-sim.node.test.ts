import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildTopic, validatePoints, type Point } from '@plantwire/telemetry';
import { collect, coreNode, nodeRedTestHelper, sleep, waitFor } from '@plantwire/testkit';

// The runtime tests load the built node, as Node-RED does (npm test builds first).
const require = createRequire(import.meta.url);
const machineSim = require('../dist/nodes/machine-sim/machine-sim.js');
const catchNode = coreNode('common/25-catch');
const helper = nodeRedTestHelper();

function flow(config: Record<string, unknown> = {}) {
  return [
    {
      id: 'sim',
      type: 'machine-sim',
      tenant: 'acme',
      plant: 'plant-1',
      lines: '2',
      machinesPerLine: '4',
      machineTypes: 'cnc,press,conveyor,pump',
      interval: '0.05',
      seed: '7',
      output: 'array',
      autostart: false,
      wires: [['points'], ['events'], ['control']],
      ...config,
    },
    { id: 'points', type: 'helper' },
    { id: 'events', type: 'helper' },
    { id: 'control', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: ['sim'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

/** The simulator running, with what it sends, what Catch sees and its statuses. */
async function loadRunning() {
  await helper.load([machineSim, catchNode], flow({ autostart: true }));
  const statuses: any[] = [];
  const sim = helper.getNode('sim')!;
  sim.on('call:status', ((call: any) => statuses.push(call.args[0])) as never);
  return { caught: collect(helper, 'caught'), points: collect(helper, 'points'), statuses, sim };
}

/** The simulator sampling every 2 s, with a Complete node on it (output 'finished') for commands that end later. */
const loadWithComplete = () =>
  helper.load(
    [machineSim, catchNode, coreNode('common/24-complete')],
    [
      ...flow({ interval: '2' }),
      { id: 'completer', type: 'complete', scope: ['sim'], uncaught: false, wires: [['finished']] },
      { id: 'finished', type: 'helper' },
    ],
  );

describe('machine-sim inside Node-RED', () => {
  beforeAll(() => helper.startServer());
  afterEach(() => helper.unload());
  afterAll(() => helper.stopServer());

  it('ticks on its interval and sends one array of valid points per tick', async () => {
    await helper.load([machineSim, catchNode], flow({ autostart: true }));
    const points = collect(helper, 'points');
    await waitFor('three ticks', async () => (points.length >= 3 ? true : undefined), 5000);
    const sim = helper.getNode('sim')!;
    expect(points[0].topic).toBe('v1/acme/plant-1');
    for (const msg of points.slice(0, 3)) {
      expect(msg.payload).toHaveLength(8 * 11 + 4);
      expect(validatePoints(msg.payload).invalid).toEqual([]);
    }
    expect(points[1].payload[0].ts).toBeGreaterThan(points[0].payload[0].ts);
    expect(sim.status).toBeDefined();
  });

  it('sends one message per point with its v1 topic in point mode', async () => {
    await helper.load(
      [machineSim, catchNode],
      flow({ autostart: true, output: 'point', lines: '1', machinesPerLine: '1' }),
    );
    const points = collect(helper, 'points');
    await waitFor('a tick', async () => (points.length >= 11 ? true : undefined), 5000);
    for (const msg of points) expect(msg.topic).toBe(buildTopic(msg.payload as Point));
    expect(points.slice(0, 11).map((m) => m.payload.metric)).toContain('temperature');
  });

  it('takes fault commands as objects or JSON strings and reports them on the events output', async () => {
    await helper.load([machineSim, catchNode], flow());
    const events = collect(helper, 'events');
    const sim = helper.getNode('sim')!;
    sim.receive({ payload: '{"cmd":"bearing_fault","value":true}' });
    sim.receive({ payload: { cmd: 'tool_wear', value: true, line: 'line-02', machine: 'press-02' } });
    await waitFor('two fault events', async () => (events.length === 2 ? true : undefined), 2000);
    expect(events.map((m) => [m.payload.fault, m.payload.phase, m.payload.line, m.payload.machine])).toEqual([
      ['bearing_fault', 'start', 'line-01', 'cnc-01'],
      ['tool_wear', 'start', 'line-02', 'press-02'],
    ]);
    expect(events[0].topic).toBe('v1/acme/plant-1/events');
  });

  it('turns network_outage into pause and resume on the control output', async () => {
    await helper.load([machineSim, catchNode], flow());
    const control = collect(helper, 'control');
    const sim = helper.getNode('sim')!;
    sim.receive({ payload: { cmd: 'network_outage', value: true } });
    sim.receive({ payload: { cmd: 'network_outage', value: false } });
    await waitFor('pause and resume', async () => (control.length === 2 ? true : undefined), 2000);
    expect(control.map((m) => m.control)).toEqual(['pause', 'resume']);
  });

  it('ends its outage when it is redeployed, so the store-forward node it paused resumes', async () => {
    // A "modified nodes" deploy: the simulator restarts, the node on its control output runs on.
    await helper.load([machineSim, catchNode], flow());
    const control = collect(helper, 'control');
    const events = collect(helper, 'events');
    helper.getNode('sim')!.receive({ payload: { cmd: 'network_outage', value: true, duration: 600 } });
    await waitFor('the pause', async () => (control.length === 1 ? true : undefined), 2000);
    const restarted = flow({ name: 'renamed' });
    await helper.setFlows(restarted, 'nodes');
    await waitFor('the resume', async () => (control.length === 2 ? true : undefined), 2000);
    expect(control.map((m) => m.control)).toEqual(['pause', 'resume']);
    expect(events.map((m) => [m.payload.fault, m.payload.phase])).toEqual([
      ['network_outage', 'start'],
      ['network_outage', 'end'],
    ]);
  });

  it('backfills a past hour in arrays with event times, then calls done', async () => {
    await loadWithComplete();
    const points = collect(helper, 'points');
    const events = collect(helper, 'events');
    const finished = collect(helper, 'finished');
    const to = Date.UTC(2026, 0, 5, 12);
    helper.getNode('sim')!.receive({ payload: { cmd: 'backfill', from: to - 3_600_000, to } });
    await waitFor('the backfill to finish', async () => (finished.length === 1 ? true : undefined), 20_000);
    const all = points.flatMap((m) => m.payload as Point[]);
    expect(all).toHaveLength(1800 * (8 * 11 + 4));
    expect(all[0]!.ts).toBe(to - 3_600_000 + 2000);
    expect(all.at(-1)!.ts).toBe(to);
    expect(points.at(-1).backfill).toEqual({ from: to - 3_600_000, to, progress: 1 });
    expect(validatePoints(all).invalid).toEqual([]);
    expect(events.every((m) => m.backfill)).toBe(true);
  });

  it('fails a backfill cut short by a redeploy, saying how far it got', async () => {
    await helper.load([machineSim, catchNode], flow({ interval: '1' }));
    const points = collect(helper, 'points');
    const sim = helper.getNode('sim')!;
    const to = Date.UTC(2026, 0, 5, 12);
    sim.receive({ payload: { cmd: 'backfill', from: to - 7 * 86_400_000, to } });
    await waitFor('a first batch', async () => (points.length > 0 ? true : undefined), 10_000);
    // The error comes while the node closes: kept by the node itself, as the helper's spies go with the flow.
    const errors: string[] = [];
    (sim as any).error = (error: Error) => errors.push(error.message);
    await helper.unload();
    expect(errors).toEqual([
      expect.stringMatching(
        /backfill of 2025-12-29T12:00:00.000Z..2026-01-05T12:00:00.000Z cut short by a redeploy or stop after \d+ points/,
      ),
    ]);
  });

  it('refuses a backfill before 2000 or beyond what a Date holds, with an error and a red status, and keeps running', async () => {
    const { caught, points, statuses, sim } = await loadRunning();
    // -9e15 is outside the Date range: finishing this backfill used to throw from the event loop and stop Node-RED.
    sim.receive({ payload: { cmd: 'backfill', from: -9e15, to: -9e15 + 60_000 } });
    // 1970: every point would have been refused by the point schema.
    sim.receive({ payload: { cmd: 'backfill', from: 0, to: 3_600_000 } });
    await waitFor('two refusals', async () => (caught.length === 2 ? true : undefined), 2000);
    for (const msg of caught) {
      expect(msg.error.message).toMatch(
        /backfill: from must not be before 2000-01-01T00:00:00.000Z, the earliest time a point may carry/,
      );
    }
    expect(statuses.some((s) => s.fill === 'red' && /must not be before 2000-01-01/.test(s.text))).toBe(true);
    const before = points.length;
    await waitFor('more ticks', async () => (points.length > before + 2 ? true : undefined), 5000);
  });

  it('refuses a second backfill while one runs, with an error and a red status', async () => {
    await helper.load([machineSim, catchNode], flow({ interval: '1' }));
    const caught = collect(helper, 'caught');
    const statuses: any[] = [];
    const sim = helper.getNode('sim')!;
    sim.on('call:status', ((call: any) => statuses.push(call.args[0])) as never);
    const to = Date.UTC(2026, 0, 5, 12);
    sim.receive({ payload: { cmd: 'backfill', from: to - 7 * 86_400_000, to } });
    sim.receive({ payload: { cmd: 'backfill', hours: 1, to } });
    await waitFor('the refusal', async () => (caught.length === 1 ? true : undefined), 5000);
    expect(caught[0].error.message).toBe(
      'SimulatorError: backfill: one is already running; wait for it to finish',
    );
    expect(statuses.some((s) => s.fill === 'red' && /already running/.test(s.text))).toBe(true);
  });

  it('ends a backfill whose batch throws with an error and a red status, and takes the next one', async () => {
    await loadWithComplete();
    const caught = collect(helper, 'caught');
    const finished = collect(helper, 'finished');
    const statuses: any[] = [];
    const sim = helper.getNode('sim')! as any;
    sim.on('call:status', (call: any) => statuses.push(call.args[0]));
    // A send that throws half-way through, from a later event-loop turn than the command's.
    const send = sim.send;
    sim.send = function (msgs: any[]) {
      if (msgs[0]?.backfill?.progress > 0.5) throw new Error('the wire broke');
      return send.call(this, msgs);
    };
    const to = Date.UTC(2026, 0, 5, 12);
    sim.receive({ payload: { cmd: 'backfill', from: to - 86_400_000, to } });
    await waitFor('the failure', async () => (caught.length === 1 ? true : undefined), 20_000);
    expect(caught[0].error.message).toMatch(
      /^Error: machine-sim: backfill of 2026-01-04T12:00:00.000Z..2026-01-05T12:00:00.000Z failed after \d+ points: the wire broke$/,
    );
    expect(
      statuses.some((s) => s.fill === 'red' && /failed after \d+ points: the wire broke/.test(s.text)),
    ).toBe(true);
    sim.send = send;
    sim.receive({ payload: { cmd: 'backfill', hours: 1, to } });
    await waitFor('the next backfill', async () => (finished.length === 1 ? true : undefined), 20_000);
    expect(caught).toHaveLength(1);
  });

  it('refuses bad commands with a clear error for Catch and a red status, and keeps running', async () => {
    const { caught, points, statuses, sim } = await loadRunning();
    sim.receive({ payload: { cmd: 'bearing_fault', machine: 'lathe-09' } });
    sim.receive({ payload: 'not json' });
    await waitFor('two errors', async () => (caught.length === 2 ? true : undefined), 2000);
    expect(caught.map((m) => m.error.message)).toEqual([
      'SimulatorError: bearing_fault: no machine "lathe-09"',
      'SimulatorError: a command must be JSON like {"cmd":"bearing_fault","value":true} (got "not json")',
    ]);
    expect(statuses.some((s) => s.fill === 'red' && /lathe-09/.test(s.text))).toBe(true);
    const before = points.length;
    await waitFor('more ticks', async () => (points.length > before + 2 ? true : undefined), 5000);
  });

  it('survives garbage input: every message gets an answer and the node keeps ticking', async () => {
    await helper.load([machineSim, catchNode], flow({ autostart: true }));
    const caught = collect(helper, 'caught');
    const points = collect(helper, 'points');
    const sim = helper.getNode('sim')!;
    const garbage: unknown[] = [
      null,
      undefined,
      0,
      -1,
      NaN,
      true,
      [],
      [1, 2],
      {},
      { cmd: null },
      { cmd: {} },
      { cmd: 'bearing_fault', value: { a: 1 } },
      { cmd: 'dropout', value: -0.5 },
      { cmd: 'backfill', hours: 'many' },
      { cmd: 'backfill', hours: -1 },
      { cmd: 'backfill', hours: 1, to: Date.now() + 86_400_000 },
      { cmd: 'backfill', from: 0, to: Date.UTC(2026, 0, 1) },
      { cmd: 'sensor_stuck', metric: 'energy' },
      { cmd: 'energy_spike', duration: 'soon' },
      { cmd: 'energy_spike', line: '' },
      Buffer.from([0xff, 0x00, 0x13]),
      'x'.repeat(100_000),
      { cmd: '__proto__' },
      { cmd: 'constructor' },
      JSON.parse('{"__proto__": {"cmd": "bearing_fault"}}'),
    ];
    for (const payload of garbage) sim.receive({ payload });
    await waitFor(
      'an error for every bad message',
      async () => (caught.length === garbage.length ? true : undefined),
      5000,
    );
    expect(caught.every((m) => typeof m.error.message === 'string' && m.error.message.length < 300)).toBe(
      true,
    );
    const before = points.length;
    await waitFor('more ticks', async () => (points.length > before + 2 ? true : undefined), 5000);
  });

  it('reports a bad configuration on deploy and refuses commands until it is fixed', async () => {
    await helper.load([machineSim, catchNode], flow({ tenant: 'acme corp', autostart: true }));
    const caught = collect(helper, 'caught');
    const points = collect(helper, 'points');
    helper.getNode('sim')!.receive({ payload: { cmd: 'start' } });
    await waitFor('the refusal', async () => (caught.length === 1 ? true : undefined), 2000);
    expect(caught[0].error.message).toMatch(/not configured: tenant must be 1 to 64 characters/);
    await sleep(200);
    expect(points).toEqual([]);
  });

  it('refuses an interval that is not 0.01 to 3600 s at deploy, naming the setting and the value written', async () => {
    for (const [interval, got] of [
      ['abc', '"abc"'],
      [0.001, '0.001'],
      ['1e9', '"1e9"'],
      ['0x10', '"0x10"'],
    ]) {
      await helper.load([machineSim, catchNode], flow({ interval, autostart: true }));
      const refusal = `interval must be a number from 0.01 to 3600 (got ${got})`;
      const sim = helper.getNode('sim') as any;
      expect(sim.error.calledWith(`machine-sim: ${refusal}`), refusal).toBe(true);
      expect(sim.status.lastCall.args[0]).toEqual({ fill: 'red', shape: 'ring', text: refusal });
      await helper.unload();
    }
  });

  it('takes autostart only as true or false: 0 is refused at deploy, "FALSE" leaves the plant stopped', async () => {
    await helper.load([machineSim, catchNode], flow({ autostart: 0 }));
    const refused = helper.getNode('sim') as any;
    expect(refused.error.calledWith('machine-sim: autostart must be true or false (got 0)')).toBe(true);
    await helper.unload();
    await helper.load([machineSim, catchNode], flow({ autostart: 'FALSE' }));
    const points = collect(helper, 'points');
    await sleep(200);
    expect(points).toEqual([]);
    expect((helper.getNode('sim') as any).status.lastCall.args[0].text).toMatch(/^stopped/);
  });

  it('stops ticking when stopped, and when its flow is closed', async () => {
    await helper.load([machineSim, catchNode], flow({ autostart: true }));
    const points = collect(helper, 'points');
    await waitFor('a tick', async () => (points.length > 0 ? true : undefined), 5000);
    helper.getNode('sim')!.receive({ payload: { cmd: 'stop' } });
    await sleep(100);
    const stopped = points.length;
    await sleep(300);
    expect(points.length).toBe(stopped);
    helper.getNode('sim')!.receive({ payload: { cmd: 'start' } });
    await waitFor('ticks again', async () => (points.length > stopped ? true : undefined), 5000);
    await helper.unload();
    const closed = points.length;
    await sleep(300);
    expect(points.length).toBe(closed);
  });

  it('pauses the plant when stopped: a fault ends after its time once started, and nothing builds up', async () => {
    await helper.load([machineSim, catchNode], flow({ autostart: true }));
    const points = collect(helper, 'points');
    const events = collect(helper, 'events');
    const sim = helper.getNode('sim')!;
    await waitFor('a tick', async () => (points.length > 0 ? true : undefined), 5000);
    sim.receive({ payload: { cmd: 'stop' } });
    await sleep(300);
    const stopped = points.length;
    sim.receive({ payload: { cmd: 'energy_spike', duration: 0.2 } });
    await sleep(300);
    const startedAt = Date.now();
    sim.receive({ payload: { cmd: 'start' } });
    const faults = () => events.map((m) => m.payload).filter((e) => e.type === 'fault');
    await waitFor('the spike to end', async () => (faults().length === 2 ? true : undefined), 5000);
    expect(faults().map((e) => [e.fault, e.phase])).toEqual([
      ['energy_spike', 'start'],
      ['energy_spike', 'end'],
    ]);
    // The spike runs its 0.2 s once the plant runs again: neither the time before it came nor after counts.
    expect(faults()[1].ts).toBeGreaterThanOrEqual(startedAt + 200);
    expect(faults()[1].ts).toBeLessThan(startedAt + 500);
    // Every state change is announced: each follows the state announced before it.
    const announced = new Map<string, string>();
    for (const event of events.map((m) => m.payload).filter((e) => e.type === 'state')) {
      expect(event.previous).toBe(announced.get(`${event.line}/${event.machine}`) ?? 'RUNNING');
      announced.set(`${event.line}/${event.machine}`, event.state);
    }
    // The first tick after the start adds one tick of energy (at most its power for the time since the start),
    // not the pause's; press-02 of line-02 has no fault.
    const reading = (msg: any, metric: string) =>
      (msg.payload as Point[]).find(
        (p) => p.line === 'line-02' && p.machine === 'press-02' && p.metric === metric,
      )!;
    const last = points[stopped - 1];
    const first = points[stopped];
    const power = Math.max(reading(last, 'power').value, reading(first, 'power').value);
    const tickMs = reading(first, 'energy').ts - startedAt;
    expect(tickMs).toBeLessThan(500);
    expect(reading(first, 'energy').value - reading(last, 'energy').value).toBeLessThanOrEqual(
      (power * tickMs) / 3_600_000,
    );
  });
});

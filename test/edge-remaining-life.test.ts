// The edge's remaining-life path as flows/edge-agent.json ships it (vibration of running machines -> forecast ->
// machine alarms), in the Node-RED runtime, fed the simulator's points at their own timestamps (hours of plant
// in seconds): a healthy plant raises no remaining-life alarm, and a worn tool raises the warning, then the
// critical alarm, before it breaks.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand, type PlantSimulator } from '@plantwire/node-red-simulator';
import { collect, coreNode, nodeRedTestHelper, until, type FlowNode } from '@plantwire/testkit';
// The same plant the figures of `npm run nab -- --rul` use.
// @ts-expect-error: a plain .mjs script without types
import { demoPlant } from '../packages/nodes-rules/scripts/remaining-life.mjs';

const require = createRequire(import.meta.url);
const rules = '@plantwire/node-red-rules/dist/nodes';
const forecastNode = require(`${rules}/forecast/forecast.js`);
const thresholdAlarm = require(`${rules}/threshold-alarm/threshold-alarm.js`);
const root = fileURLToPath(new URL('..', import.meta.url));
const PATH = ['edge', 'edge-running', 'edge-forecast', 'edge-alarms'];
const HOUR_MS = 3_600_000;
const helper = nodeRedTestHelper();

interface AlarmEvent {
  key: string;
  rule: string;
  level: string;
  state: string;
  ts: number;
}

/** The shipped path, its alarm events to a probe. */
function edgePath(): FlowNode[] {
  const nodes = JSON.parse(readFileSync(`${root}/flows/edge-agent.json`, 'utf8')) as FlowNode[];
  const path = nodes
    .filter((node) => PATH.includes(node.id))
    .map((node) => (node.id === 'edge-alarms' ? { ...node, wires: [['events'], []] } : node));
  return [...path, { id: 'events', type: 'helper', z: 'edge' }];
}

/** The shipped path loaded, its alarm events collected, and the demo's plant (3 lines x 3 machines, every 2 s, kept running) to feed it. */
async function runDemoPlant(seed: number) {
  await helper.load([forecastNode, thresholdAlarm, coreNode('function/10-function')], edgePath());
  const events = collect(helper, 'events');
  const running = helper.getNode('edge-running')!;
  const { plant, start } = demoPlant(seed) as { plant: PlantSimulator; start: number };
  return { events, running, plant, start };
}

// Each test loads with a userDir of its own (the test helper's): no test restores what another one's forecast learned.
describe('the edge: remaining life of running machines', () => {
  beforeAll(() => helper.startServer());
  afterEach(() => helper.unload());
  afterAll(() => helper.stopServer());

  it('warns of a worn tool, then raises the critical alarm, before it breaks; a healthy plant stays quiet', async () => {
    const { events, running, plant, start } = await runDemoPlant(11);
    const target = plant.machines.find((m) => m.line === 'line-02' && m.name.startsWith('cnc'))!;
    const key = `${target.line}/${target.name}/vibration_rul`;
    const wearAt = start + 3 * HOUR_MS;
    let brokeAt = NaN;
    const tick: Record<string, unknown>[] = [];
    // Three healthy hours, the tool wear until the tool breaks, and an hour after its replacement.
    for (let ts = start + 2000; !(ts > brokeAt + HOUR_MS); ts += 2000) {
      if (ts === wearAt)
        plant.command(
          parseCommand({ cmd: 'tool_wear', value: true, line: target.line, machine: target.name }),
          ts,
        );
      tick.length = 0;
      plant.tick(ts, tick as never[]);
      for (const event of plant.drainEvents() as { fault?: string; phase?: string; machine: string }[])
        if (event.fault === 'tool_wear' && event.phase === 'end' && event.machine === target.name)
          brokeAt = ts;
      // The path reads the state and vibration points of the simulator's array; the rest it drops.
      running.receive({ payload: tick.filter((p) => p.metric === 'state' || p.metric === 'vibration') });
    }
    const rul = () => (events as { payload: AlarmEvent[] }[]).flatMap((msg) => msg.payload);
    await until(
      'the remaining-life alarms to return to normal',
      () => rul().filter((e) => e.state === 'rtn-unack').length === 2,
      30_000,
    );
    const raised = rul().filter((e) => e.state === 'active-unack');
    // Nothing before the wear started, and on no other machine.
    expect(raised.filter((e) => e.ts < wearAt)).toEqual([]);
    expect(new Set(rul().map((e) => `${e.key}:${e.rule}`))).toEqual(new Set([`${key}:remaining-life`]));
    const warning = raised.find((e) => e.level === 'warning')!;
    const critical = raised.find((e) => e.level === 'critical')!;
    // The tool lasts 30 minutes of running. Measured on 90 runs (seeds 11-40, each machine type): the warning
    // 2.7-9.2 minutes in; the first estimates are rough, more often early than late, so the critical alarm comes 16-27 minutes before the
    // break (here 5.2 minutes in and 18 before).
    expect(warning.ts - wearAt).toBeLessThan(10 * 60_000);
    expect(critical.ts).toBeGreaterThanOrEqual(warning.ts);
    expect(brokeAt - critical.ts).toBeGreaterThan(10 * 60_000);
    // Once the tool is replaced and the machine runs again, both return to normal.
    for (const e of rul().filter((e) => e.state === 'rtn-unack')) expect(e.ts).toBeGreaterThan(brokeAt);
  }, 120_000);

  it("a bearing fault a minute after the start: the critical alarm once the vibration is at its machine's limit", async () => {
    // The demo's first try. Its baseline is not known yet, so no early warning can be told; before, the remaining
    // life stayed unknown even at twice the limit.
    const { events, running, plant, start } = await runDemoPlant(12);
    const target = plant.machines.find((m) => m.line === 'line-01' && m.name.startsWith('cnc'))!;
    let reachedAt = NaN;
    const tick: Record<string, unknown>[] = [];
    for (let ts = start + 2000; ts <= start + 10 * 60_000; ts += 2000) {
      if (ts === start + 60_000)
        plant.command(
          parseCommand({ cmd: 'bearing_fault', value: true, line: target.line, machine: target.name }),
          ts,
        );
      tick.length = 0;
      plant.tick(ts, tick as never[]);
      plant.drainEvents();
      const vibration = tick.find(
        (p) => p.line === target.line && p.machine === target.name && p.metric === 'vibration',
      )!;
      // The demo's limit for a CNC (flows/edge-agent.json).
      if (Number.isNaN(reachedAt) && (vibration.value as number) >= 4.5) reachedAt = ts;
      running.receive({ payload: tick.filter((p) => p.metric === 'state' || p.metric === 'vibration') });
    }
    const raised = () =>
      (events as { payload: AlarmEvent[] }[])
        .flatMap((msg) => msg.payload)
        .filter((e) => e.rule === 'remaining-life' && e.state === 'active-unack');
    await until(
      'the critical remaining-life alarm',
      () => raised().some((e) => e.level === 'critical'),
      30_000,
    );
    const critical = raised().find((e) => e.level === 'critical')!;
    expect(critical.key).toBe(`${target.line}/${target.name}/vibration_rul`);
    // Measured: 42 s after the first reading at the limit (the level averages 5 steps).
    expect(critical.ts - reachedAt).toBeLessThan(60_000);
    expect(new Set(raised().map((e) => e.key))).toEqual(new Set([critical.key]));
  }, 120_000);
});

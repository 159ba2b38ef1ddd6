// The package's nodes in a real Node-RED process: registered with their editors and examples, and what they keep
// (threshold-alarm's alarms, what anomaly-detect learned) across a restart of the process over the same userDir.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  flowContextProbe,
  startNodeRed,
  telemetryPoint,
  waitFor,
  type FlowNode,
  type NodeRed,
} from '@plantwire/testkit';

const MODULE = '@plantwire/node-red-rules';
const examples = fileURLToPath(new URL('../examples/', import.meta.url));

/** A function node that appends what reaches it to the flow-context list `name`. */
function record(id: string, z: string, name: string): FlowNode {
  return {
    id,
    z,
    type: 'function',
    func: `flow.set('${name}', (flow.get('${name}') || []).concat([msg.payload]));\nreturn null;`,
    outputs: 0,
    wires: [],
  };
}

/** An http endpoint POST `url` whose body goes to node `to`, answered 204. */
function httpFeed(z: string, url: string, to: string): FlowNode[] {
  const id = `feed-${url.replace(/\W/g, '')}`;
  return [
    { id, z, type: 'http in', url, method: 'post', wires: [[to, `${id}-ok`]] },
    { id: `${id}-ok`, z, type: 'http response', statusCode: '204', wires: [] },
  ];
}

describe('the rules nodes in a real Node-RED process', () => {
  let red: NodeRed | undefined;
  let userDir: string;
  beforeAll(async () => {
    userDir = mkdtempSync(join(tmpdir(), 'plantwire-alarm-e2e-'));
    red = await startNodeRed({ userDir });
  });
  afterAll(async () => {
    await red?.stop();
    rmSync(userDir, { recursive: true, force: true });
  });

  it('registers threshold-alarm with its editor, help and icon, and lists its example', async () => {
    const sets = await red!.api<{ module: string; types: string[]; err?: unknown }[]>('/nodes');
    const set = sets.find((s) => s.module === MODULE && s.types.includes('threshold-alarm'));
    expect(set).toMatchObject({ types: ['threshold-alarm'] });
    expect(set?.err).toBeUndefined();
    const editor = await (await fetch(`${red!.url}/nodes`, { headers: { Accept: 'text/html' } })).text();
    expect(editor).toContain("RED.nodes.registerType('threshold-alarm'");
    expect(editor).toContain('data-help-name="threshold-alarm"');
    expect((await fetch(`${red!.url}/icons/${MODULE}/threshold-alarm.svg`)).status).toBe(200);
    expect(await red!.api(`/library/examples/flows/${MODULE}`)).toEqual([
      { fn: '01 - Threshold alarms' },
      { fn: '02 - Anomaly detection' },
      { fn: '03 - Forecast and remaining life' },
    ]);
  });

  it('runs the example flow, and after a restart of the process comes back quietly with its alarms', async () => {
    const z = 'ta-tab';
    // The example as shipped, fed by an http endpoint as well, with what its outputs carry kept in flow context.
    const flow = (
      JSON.parse(readFileSync(`${examples}01 - Threshold alarms.json`, 'utf8')) as FlowNode[]
    ).map((node) => {
      if (node.id === 'ta-events') return record('ta-events', z, 'events');
      if (node.id === 'ta-list-out') return record('ta-list-out', z, 'lists');
      if (node.id === 'ta-sim') return { ...node, autostart: false }; // only the points this test sends
      return node;
    });
    flow.push(
      ...httpFeed(z, '/alarm-points', 'ta-alarm'),
      ...flowContextProbe(z, '/alarm-state', ['events', 'lists']),
    );
    await red!.deploy(flow);
    const state = () => red!.api<{ events?: any[][]; lists?: any[][] }>('/alarm-state');
    const post = (points: unknown) =>
      fetch(`${red!.url}/alarm-points`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(points),
      });
    const at = Date.now();
    const power = (ts: number, value: number) =>
      telemetryPoint(ts, { line: 'line-01', machine: 'cnc-01', metric: 'power', value, unit: 'kW' });
    await post([power(at - 2000, 10), power(at, 40)]);
    await waitFor(
      'the power-jump alarm',
      async () => ((await state()).events?.length ? true : undefined),
      10_000,
    );
    expect((await state()).events![0]).toMatchObject([
      { id: 'line-01/cnc-01/power:power-jump:warning', state: 'active-unack', value: 15 },
    ]);

    await red!.stop(); // close() saves the state
    red = await startNodeRed({ userDir }); // the same userDir: flows.json and plantwire-alarms/
    const lists = await waitFor('the restored list', async () => (await state()).lists, 10_000);
    expect(lists[0]).toMatchObject([
      { id: 'line-01/cnc-01/power:power-jump:warning', state: 'active-unack' },
    ]);
    // Still rising: the condition holds, so nothing is announced again.
    await post([power(Date.now() - 1000, 40), power(Date.now(), 50)]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await state()).events).toBeUndefined();
  });

  it('anomaly-detect comes back after a restart of the process with what every series learned: no second warm-up', async () => {
    const z = 'anomaly-tab';
    const flow = (
      JSON.parse(readFileSync(`${examples}02 - Anomaly detection.json`, 'utf8')) as FlowNode[]
    ).map((node) => {
      if (node.id === 'anomaly-sim') return { ...node, autostart: false }; // only the points this test sends
      if (node.id === 'detector') return { ...node, wires: [['scored'], []] };
      return node;
    });
    flow.push(
      record('scored', z, 'scored'),
      ...httpFeed(z, '/points', 'detector'),
      ...flowContextProbe(z, '/scored', ['scored']),
    );
    await red!.deploy(flow);
    const scored = async () =>
      ((await red!.api<{ scored?: { warmingUp: boolean }[][] }>('/scored')).scored ?? []).flat();
    const post = (from: number, count: number) =>
      fetch(`${red!.url}/points`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(
          Array.from({ length: count }, (_, i) =>
            telemetryPoint(Date.UTC(2026, 0, 5) + (from + i) * 1000, { value: 3 + ((from + i) % 5) * 0.1 }),
          ),
        ),
      });
    await post(0, 200);
    await waitFor(
      '200 scored points',
      async () => ((await scored()).length === 200 ? true : undefined),
      10_000,
    );
    expect((await scored()).at(-1)!.warmingUp).toBe(false);

    await red!.stop(); // close() saves what the detector learned
    expect(existsSync(join(userDir, 'plantwire-learned', 'detector.json'))).toBe(true);
    red = await startNodeRed({ userDir }); // the same userDir: flows.json and plantwire-learned/
    await post(200, 1);
    const after = await waitFor(
      'the next point scored',
      async () => {
        const points = await scored();
        return points.length === 1 ? points[0] : undefined;
      },
      10_000,
    );
    // The rarity detector warms up over 150 values: after one, it scores.
    expect(after.warmingUp).toBe(false);
  });
});

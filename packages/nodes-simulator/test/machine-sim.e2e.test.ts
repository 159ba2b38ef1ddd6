import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import {
  flowContextProbe,
  flowCounter,
  startAedesBroker,
  startNodeRed,
  waitFor,
  type FlowNode,
  type NodeRed,
} from '@plantwire/testkit';

const examplesDir = fileURLToPath(new URL('../examples', import.meta.url));
const MODULE = '@plantwire/node-red-simulator';

/** A small plant (2 machines, seed 3) sampled every `interval` seconds, wired as given. */
function simNode(interval: string, wires: string[][]): FlowNode {
  return {
    id: 'sim',
    z: 'tab',
    type: 'machine-sim',
    tenant: 'acme',
    plant: 'plant-1',
    lines: '1',
    machinesPerLine: '2',
    machineTypes: 'cnc,pump',
    interval,
    seed: '3',
    output: 'array',
    autostart: true,
    wires,
  };
}

describe('the built package in a real Node-RED process', () => {
  let red: NodeRed;
  beforeAll(async () => {
    // Node-RED finds the workspace's packages in the node_modules it was started from.
    red = await startNodeRed();
  });
  afterAll(async () => {
    await red?.stop();
  });

  it('registers machine-sim with its editor, help and icon', async () => {
    const sets = await red.api<{ module: string; types: string[]; err?: unknown }[]>('/nodes');
    const set = sets.find((s) => s.module === MODULE);
    expect(set).toMatchObject({ types: ['machine-sim'] });
    expect(set?.err).toBeUndefined();
    const editor = await (await fetch(`${red.url}/nodes`, { headers: { Accept: 'text/html' } })).text();
    expect(editor).toContain("RED.nodes.registerType('machine-sim'");
    expect(editor).toContain('data-help-name="machine-sim"');
    expect((await fetch(`${red.url}/icons/${MODULE}/machine-sim.svg`)).status).toBe(200);
    const messages = await red.api<{ 'machine-sim': { label: { autostart: string } } }>(
      `/locales/${MODULE}/machine-sim?lng=en-US`,
    );
    expect(messages['machine-sim'].label.autostart).toBe('Start on deploy');
  });

  it('lists every example in the editor and deploys each without errors', async () => {
    const listed = await red.api<{ fn: string }[]>(`/library/examples/flows/${MODULE}`);
    const files = readdirSync(examplesDir).filter((f) => f.endsWith('.json'));
    expect(files).toEqual(['01 - Basic.json', '02 - Faults.json']);
    expect(listed.map((entry) => `${entry.fn}.json`)).toEqual(files);
    for (const file of files) {
      const flow = JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) as FlowNode[];
      expect(flow.some((n) => n.type === 'machine-sim')).toBe(true);
      await red.deploy(flow);
    }
  });

  it('streams points through a live flow', async () => {
    await red.deploy([
      { id: 'tab', type: 'tab' },
      simNode('0.1', [['count'], [], []]),
      flowCounter('tab', 'count', 'points'),
      ...flowContextProbe('tab', '/points', ['points']),
    ]);
    const count = await waitFor(
      'points to arrive',
      async () => {
        const n = ((await (await fetch(`${red.url}/points`)).json()) as { points?: number }).points ?? 0;
        return n >= 10 * 23 ? n : undefined;
      },
      15_000,
    );
    expect(count % 23).toBe(0);
  });

  it('takes fault commands from an MQTT in node on v1/{tenant}/{plant}/cmd', async () => {
    const broker = await startAedesBroker();
    try {
      await red.deploy([
        { id: 'tab', type: 'tab' },
        {
          id: 'broker',
          type: 'mqtt-broker',
          broker: broker.host,
          port: String(broker.port),
          clientid: '',
          autoConnect: true,
          usetls: false,
          protocolVersion: '4',
          keepalive: '60',
          cleansession: true,
        },
        {
          id: 'cmd',
          z: 'tab',
          type: 'mqtt in',
          topic: 'v1/acme/plant-1/cmd',
          qos: '1',
          datatype: 'utf8',
          broker: 'broker',
          nl: false,
          rap: true,
          rh: 0,
          inputs: 0,
          wires: [['sim']],
        },
        simNode('1', [[], ['keep'], []]),
        {
          id: 'keep',
          z: 'tab',
          type: 'function',
          func: "flow.set('events', (flow.get('events') || []).concat([msg.payload]));\nreturn null;",
          outputs: 0,
          wires: [],
        },
        ...flowContextProbe('tab', '/events', ['events']),
      ]);
      await red.waitForLog(/Connected to broker/, 10_000);
      const client = await mqtt.connectAsync(broker.url);
      await client.publishAsync(
        'v1/acme/plant-1/cmd',
        '{"cmd":"bearing_fault","value":true,"machine":"pump-02"}',
        { qos: 1 },
      );
      await client.endAsync();
      const events = await waitFor(
        'the fault event',
        async () => {
          const { events: body } = (await (await fetch(`${red.url}/events`)).json()) as {
            events?: { type: string; fault?: string; machine?: string }[];
          };
          return body?.some((e) => e.type === 'fault') ? body : undefined;
        },
        10_000,
      );
      expect(events.find((e) => e.type === 'fault')).toMatchObject({
        fault: 'bearing_fault',
        phase: 'start',
        machine: 'pump-02',
      });
    } finally {
      await red.deploy([]);
      await broker.stop();
    }
  });
});

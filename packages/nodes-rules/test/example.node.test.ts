import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, coreNode, nodeRedTestHelper, until } from '@plantwire/testkit';

const require = createRequire(import.meta.url);
const anomalyDetect = require('../dist/nodes/anomaly-detect/anomaly-detect.js');
const machineSim = require('@plantwire/node-red-simulator/dist/nodes/machine-sim/machine-sim.js');
const helper = nodeRedTestHelper();
const example = JSON.parse(
  readFileSync(new URL('../examples/02 - Anomaly detection.json', import.meta.url), 'utf8'),
) as Record<string, any>[];

describe('example "02 - Anomaly detection"', () => {
  beforeAll(() => helper.startServer());
  afterEach(() => helper.unload());
  afterAll(() => helper.stopServer());

  it('runs: the simulator feeds the detector the gauges of running machines, scored', async () => {
    // The flow as shipped, with a helper node beside the scored-points debug node.
    const flow = example.map((node) =>
      node.id === 'detector' ? { ...node, wires: [['scored-debug', 'probe'], node.wires[1]] } : node,
    );
    flow.push({ id: 'probe', type: 'helper', z: 'anomaly-tab' });
    await helper.load(
      [
        anomalyDetect,
        machineSim,
        coreNode('common/20-inject'),
        coreNode('function/10-function'),
        coreNode('common/21-debug'),
        coreNode('common/25-catch'),
      ],
      flow,
    );
    const scored = collect(helper, 'probe');
    await until('scored points', () => scored.length > 0, 15_000);
    const metrics = new Set(scored.flatMap((m) => m.payload.map((p: any) => p.metric)));
    expect(
      [...metrics].every((m) => ['temperature', 'vibration', 'power', 'speed', 'pressure'].includes(m)),
    ).toBe(true);
    expect(scored[0].payload[0]).toMatchObject({ score: 0, anomaly: false, warmingUp: true });
    expect(scored[0].anomaly).toEqual({ detector: 'rarity', threshold: 0.65 });
  });
});

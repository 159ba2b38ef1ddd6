import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect, coreNode, nodeRedTestHelper, until } from '@plantwire/testkit';

const require = createRequire(import.meta.url);
const forecastNode = require('../dist/nodes/forecast/forecast.js');
const thresholdAlarm = require('../dist/nodes/threshold-alarm/threshold-alarm.js');
const machineSim = require('@plantwire/node-red-simulator/dist/nodes/machine-sim/machine-sim.js');
const helper = nodeRedTestHelper();
const example = JSON.parse(
  readFileSync(new URL('../examples/03 - Forecast and remaining life.json', import.meta.url), 'utf8'),
) as Record<string, any>[];
let userDir: string;

describe('example "03 - Forecast and remaining life"', () => {
  beforeAll(() => helper.startServer());
  beforeEach(() => {
    userDir = mkdtempSync(join(tmpdir(), 'plantwire-forecast-example-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    rmSync(userDir, { recursive: true, force: true });
  });
  afterAll(() => helper.stopServer());

  it('runs: the simulator feeds the forecaster the gauges of running machines', async () => {
    const flow = example.map((node) =>
      node.id === 'forecaster' ? { ...node, wires: [['forecast-debug', 'probe'], node.wires[1]] } : node,
    );
    flow.push({ id: 'probe', type: 'helper', z: 'forecast-tab' });
    await helper.load(
      [
        forecastNode,
        thresholdAlarm,
        machineSim,
        coreNode('common/20-inject'),
        coreNode('function/10-function'),
        coreNode('common/21-debug'),
        coreNode('common/25-catch'),
      ],
      flow,
    );
    const forecasts = collect(helper, 'probe');
    const vibration = () =>
      forecasts.flatMap((msg) => msg.payload).filter((point: any) => point.metric === 'vibration');
    await until('vibration forecasts', () => vibration().length > 0, 15_000);
    const point = forecasts[0].payload[0];
    expect(point.forecast).toEqual([]);
    expect(['temperature', 'vibration', 'power', 'speed', 'pressure']).toContain(point.metric);
    // Every machine type has a vibration limit (a pattern each): its points carry a remaining life, the 2-hour
    // warning horizon while nothing drifts.
    for (const { machine, rulS } of vibration()) expect({ machine, rulS }).toEqual({ machine, rulS: 7200 });

    // The repair inject names a series of this key: nothing is refused.
    const refused = collect(helper, 'forecast-refused');
    helper.getNode('forecast-reset')!.receive({});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(refused).toEqual([]);
    expect(helper.logged(20)).toEqual([]);
  });
});

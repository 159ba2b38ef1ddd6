import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect, coreNode, nodeRedTestHelper, sleep, telemetryPoint, until } from '@plantwire/testkit';

// The runtime tests load the built nodes, as Node-RED does (npm test builds first).
const require = createRequire(import.meta.url);
const forecastNode = require('../dist/nodes/forecast/forecast.js');
const thresholdAlarm = require('../dist/nodes/threshold-alarm/threshold-alarm.js');
const catchNode = coreNode('common/25-catch');
const helper = nodeRedTestHelper();

const T0 = Date.UTC(2026, 0, 5, 8);
let userDir: string;

/** forecast -> (warnings) -> threshold-alarm with a rule on every `*_rul` series. */
function flow(config: Record<string, unknown> = {}) {
  return [
    {
      id: 'fc',
      type: 'forecast',
      horizonMin: '10',
      steps: '2',
      limits: '{"vibration": 10}',
      warnH: '1',
      warmup: '20',
      wires: [['forecasts'], ['warnings', 'alarm']],
      ...config,
    },
    { id: 'forecasts', type: 'helper' },
    { id: 'warnings', type: 'helper' },
    {
      id: 'alarm',
      type: 'threshold-alarm',
      rules: JSON.stringify([{ name: 'rul', match: '*_rul', mode: 'below', warning: 1800, critical: 600 }]),
      chatterCount: '0',
      floodCount: '0',
      wires: [['events'], []],
    },
    { id: 'events', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: ['fc'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

/** Vibration every 10 s: steady around 2 for `healthy` samples, then rising 0.02 per sample toward 10. */
function vibration(count: number, healthy: number) {
  return Array.from({ length: count }, (_, i) =>
    telemetryPoint(T0 + i * 10_000, {
      metric: 'vibration',
      unit: 'mm/s',
      value: 2 + 0.05 * ((i * 7) % 5) + (i >= healthy ? 0.02 * (i - healthy) : 0),
    }),
  );
}

describe('forecast inside Node-RED', () => {
  beforeAll(() => helper.startServer());
  beforeEach(() => {
    userDir = mkdtempSync(join(tmpdir(), 'plantwire-forecast-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    rmSync(userDir, { recursive: true, force: true });
  });
  afterAll(() => helper.stopServer());

  it('forecasts every point and raises a threshold-alarm on the remaining life before the limit', async () => {
    await helper.load([forecastNode, thresholdAlarm, catchNode], flow());
    const forecasts = collect(helper, 'forecasts');
    const warnings = collect(helper, 'warnings');
    const events = collect(helper, 'events');
    const node = helper.getNode('fc')!;
    const points = vibration(700, 300);
    for (let i = 0; i < points.length; i += 100) node.receive({ payload: points.slice(i, i + 100) });
    await until('every batch forecast', () => forecasts.length === 7);
    const last = forecasts[6].payload.at(-1);
    expect(last.forecast).toHaveLength(2);
    expect(last.forecast[1].ts - last.ts).toBe(600_000);
    expect(last.forecast[1].lower).toBeLessThan(last.forecast[1].upper);
    // At sample 699 the value is about 10: the limit is reached.
    expect(last.rulS).toBeLessThan(300);
    const rul = warnings.flatMap((m) => m.payload);
    expect(rul[0]).toMatchObject({ machine: 'cnc-01', metric: 'vibration_rul', unit: 's' });
    await until('the alarms on the remaining life', () =>
      ['warning', 'critical'].every((level) =>
        events.some((m) =>
          [m.payload].flat().some((e: any) => e.level === level && e.state === 'active-unack'),
        ),
      ),
    );
  });

  it('takes failure limits a script wrote as an object, not as JSON text', async () => {
    await helper.load([forecastNode, thresholdAlarm, catchNode], flow({ limits: { vibration: 10 } }));
    const forecasts = collect(helper, 'forecasts');
    helper.getNode('fc')!.receive({ payload: vibration(700, 300) });
    await until('the forecast', () => forecasts.length === 1);
    // At sample 699 the value is about 10: the limit is reached.
    expect(forecasts[0].payload.at(-1).rulS).toBeLessThan(300);
  });

  it('goes on from what it learned after a redeploy in the middle of a drift: the alarms raised stay', async () => {
    await helper.load([forecastNode, thresholdAlarm, catchNode], flow());
    let events = collect(helper, 'events');
    let warnings = collect(helper, 'warnings');
    const points = vibration(700, 300);
    helper.getNode('fc')!.receive({ payload: points.slice(0, 650) });
    await until('the critical alarm', () =>
      events.some((m) => [m.payload].flat().some((e: any) => e.level === 'critical')),
    );
    const before = warnings.flatMap((m) => m.payload).at(-1).value;
    await helper.unload(); // both nodes save to their files under the userDir on close

    await helper.load([forecastNode, thresholdAlarm, catchNode], flow());
    events = collect(helper, 'events');
    warnings = collect(helper, 'warnings');
    const forecasts = collect(helper, 'forecasts');
    helper.getNode('fc')!.receive({ payload: points.slice(650, 651) });
    await until('the next remaining life', () => warnings.length === 1);
    // No warm-up again (a forecast at once), the drift still known, so the alarms are left as they were.
    expect(forecasts[0].payload[0].forecast).toHaveLength(2);
    const after = warnings[0].payload[0].value;
    expect(after).toBeLessThanOrEqual(before);
    expect(after).toBeLessThan(600);
    await sleep(300);
    expect(events.flatMap((m) => [m.payload].flat()).filter((e: any) => e.state === 'rtn-unack')).toEqual([]);
  });

  it('starts afresh after a redeploy with another season, and says so: its first remaining life clears the alarm', async () => {
    await helper.load([forecastNode, thresholdAlarm, catchNode], flow());
    let events = collect(helper, 'events');
    const points = vibration(700, 300);
    helper.getNode('fc')!.receive({ payload: points.slice(0, 650) });
    await until('the critical alarm', () =>
      events.some((m) => [m.payload].flat().some((e: any) => e.level === 'critical')),
    );
    await helper.unload();

    await helper.load([forecastNode, thresholdAlarm, catchNode], flow({ slots: '48' }));
    events = collect(helper, 'events');
    const warnings = collect(helper, 'warnings');
    expect(helper.logged(30, 'fc').join('\n')).toMatch(
      /forecast: .*plantwire-learned.fc\.json was saved with other settings or another version; starting empty/,
    );
    helper.getNode('fc')!.receive({ payload: points.slice(650, 651) });
    // A fresh forecaster knows of no drift yet: it says so once (the cap), and both alarms return to normal.
    await until('the alarms to return to normal', () =>
      ['warning', 'critical'].every((level) =>
        events.some((m) => [m.payload].flat().some((e: any) => e.level === level && e.state === 'rtn-unack')),
      ),
    );
    expect(warnings.flatMap((m) => m.payload).map((w: any) => w.value)).toEqual([3600]);
  });

  it('forgets a machine on msg.reset (after a repair): its next remaining life is the cap, clearing the alarms', async () => {
    await helper.load([forecastNode, thresholdAlarm, catchNode], flow());
    const events = collect(helper, 'events');
    const warnings = collect(helper, 'warnings');
    const node = helper.getNode('fc')!;
    const points = vibration(700, 300);
    node.receive({ payload: points.slice(0, 650) });
    await until('the critical alarm', () =>
      events.some((m) => [m.payload].flat().some((e: any) => e.level === 'critical')),
    );
    const sent = warnings.length;
    node.receive({ reset: 'cnc-01/vibration' });
    node.receive({ payload: { ...points[650], value: 2 } }); // the new bearing's level
    await until('the alarms to return to normal', () =>
      ['warning', 'critical'].every((level) =>
        events.some((m) => [m.payload].flat().some((e: any) => e.level === level && e.state === 'rtn-unack')),
      ),
    );
    expect(
      warnings
        .slice(sent)
        .flatMap((m) => m.payload)
        .map((w: any) => w.value),
    ).toEqual([3600]);
  });

  it('refuses bad points with done(err) naming them; the rest is forecast and sent', async () => {
    await helper.load([forecastNode, thresholdAlarm, catchNode], flow());
    const forecasts = collect(helper, 'forecasts');
    const caught = collect(helper, 'caught');
    const points: unknown[] = vibration(5, 100);
    points[2] = { ...(points[2] as object), value: 'high' };
    helper.getNode('fc')!.receive({ payload: points });
    await until('the refusal', () => caught.length === 1);
    expect(caught[0].error.message).toBe(
      'Error: forecast: refused 1 of 5 points (the rest were forecast): payload[2]: value must be a finite number (got "high")',
    );
    expect(forecasts[0].payload).toHaveLength(4);
    // The Catch node gets the input as it came: payload[2] is the refused point.
    expect(caught[0].payload[2].value).toBe('high');
    helper.getNode('fc')!.receive({ payload: 42 });
    await until('the second refusal', () => caught.length === 2);
    expect(caught[1].error.message).toMatch(/must be a telemetry point or an array of points \(got 42\)/);
    // One point: there is no rest to forecast, so the message does not speak of one.
    helper.getNode('fc')!.receive({ payload: { ...(points[0] as object), value: 'high' } });
    await until('the third refusal', () => caught.length === 3);
    expect(caught[2].error.message).toBe(
      'Error: forecast: refused 1 of 1 point: payload: value must be a finite number (got "high")',
    );
  });

  it.each([
    [{ limits: '{"vibration": "high"}' }, /limits: vibration must be a finite number/],
    [{ limits: '[1]' }, /failure limits must be a JSON object of series patterns/],
    [{ limits: '{"line-01/cnc-01/vibration": 9}' }, /limits: "line-01\/cnc-01\/vibration" has 3 segments/],
    [{ coverage: '100' }, /coverage/],
    [{ horizonMin: '0' }, /horizonMin/],
  ])('reports bad configuration %j on deploy and refuses input', async (config, reason) => {
    await helper.load([forecastNode, thresholdAlarm, catchNode], flow(config));
    const caught = collect(helper, 'caught');
    expect(helper.logged(20, 'fc').join('\n')).toMatch(reason);
    helper.getNode('fc')!.receive({ payload: vibration(1, 0) });
    await until('the refusal', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/not configured/);
  });
});

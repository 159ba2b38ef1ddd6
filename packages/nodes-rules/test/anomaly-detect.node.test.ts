import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect, coreNode, nodeRedTestHelper, sleep, telemetryPoint, until } from '@plantwire/testkit';
import { IDENTIFIER_RULE } from '@plantwire/telemetry';
import { AnomalyDetector } from '../src/core/anomaly-detector.js';
import { RarityDetector } from '../src/core/detectors/rarity.js';

// The runtime tests load the built node, as Node-RED does (npm test builds first).
const require = createRequire(import.meta.url);
const anomalyDetect = require('../dist/nodes/anomaly-detect/anomaly-detect.js');
const catchNode = coreNode('common/25-catch');
const helper = nodeRedTestHelper();

const T0 = Date.UTC(2026, 0, 5, 8);

function flow(config: Record<string, unknown> = {}) {
  return [
    {
      id: 'detect',
      type: 'anomaly-detect',
      detector: 'ewma',
      threshold: '0.9',
      warmup: '10',
      maxSeries: '1000',
      key: 'machine/metric',
      wires: [['scored'], ['anomalies']],
      ...config,
    },
    { id: 'scored', type: 'helper' },
    { id: 'anomalies', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: ['detect'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

/** `count` ordinary readings per machine (a small alternation around 60), one second apart. */
function readings(count: number, machines = ['cnc-01'], from = 0) {
  return Array.from({ length: count }, (_, i) =>
    machines.map((machine) =>
      telemetryPoint(T0 + (from + i) * 1000, { machine, value: 60 + ((from + i) % 3) * 0.5 }),
    ),
  ).flat();
}

/** Every score and value that left the node is a finite number (no NaN ever leaves). */
function allFinite(messages: any[]) {
  return messages.every((m) =>
    m.payload.every(
      (p: any) => Number.isFinite(p.score) && Number.isFinite(p.value) && p.score >= 0 && p.score <= 1,
    ),
  );
}

describe('anomaly-detect inside Node-RED', () => {
  beforeAll(() => helper.startServer());
  afterEach(() => helper.unload());
  afterAll(() => helper.stopServer());

  it('scores arrays per series: output 1 every point annotated, output 2 only the anomalies', async () => {
    await helper.load([anomalyDetect, catchNode], flow());
    const scored = collect(helper, 'scored');
    const anomalies = collect(helper, 'anomalies');
    const detect = helper.getNode('detect')!;
    const statuses: any[] = [];
    detect.on('call:status', ((call: any) => statuses.push(call.args[0])) as never);
    detect.receive({ topic: 'plant-1', payload: readings(50, ['cnc-01', 'cnc-02']) });
    await until('the scored array', () => scored.length === 1);
    expect(scored[0].payload).toHaveLength(100);
    expect(scored[0].topic).toBe('plant-1');
    expect(scored[0].anomaly).toEqual({ detector: 'ewma', threshold: 0.9 });
    expect(scored[0].payload[0]).toMatchObject({
      machine: 'cnc-01',
      score: 0,
      anomaly: false,
      warmingUp: true,
    });
    expect(scored[0].payload.at(-1)).toMatchObject({ machine: 'cnc-02', anomaly: false, warmingUp: false });
    expect(anomalies).toEqual([]);

    const spike = telemetryPoint(T0 + 50_000, { machine: 'cnc-02', value: 95 });
    detect.receive({ payload: [...readings(1, ['cnc-01'], 50), spike] });
    await until('the anomaly', () => anomalies.length === 1);
    expect(anomalies[0].payload).toEqual([
      { ...spike, score: expect.any(Number), anomaly: true, warmingUp: false },
    ]);
    expect(anomalies[0].payload[0].score).toBeGreaterThanOrEqual(0.9);
    // Once an anomaly is found the status turns yellow: the counts, not an error.
    await until('a yellow status', () => statuses.at(-1)?.fill === 'yellow');
    expect(statuses.at(-1).text).toBe('2 series, 1 anomalies');
    expect(scored[1].payload.map((p: any) => p.anomaly)).toEqual([false, true]);
    // The same point, one machine on: its own series has never seen 95 either, but cnc-03 is still warming up.
    detect.receive({ payload: { ...spike, machine: 'cnc-03' } });
    await until('a single point scored', () => scored.length === 3);
    expect(scored[2].payload).toEqual([
      expect.objectContaining({ machine: 'cnc-03', warmingUp: true, score: 0 }),
    ]);
    expect(allFinite(scored)).toBe(true);
  });

  it('survives gaps, repeated and backwards timestamps, scoring in arrival order', async () => {
    await helper.load([anomalyDetect, catchNode], flow());
    const scored = collect(helper, 'scored');
    const caught = collect(helper, 'caught');
    const detect = helper.getNode('detect')!;
    const points: any[] = readings(30);
    points[12]!.ts = points[11]!.ts; // repeated
    points[13]!.ts = points[5]!.ts; // backwards
    points[20]!.ts = T0 + 86_400_000; // a day-long gap
    points[21]!.ts = new Date(T0 + 86_401_000).toISOString();
    detect.receive({ payload: points });
    await until('scored', () => scored.length === 1);
    expect(scored[0].payload.map((p: any) => p.id)).toEqual(points.map((p) => p.id));
    expect(scored[0].payload.map((p: any) => p.ts)).toEqual(points.map((p) => p.ts));
    expect(scored[0].payload.filter((p: any) => p.anomaly)).toEqual([]);
    expect(allFinite(scored)).toBe(true);
    await sleep(50);
    expect(caught).toEqual([]);
  });

  it('refuses NaN and non-numeric values with done(err) naming them; the rest is scored and sent', async () => {
    await helper.load([anomalyDetect, catchNode], flow());
    const scored = collect(helper, 'scored');
    const caught = collect(helper, 'caught');
    const detect = helper.getNode('detect')!;
    const statuses: any[] = [];
    detect.on('call:status', ((call: any) => statuses.push(call.args[0])) as never);
    const points: any[] = readings(20);
    points[3] = { ...points[3], value: NaN };
    points[7] = { ...points[7], value: '61.5' };
    points[9] = { ...points[9], value: null };
    const { metric: _metric, ...noMetric } = points[11];
    points[11] = noMetric;
    points[14] = 42;
    detect.receive({ payload: points });
    await until('the refusal', () => caught.length === 1);
    expect(caught[0].error.message).toContain(
      'anomaly-detect: refused 5 of 20 points (the rest were scored): payload[3]: value must be a finite number (got NaN); ' +
        'payload[7]: value must be a finite number (got "61.5"); payload[9]: value must be a finite number (got null); ...',
    );
    // The Catch node gets the input as it came: payload[3] is the refused point.
    expect(caught[0].payload).toHaveLength(20);
    expect(caught[0].payload[3].value).toBeNaN();
    expect(scored).toHaveLength(1);
    expect(scored[0].payload).toHaveLength(15);
    expect(allFinite(scored)).toBe(true);
    await until('a red status', () => statuses.some((s) => s.fill === 'red'));

    detect.receive({ payload: 'hello' });
    await until('the second refusal', () => caught.length === 2);
    expect(caught[1].error.message).toMatch(
      /msg.payload must be a telemetry point or an array of points \(got "hello"\)/,
    );
    detect.receive({ payload: [{ ...readings(1)[0], value: Infinity }] });
    await until('the third refusal', () => caught.length === 3);
    // One point: nothing else was scored, so the message says no more than that.
    expect(caught[2].error.message).toBe(
      'Error: anomaly-detect: refused 1 of 1 point: payload[0]: value must be a finite number (got Infinity)',
    );
    expect(scored).toHaveLength(1); // nothing sent for a message with nothing to score

    // Good input turns the status green again.
    detect.receive({ payload: readings(1, ['cnc-01'], 20) });
    await until('scored again', () => scored.length === 2);
    await until('a green status', () => statuses.at(-1)?.fill === 'green');
  });

  it('keys series by the configured fields', async () => {
    await helper.load([anomalyDetect, catchNode], flow({ key: 'tenant/plant/line/machine/metric' }));
    const scored = collect(helper, 'scored');
    const caught = collect(helper, 'caught');
    const detect = helper.getNode('detect')!;
    const points: any[] = readings(12);
    // Same machine and metric in another plant: a different series, still warming up.
    points.push({ ...points[0], plant: 'plant-2' });
    points.push({ ...points[0], tenant: undefined });
    detect.receive({ payload: points });
    await until('the refusal', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(
      /payload\[13\]: tenant must be 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit \(got nothing\)/,
    );
    expect(scored[0].payload.at(-2)).toMatchObject({ warmingUp: false });
    expect(scored[0].payload.at(-1)).toMatchObject({ plant: 'plant-2', warmingUp: true });
  });

  it('refuses key fields that are not identifiers, so that no two series share a key', async () => {
    await helper.load([anomalyDetect, catchNode], flow({ warmup: '0' }));
    const scored = collect(helper, 'scored');
    const caught = collect(helper, 'caught');
    const detect = helper.getNode('detect')!;
    // Joined with '/', both would make the key a/b/c.
    const [one] = readings(1);
    detect.receive({
      payload: [
        { ...one, machine: 'a/b', metric: 'c' },
        { ...one, machine: 'a', metric: 'b/c' },
        { ...one, machine: '', metric: 'c' },
        { ...one, machine: 'a', metric: 'b' },
      ],
    });
    await until('the refusal', () => caught.length === 1);
    expect(caught[0].error.message).toContain(
      'anomaly-detect: refused 3 of 4 points (the rest were scored): ' +
        `payload[0]: machine must be ${IDENTIFIER_RULE} (got "a/b"); ` +
        `payload[1]: metric must be ${IDENTIFIER_RULE} (got "b/c"); ` +
        `payload[2]: machine must be ${IDENTIFIER_RULE} (got "")`,
    );
    expect(scored[0].payload).toEqual([expect.objectContaining({ machine: 'a', metric: 'b' })]);
  });

  it('holds at most the series cap, forgetting the least recently updated', async () => {
    await helper.load([anomalyDetect, catchNode], flow({ maxSeries: '10', warmup: '0' }));
    const scored = collect(helper, 'scored');
    const detect = helper.getNode('detect')!;
    const statuses: any[] = [];
    detect.on('call:status', ((call: any) => statuses.push(call.args[0])) as never);
    const machines = Array.from({ length: 100 }, (_, i) => `m-${i}`);
    detect.receive({ payload: readings(3, machines) });
    await until('scored', () => scored.length === 1);
    await until('the status', () => statuses.some((s) => /^10 series/.test(s.text)));
  });

  it('uses the detector defaults when threshold and warm-up are empty (ensemble: 0.6, 300 samples)', async () => {
    await helper.load([anomalyDetect, catchNode], flow({ detector: 'ensemble', threshold: '', warmup: '' }));
    const scored = collect(helper, 'scored');
    helper.getNode('detect')!.receive({ payload: readings(301) });
    await until('scored', () => scored.length === 1);
    expect(scored[0].anomaly).toEqual({ detector: 'ensemble', threshold: 0.6 });
    expect(scored[0].payload[299].warmingUp).toBe(true);
    expect(scored[0].payload[300].warmingUp).toBe(false);
  });

  it('keeps the ensemble warm-up at 300 samples at least, whatever is configured', async () => {
    await helper.load([anomalyDetect, catchNode], flow({ detector: 'ensemble', warmup: '20' }));
    const scored = collect(helper, 'scored');
    helper.getNode('detect')!.receive({ payload: readings(301) });
    await until('scored', () => scored.length === 1);
    expect(scored[0].payload[100].warmingUp).toBe(true);
    expect(scored[0].payload[300].warmingUp).toBe(false);
  });

  it('scores with the rarity short mean set: 0 scores the raw values alone, as the core does', async () => {
    const values = readings(400).map((p, i) => ({ ...p, value: i === 300 ? 61.2 : p.value }));
    const runs: number[][] = [];
    for (const smoothing of ['', '0']) {
      await helper.load(
        [anomalyDetect, catchNode],
        flow({ detector: 'rarity', threshold: '', warmup: '', smoothing }),
      );
      const scored = collect(helper, 'scored');
      helper.getNode('detect')!.receive({ payload: values });
      await until('scored', () => scored.length === 1);
      const core = new AnomalyDetector(new RarityDetector(smoothing === '0' ? { smoothing: 0 } : {}));
      runs.push(scored[0].payload.map((p: any) => p.score));
      expect(runs.at(-1)).toEqual(values.map((p) => core.score('s', p.value)));
      await helper.unload();
    }
    expect(runs[0]).not.toEqual(runs[1]);
  });

  it.each([
    [{ detector: 'rarity', smoothing: '1' }, /smoothing must be 0 or 2 or more/],
    [{ threshold: '2' }, /threshold must be a number from 0.01 to 1 \(got "2"\)/],
    [{ threshold: '0' }, /threshold must be a number from 0.01 to 1 \(got "0"\)/],
    [{ detector: 'magic' }, /unknown detector "magic" \(detectors: ewma, median-mad, ensemble, rarity\)/],
    [{ maxSeries: '0' }, /maxSeries must be a whole number of 1 or more/],
    [{ key: 'plant' }, /unknown series key "plant" \(keys: machine\/metric, line\/machine\/metric, /],
  ])('reports bad configuration %j on deploy and refuses input', async (config, reason) => {
    await helper.load([anomalyDetect, catchNode], flow(config));
    const caught = collect(helper, 'caught');
    const scored = collect(helper, 'scored');
    const detect = helper.getNode('detect')!;
    expect(helper.logged(20, 'detect').join('\n')).toMatch(reason);
    detect.receive({ payload: readings(1) });
    await until('the refusal', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/not configured/);
    expect(scored).toEqual([]);
  });
});

describe('anomaly-detect across redeploys and restarts', () => {
  let userDir = '';
  beforeAll(() => helper.startServer());
  beforeEach(() => {
    userDir = mkdtempSync(join(tmpdir(), 'plantwire-learned-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    helper.settings({ userDir: undefined });
    rmSync(userDir, { recursive: true, force: true });
  });
  afterAll(() => helper.stopServer());

  /** Noisy readings of three machines, the same on every call. */
  const noisy = (count: number) =>
    readings(count, ['cnc-01', 'cnc-02', 'press-01']).map((point, i) => ({
      ...point,
      value: (point.value as number) + Math.sin(i * 12.9898) * 3,
    }));
  const rarity = { detector: 'rarity', threshold: '0.5', warmup: '' };

  /** The scores of `points` sent in one message to a freshly loaded flow. */
  async function scoresOf(config: Record<string, unknown>, points: unknown[]) {
    await helper.load([anomalyDetect, catchNode], flow(config));
    const scored = collect(helper, 'scored');
    helper.getNode('detect')!.receive({ payload: points });
    await until('scored', () => scored.length === 1);
    await helper.unload(); // saves what was learned
    return scored[0].payload as any[];
  }

  it('keeps what a node with a hand-written id (/ and ..) learned in one file inside plantwire-learned', async () => {
    const id = '../plant/detector';
    await helper.load([anomalyDetect], [{ ...flow(rarity)[0], id, wires: [[], []] }]);
    helper.getNode(id)!.receive({ payload: noisy(30) });
    await sleep(200);
    await helper.unload();
    expect(readdirSync(join(userDir, 'plantwire-learned'))).toEqual(['%2E%2E%2Fplant%2Fdetector.json']);
    expect(readdirSync(userDir)).toEqual(['plantwire-learned']);
  });

  it('keeps what every series learned: after a redeploy the scores go on as if there had been none', async () => {
    const points = noisy(400);
    const split = 3 * 250;
    await scoresOf(rarity, points.slice(0, split));
    expect(existsSync(join(userDir, 'plantwire-learned', 'detect.json'))).toBe(true);
    // A new threshold only judges the scores: what was learned is kept.
    const after = await scoresOf({ ...rarity, threshold: '0.6' }, points.slice(split));
    expect(after[0].warmingUp).toBe(false);

    helper.settings({ userDir: mkdtempSync(join(tmpdir(), 'plantwire-learned-')) });
    const uninterrupted = await scoresOf({ ...rarity, threshold: '0.6' }, points);
    expect(after.map((p) => p.score)).toEqual(uninterrupted.slice(split).map((p) => p.score));
  });

  it('starts afresh, and says so, after a redeploy with another detector', async () => {
    await scoresOf(rarity, noisy(200));
    const after = await scoresOf({ detector: 'ewma' }, noisy(1));
    expect(after[0].warmingUp).toBe(true);
    expect(helper.logged(30, 'detect').join('\n')).toMatch(
      /anomaly-detect: .*detect\.json was saved with other settings or another version; starting empty/,
    );
  });

  it('forgets the series msg.reset names (as after a repair): they warm up again, the others go on', async () => {
    await helper.load([anomalyDetect, catchNode], flow());
    const scored = collect(helper, 'scored');
    const caught = collect(helper, 'caught');
    const detect = helper.getNode('detect')!;
    detect.receive({ payload: readings(20, ['cnc-01', 'cnc-02']) });
    detect.receive({ reset: 'cnc-01/*', payload: readings(1, ['cnc-01']) });
    detect.receive({ payload: readings(1, ['cnc-01', 'cnc-02'], 20) });
    await until('the points after the reset', () => scored.length === 2);
    // The reset message itself goes no further, its payload untouched.
    expect(scored[1].payload.map((p: any) => [p.machine, p.warmingUp])).toEqual([
      ['cnc-01', true],
      ['cnc-02', false],
    ]);

    detect.receive({ reset: 42 });
    detect.receive({ reset: 'cnc-01/metric/x' });
    await until('the refusals', () => caught.length === 2);
    expect(caught.map((m: any) => m.error.message)).toEqual([
      'Error: anomaly-detect: msg.reset must be true or a series pattern such as "cnc-01/*" (got 42); nothing was forgotten',
      'Error: anomaly-detect: msg.reset "cnc-01/metric/x" has 3 segments but the key has 2: choose a longer key; nothing was forgotten',
    ]);
    detect.receive({ reset: true });
    detect.receive({ payload: readings(1, ['cnc-02'], 21) });
    await until('the point after forgetting all', () => scored.length === 3);
    expect(scored[2].payload[0].warmingUp).toBe(true);
  });

  it('moves a saved file that does not fit aside, with a warning, and starts every series afresh', async () => {
    await scoresOf(rarity, noisy(200));
    const path = join(userDir, 'plantwire-learned', 'detect.json');
    const saved = JSON.parse(readFileSync(path, 'utf8'));
    saved.state[1].numbers = saved.state[1].numbers.slice(0, 32);
    writeFileSync(path, JSON.stringify(saved));

    const after = await scoresOf(rarity, noisy(1));
    expect(after[0].warmingUp).toBe(true);
    expect(helper.logged(30, 'detect').join('\n')).toMatch(
      /detect\.json was unreadable \(the state holds \d+ numbers, the saved one 3\); moved to .*detect\.json\.corrupt-\d+/,
    );
    expect(readdirSync(join(userDir, 'plantwire-learned')).some((name) => name.includes('.corrupt-'))).toBe(
      true,
    );
  });
});

// npm run bench:rules: the rule nodes of @plantwire/node-red-rules. Prints one JSON line:
//   threshold_evals_per_s        points evaluated per second by the pure alarm engine, arrays of 1,000, 1,000
//                                machines x 4 metrics, limit + composite rules, ~1% of points changing an
//                                alarm (goal >= 2,000,000)
//   threshold_node_points_per_s  the same points through a threshold-alarm node in Node-RED, arrays of 1,000,
//                                counted when each message is done (goal >= 1,000,000)
// Each part adds its figures to one result object, printed once at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlarmEngine } from '@plantwire/node-red-rules';
import { teardown } from '@plantwire/testkit';
import { measureAnomaly } from './rules-anomaly.mjs';

const require = createRequire(import.meta.url);
const THRESHOLD_POINTS = Number(process.env.BENCH_THRESHOLD_POINTS ?? 4_000_000);
const log = (line) => process.stderr.write(`[bench:rules] ${line}\n`);
const rate = (points, startedNs) => Math.round(points / (Number(process.hrtime.bigint() - startedNs) / 1e9));

const T0 = 1_767_225_600_000;
const METRICS = ['temperature', 'vibration', 'pressure', 'power'];
const ALARM_RULES = [
  { name: 'temp-high', match: 'temperature', mode: 'above', warning: 80, critical: 90, deadband: 2 },
  {
    name: 'vibration',
    match: 'vibration',
    mode: 'above',
    warning: 7,
    critical: 11,
    deadband: '1%',
    range: [0, 50],
  },
  { name: 'pressure', match: 'pressure', mode: 'outside', warning: [2, 8], onDelayS: 5 },
  {
    name: 'bearing',
    all: [
      { metric: 'temperature', above: 80 },
      { metric: 'vibration', above: 7 },
    ],
  },
];

/** Arrays of 1,000 schema-v1-shaped points; one series in 100 swings across its limits now and then. */
function alarmBatches(count) {
  const batches = [];
  for (let b = 0; b < count; b++) {
    const batch = new Array(1000);
    for (let i = 0; i < 1000; i++) {
      const n = b * 1000 + i;
      const metric = METRICS[i % 4];
      const swinging = i % 100 === 0 && (b >> 2) % 2 === 0;
      const value = { temperature: 60, vibration: 3, pressure: 5, power: 20 }[metric] * (swinging ? 1.6 : 1);
      batch[i] = {
        ts: T0 + n,
        id: '0195fd1c-6a5b-7d3e-9f10-000000000000',
        tenant: 'acme',
        plant: 'plant-1',
        line: `line-${i % 10}`,
        machine: `m-${(i >> 2) % 250}-${b % 4}`,
        metric,
        value: value + (n % 7) / 10,
        unit: '',
        q: 100,
      };
    }
    batches.push(batch);
  }
  return batches;
}

function thresholdCore(batches) {
  const engine = new AlarmEngine({ rules: ALARM_RULES, flood: { count: 0, windowS: 600 } });
  const rounds = Math.max(1, Math.round(THRESHOLD_POINTS / (batches.length * 1000)));
  for (const batch of batches) engine.evaluate(batch); // warm up
  engine.takeEvents();
  let events = 0;
  const started = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    for (const batch of batches) {
      engine.evaluate(batch);
      events += engine.takeEvents().length;
    }
  }
  const figure = rate(rounds * batches.length * 1000, started);
  log(`core: ${figure} points/s, ${events} events`);
  return figure;
}

async function thresholdNode(batches) {
  const helper = require('node-red-node-test-helper');
  helper.init(require.resolve('node-red'));
  const thresholdAlarm = require('@plantwire/node-red-rules/dist/nodes/threshold-alarm/threshold-alarm.js');
  // Removed at the end, or when the run is stopped (Ctrl-C, SIGTERM).
  const parts = teardown();
  const userDir = mkdtempSync(join(tmpdir(), 'plantwire-bench-rules-'));
  parts.defer(() => rmSync(userDir, { recursive: true, force: true }));
  try {
    helper.settings({ userDir });
    await helper.startServer();
    parts.defer(() => helper.stopServer());
    await helper.load(thresholdAlarm, [
      {
        id: 'alarm',
        type: 'threshold-alarm',
        rules: JSON.stringify(ALARM_RULES),
        floodCount: '0',
        wires: [['events'], ['list']],
      },
      { id: 'events', type: 'helper' },
      { id: 'list', type: 'helper' },
    ]);
    const alarm = helper.getNode('alarm');
    const rounds = Math.max(1, Math.round(THRESHOLD_POINTS / 2 / (batches.length * 1000)));
    const total = rounds * batches.length;
    // Messages are handled in order: when the answer to a `list` command arrives, every array before it is done.
    const drained = () =>
      new Promise((resolve) => {
        helper.getNode('list').once('input', resolve);
        alarm.receive({ control: { command: 'list' } });
      });
    for (let r = 0; r < 3; r++) {
      for (const batch of batches) alarm.receive({ payload: batch }); // warm up (the JIT), not counted
      await drained();
    }
    // One array per event-loop turn, as an upstream node sending as fast as it can.
    const started = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) {
      for (const batch of batches) {
        alarm.receive({ payload: batch });
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    await drained();
    const figure = rate(total * 1000, started);
    log(`node: ${figure} points/s`);
    await helper.unload();
    return figure;
  } finally {
    await parts.close();
  }
}

async function thresholdFigures() {
  const batches = alarmBatches(200);
  return {
    threshold_evals_per_s: thresholdCore(batches),
    threshold_node_points_per_s: await thresholdNode(batches),
  };
}

const result = {};
for (const figures of [thresholdFigures, measureAnomaly]) Object.assign(result, await figures());
console.log(JSON.stringify({ ...result, node: process.version }));
process.exit(0);

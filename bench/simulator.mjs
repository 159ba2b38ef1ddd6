// npm run bench:simulator: the machine simulator, alone and inside Node-RED. Prints one JSON line:
//   engine_points_per_s           the pure engine generating a backfill (goal >= 2,000,000)
//   node_points_per_s             machine-sim backfilling through the Node-RED runtime in arrays (goal >= 1,000,000)
//   realtime_10k_machines_cpu_pct 10,000 machines sampled at 1 Hz in Node-RED, CPU of one core (goal <= 25)
import { createRequire } from 'node:module';
import { PlantSimulator, parseConfig } from '@plantwire/node-red-simulator';

const require = createRequire(import.meta.url);
const MONDAY = Date.UTC(2026, 0, 5, 8);
const REALTIME_SECONDS = Number(process.env.BENCH_REALTIME_SECONDS ?? 10);

function engine() {
  // 100 machines, 2 hours at 2 s: 3.3M points.
  const config = parseConfig({ seed: 1, lines: 10, machinesPerLine: 10, intervalMs: 2000 });
  for (const _ of PlantSimulator.backfill(config, MONDAY, MONDAY + 600_000)); // warm up
  let points = 0;
  const started = process.hrtime.bigint();
  for (const batch of PlantSimulator.backfill(config, MONDAY, MONDAY + 2 * 3_600_000))
    points += batch.points.length;
  return Math.round(points / (Number(process.hrtime.bigint() - started) / 1e9));
}

const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));
const machineSim = require('@plantwire/node-red-simulator/dist/nodes/machine-sim/machine-sim.js');

const simDef = (extra) => ({
  id: 'sim',
  type: 'machine-sim',
  tenant: 'acme',
  plant: 'plant-1',
  machineTypes: 'cnc,press,conveyor,pump',
  seed: '1',
  output: 'array',
  wires: [['sink'], [], []],
  ...extra,
});

/** Counts points arriving at the end of the wire, as a flow's next node would see them. */
function countingSink(node) {
  let points = 0;
  node.on('input', (msg) => (points += msg.payload.length));
  return () => points;
}

async function nodeBackfill() {
  await helper.load(
    [machineSim, require('@node-red/nodes/core/common/24-complete.js')],
    [
      simDef({ lines: '10', machinesPerLine: '10', interval: '2', autostart: false }),
      { id: 'sink', type: 'helper' },
      { id: 'completer', type: 'complete', scope: ['sim'], uncaught: false, wires: [['finished']] },
      { id: 'finished', type: 'helper' },
    ],
  );
  const count = countingSink(helper.getNode('sink'));
  const finished = new Promise((resolve) => helper.getNode('finished').on('input', resolve));
  const started = process.hrtime.bigint();
  helper.getNode('sim').receive({ payload: { cmd: 'backfill', from: MONDAY, to: MONDAY + 2 * 3_600_000 } });
  await finished;
  const rate = Math.round(count() / (Number(process.hrtime.bigint() - started) / 1e9));
  await helper.unload();
  return rate;
}

/**
 * CPU and points of 10,000 machines at 1 Hz over REALTIME_SECONDS ticks: from one tick's arrival at the end of
 * the wire to the arrival REALTIME_SECONDS ticks later, divided by the span of those ticks' own times (a window of
 * wall-clock time catches one tick more or less than it spans: 10% of a 10 s window, double in a 1 s one).
 */
async function realtime() {
  await helper.load(machineSim, [
    simDef({ lines: '100', machinesPerLine: '100', interval: '1', autostart: true }),
    { id: 'sink', type: 'helper' },
  ]);
  // Each array (one a tick) as it arrives: the tick's time (its points'), the CPU this process had used by its
  // arrival, and its points.
  const ticks = [];
  let arrived = () => {};
  helper.getNode('sink').on('input', (msg) => {
    ticks.push({ ts: msg.payload[0].ts, cpu: process.cpuUsage(), points: msg.payload.length });
    arrived();
  });
  await new Promise((resolve) => setTimeout(resolve, 2000)); // let the first ticks settle
  const first = ticks.length;
  const last = first + REALTIME_SECONDS;
  await new Promise((resolve, reject) => {
    const late = setTimeout(
      () => reject(new Error(`${ticks.length - first} of ${REALTIME_SECONDS + 1} ticks arrived in time`)),
      (REALTIME_SECONDS + 10) * 1000,
    );
    arrived = () => ticks.length > last && (clearTimeout(late), resolve());
  });
  await helper.unload();
  const [from, to] = [ticks[first], ticks[last]];
  const span = (to.ts - from.ts) * 1000;
  const used = to.cpu.user - from.cpu.user + (to.cpu.system - from.cpu.system);
  // The points of the ticks after the first: the ones made in the span measured.
  const points = ticks.slice(first + 1, last + 1).reduce((sum, tick) => sum + tick.points, 0);
  return {
    pct: Math.round((used / span) * 1000) / 10,
    pointsPerS: Math.round(points / (span / 1e6)),
  };
}

const engine_points_per_s = engine();
await helper.startServer();
const node_points_per_s = await nodeBackfill();
const live = await realtime();
await helper.stopServer();
console.log(
  JSON.stringify({
    engine_points_per_s,
    node_points_per_s,
    realtime_10k_machines_cpu_pct: live.pct,
    realtime_10k_machines_points_per_s: live.pointsPerS,
    node: process.version,
  }),
);
process.exit(0);

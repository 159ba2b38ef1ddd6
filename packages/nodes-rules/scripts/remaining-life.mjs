// Scores the forecast's remaining useful life against the machine simulator's ground truth: a machine kept RUNNING
// gets a tool_wear or bearing_fault, its vibration goes through the same Forecaster the forecast node uses, and
// half-way to the limit the estimate is compared with the simulator's own wear or damage state. Also: how often
// remaining life falls under an hour on a healthy plant (shifts, stops, load changes, no fault), and when the demo
// edge's remaining-life alarm would rise on tool wear. Used by `npm run nab -- --rul` and test/forecast.test.ts.
import { PlantSimulator, parseCommand, parseConfig } from '@plantwire/node-red-simulator';
import { Forecaster } from '../dist/index.js';

const HOUR_MS = 3_600_000;
/** Early warnings count from a remaining life under an hour until it is back over two. */
const WARN_S = 3_600;
const CLEAR_S = 7_200;
/** The demo's remaining-life alarm turns critical under 15 minutes. */
const CRITICAL_S = 900;
/** The forecaster's early-warning horizon: a remaining life this long or longer is no warning. */
const WARN_WITHIN_S = 24 * 3600;

/** A forecaster of one metric, vibration, with its limit, as the forecast node builds it. */
function vibrationForecaster(limit) {
  return new Forecaster({
    key: 'machine/metric',
    horizonS: 3600,
    steps: 1,
    coverage: 0.95,
    limits: { vibration: limit },
    warnS: WARN_WITHIN_S,
    warmup: 30,
    maxSeries: 10,
  });
}

/**
 * Runs a plant whose machines stay RUNNING, sampled every `intervalMs`, injects `kind` on one machine two hours in
 * until the first point past half-way to the limit, then feeds that machine's vibration to a Forecaster with the
 * limit above its healthy level. tool_wear's limit is where the tool breaks (+2.5 mm/s, 1,800 s of running);
 * bearing_fault's is half the fault's full vibration (reached 300 s in). Returns, at that point, the true and the
 * estimated remaining life (s; the estimate Infinity when no warning is given yet).
 * @param {'tool_wear' | 'bearing_fault'} kind
 * @param {number} seed
 * @param {number} intervalMs
 */
export function remainingLifeAtHalfWay(kind, seed, intervalMs) {
  const config = parseConfig({ lines: 1, machinesPerLine: 4, intervalMs, seed, dwellS: { RUNNING: 1e7 } });
  const start = Date.UTC(2026, 0, 5, 8);
  const plant = new PlantSimulator(config, start);
  const machine = plant.machines[seed % 4];
  // The share of the fault's full vibration at which the machine counts as failed.
  const failAt = kind === 'tool_wear' ? 1 : 0.5;
  // The machine's vibration, and for the point past half-way the truth from the simulator's own state: wear level
  // and bearing damage, both linear in time.
  const points = [];
  let truth = NaN;
  let sum = 0;
  let healthy = 0;
  const tick = [];
  let injected = false;
  for (let ts = start + intervalMs; Number.isNaN(truth); ts += intervalMs) {
    if (!injected && ts >= start + 2 * HOUR_MS) {
      injected = true;
      const command = { cmd: kind, value: true, line: machine.line, machine: machine.name, duration: 1800 };
      plant.command(parseCommand(command), ts);
    }
    tick.length = 0;
    plant.tick(ts, tick);
    plant.drainEvents();
    const point = tick.find((p) => p.machine === machine.name && p.metric === 'vibration');
    if (!point) continue;
    points.push(point);
    if (!injected) {
      sum += point.value;
      healthy++;
    }
    const done = kind === 'tool_wear' ? machine.wear.level : machine.bearing.level / failAt;
    if (done >= 0.5)
      truth =
        kind === 'tool_wear'
          ? (1 - machine.wear.level) * machine.wear.lifeS
          : (failAt - machine.bearing.level) * machine.bearing.rampS;
  }
  const forecaster = vibrationForecaster(
    sum / healthy + failAt * (kind === 'tool_wear' ? 2.5 : machine.bearing.vibrationMmS),
  );
  let estimate = NaN;
  for (const point of points) estimate = forecaster.forecast(point).point.rulS;
  return { truth, estimate: estimate >= WARN_WITHIN_S ? Infinity : estimate };
}

/**
 * Episodes of a remaining life under an hour on a healthy plant's running vibration (2 lines x 4 machines, no
 * fault), counted from `fromHour` to `hours`. Running points only, from 5 minutes after a start, as the examples
 * feed them; each machine's limit is 2.5 mm/s above its first 200 such values (where its tool would break).
 * `warnings` are the false early warnings; `atLimit` the episodes that began at 0, the vibration's level at the
 * limit: a machine whose first values were low (a sensor reading 0 for a while) gets a limit inside its healthy
 * range, and reaching it is no false warning.
 */
export function falseWarnings(seed, intervalMs, hours, fromHour = 0) {
  const start = Date.UTC(2026, 0, 5);
  const plant = new PlantSimulator(parseConfig({ lines: 2, machinesPerLine: 4, intervalMs, seed }), start);
  const runningSince = new Map();
  const forecasters = new Map();
  const healthy = new Map();
  const warned = new Set();
  let warnings = 0;
  let atLimit = 0;
  const tick = [];
  for (let ts = start + intervalMs; ts <= start + hours * HOUR_MS; ts += intervalMs) {
    tick.length = 0;
    plant.tick(ts, tick);
    for (const event of plant.drainEvents())
      if (event.type === 'state') runningSince.set(event.machine, event.state === 'RUNNING' ? ts : Infinity);
    for (const point of tick) {
      const machine = point.machine;
      if (point.metric !== 'vibration' || ts - (runningSince.get(machine) ?? start) < 300_000) continue;
      const sums = healthy.get(machine) ?? [0, 0];
      healthy.set(machine, sums);
      if (sums[1] < 200) {
        sums[0] += point.value;
        if (++sums[1] === 200) forecasters.set(machine, vibrationForecaster(sums[0] / 200 + 2.5));
      }
      const rul = forecasters.get(machine)?.forecast(point).point.rulS;
      if (rul === undefined || ts < start + fromHour * HOUR_MS) continue;
      if (rul < WARN_S && !warned.has(machine)) {
        if (rul === 0) atLimit++;
        else warnings++;
        warned.add(machine);
      } else if (rul > CLEAR_S) warned.delete(machine);
    }
  }
  return { warnings, atLimit };
}

/** Relative errors of remaining life at half-way (Infinity: not yet warned), sorted, and how many are within 20%. */
export function relativeErrors(kind, seeds, intervalMs) {
  const errors = seeds
    .map((seed) => {
      const { truth, estimate } = remainingLifeAtHalfWay(kind, seed, intervalMs);
      return Math.abs(estimate - truth) / truth;
    })
    .sort((a, b) => a - b);
  return { errors, within: errors.filter((e) => e <= 0.2).length };
}

/** A plant like the demo's (3 lines x 3 machines: cnc, press, pump, every 2 s), kept running, from a Monday 06:00. */
export function demoPlant(seed) {
  const config = parseConfig({
    lines: 3,
    machinesPerLine: 3,
    machineTypes: 'cnc,press,pump',
    intervalMs: 2000,
    seed,
    dwellS: { RUNNING: 1e7 },
  });
  const start = Date.UTC(2026, 0, 5, 6);
  return { plant: new PlantSimulator(config, start), start };
}

/**
 * The demo edge's case: the demo's plant (demoPlant), three healthy hours, then tool wear on line-02's machine of `type` until the tool breaks; every machine's
 * vibration goes through one Forecaster with `limits` (the demo's, by series pattern; key line/machine/metric).
 * Returns the minutes from the wear's start to the first remaining life under an hour and under 15 minutes, the
 * minutes from the latter to the break, and the points of healthy machines whose remaining life was under an hour.
 */
export function demoToolWear(type, seed, limits) {
  const { plant, start } = demoPlant(seed);
  const target = plant.machines.find((m) => m.line === 'line-02' && m.name.startsWith(type));
  const forecaster = new Forecaster({
    key: 'line/machine/metric',
    horizonS: 3600,
    steps: 1,
    coverage: 0.95,
    limits,
    warnS: CLEAR_S,
    warmup: 30,
    maxSeries: 100,
  });
  const wearAt = start + 3 * HOUR_MS;
  let brokeAt = NaN;
  let warnedAt = NaN;
  let criticalAt = NaN;
  let healthyWarningPoints = 0;
  const tick = [];
  for (let ts = start + 2000; Number.isNaN(brokeAt); ts += 2000) {
    if (ts === wearAt)
      plant.command(
        parseCommand({ cmd: 'tool_wear', value: true, line: target.line, machine: target.name }),
        ts,
      );
    tick.length = 0;
    plant.tick(ts, tick);
    for (const event of plant.drainEvents())
      if (event.fault === 'tool_wear' && event.phase === 'end') brokeAt = ts;
    for (const point of tick) {
      if (point.metric !== 'vibration') continue;
      const rul = forecaster.forecast(point).point.rulS;
      if (!(rul < WARN_S)) continue;
      if (point.machine !== target.name || point.line !== target.line || ts < wearAt) healthyWarningPoints++;
      else {
        if (Number.isNaN(warnedAt)) warnedAt = ts;
        if (Number.isNaN(criticalAt) && rul < CRITICAL_S) criticalAt = ts;
      }
    }
  }
  return {
    warningMin: (warnedAt - wearAt) / 60_000,
    criticalMin: (criticalAt - wearAt) / 60_000,
    criticalBeforeBreakMin: (brokeAt - criticalAt) / 60_000,
    healthyWarningPoints,
  };
}

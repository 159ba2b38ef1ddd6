// Scores the detectors against the machine simulator's ground truth: a plant runs for some simulated days, a
// bearing_fault or tool_wear is injected every few hours on a machine picked in turn, every gauge point goes
// through the same AnomalyDetector the node uses (series key machine/metric), and the flags are compared with
// the simulator's fault events. Used by `npm run nab -- --simulator`.
import { GAUGE_METRICS, PlantSimulator, parseCommand, parseConfig } from '@plantwire/node-red-simulator';
import { AnomalyDetector, createDetector } from '../dist/index.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** Flags on one machine closer together than this are one alarm (what an operator would see). */
const ALARM_MERGE_MS = 10 * MINUTE;
/** After a fault ends its effects fade (the bearing cools over about 10 minutes): flags then are not false. */
const FADE_MS = 15 * MINUTE;
/** A false alarm this close after a state change (RUNNING, IDLE, SETUP, ERROR...) is counted as "at a state change". */
const STATE_CHANGE_MS = 5 * MINUTE;
/** With runningOnly: the time a machine needs after entering RUNNING before its points are scored. */
const RUNNING_SETTLE_MS = 5 * MINUTE;

/**
 * With `runningOnly`, points are scored only while their machine has been RUNNING for RUNNING_SETTLE_MS (as a
 * switch node on the state metric would do): idle, setup and error spells change power, speed and vibration
 * abruptly and are known from the state, not anomalies.
 * @param {{ detector: string, days?: number, intervalS?: number, seed?: number, metrics?: readonly string[], runningOnly?: boolean, threshold?: number, smoothing?: number }} options
 */
export function scoreSimulatorFaults({
  detector,
  days = 3,
  intervalS = 10,
  seed = 42,
  metrics = GAUGE_METRICS,
  runningOnly = false,
  threshold: flagAt,
  smoothing,
}) {
  const config = parseConfig({ lines: 2, machinesPerLine: 4, intervalMs: intervalS * 1000, seed });
  const start = Date.UTC(2026, 0, 5, 0); // a Monday
  const end = start + days * 24 * HOUR;
  const plant = new PlantSimulator(config, start);
  const scorer = new AnomalyDetector(createDetector(detector, { smoothing }), { maxSeries: 10_000 });
  const threshold = flagAt ?? scorer.detector.defaultThreshold;
  const machines = plant.machines.map((m) => ({ line: m.line, machine: m.name }));
  const wanted = new Set(metrics);

  // Faults from 02:37 on (after every detector's warm-up), every 4 hours, on each machine in turn, alternating
  // kinds; each round over the machines swaps the kinds, so both kinds meet every machine type.
  const schedule = [];
  // Off the hour: the plant load steps at shift changes (06:00, 14:00, 22:00) would otherwise coincide with them.
  for (let at = start + 2 * HOUR + 37 * MINUTE, n = 0; at < end - 2 * HOUR; at += 4 * HOUR, n++) {
    const target = machines[n % machines.length];
    const round = Math.floor(n / machines.length);
    const kind = (n + round) % 2 === 0 ? 'bearing_fault' : 'tool_wear';
    schedule.push({
      at,
      command: { cmd: kind, value: true, ...target, duration: kind === 'bearing_fault' ? 3600 : 1800 },
    });
  }

  const flags = new Map(machines.map((m) => [`${m.line}/${m.machine}`, []]));
  const faults = [];
  const open = new Map();
  const stateChanges = new Map(machines.map((m) => [`${m.line}/${m.machine}`, []]));
  const runningSince = new Map(machines.map((m) => [`${m.line}/${m.machine}`, start]));
  let updates = 0;
  const points = [];
  for (let ts = start + config.intervalMs; ts <= end; ts += config.intervalMs) {
    while (schedule.length > 0 && schedule[0].at <= ts)
      plant.command(parseCommand(schedule.shift().command), ts);
    points.length = 0;
    plant.tick(ts, points);
    for (const event of plant.drainEvents()) {
      const key = `${event.line}/${event.machine}`;
      if (event.type === 'state') {
        stateChanges.get(key).push(event.ts);
        runningSince.set(key, event.state === 'RUNNING' ? event.ts : Infinity);
      } else if (event.phase === 'start') {
        const fault = { kind: event.fault, key, start: event.ts, end: Infinity };
        faults.push(fault);
        open.set(`${key}:${event.fault}`, fault);
      } else {
        const fault = open.get(`${key}:${event.fault}`);
        if (fault) fault.end = event.ts;
      }
    }
    for (const point of points) {
      if (!wanted.has(point.metric)) continue;
      if (runningOnly && point.ts - runningSince.get(`${point.line}/${point.machine}`) < RUNNING_SETTLE_MS)
        continue;
      updates++;
      const score = scorer.score(`${point.machine}/${point.metric}`, point.value);
      if (!scorer.warming && score >= threshold) flags.get(`${point.line}/${point.machine}`).push(point.ts);
    }
  }

  const byKind = {};
  for (const fault of faults) {
    const kindFigures = (byKind[fault.kind] ??= { injected: 0, detected: 0, beforeEnd: 0, delaysS: [] });
    kindFigures.injected++;
    const first = flags
      .get(fault.key)
      .find((ts) => ts >= fault.start && ts <= Math.min(fault.end, end) + FADE_MS);
    if (first !== undefined) {
      kindFigures.detected++;
      // Before the fault ended: for tool_wear, before the tool broke.
      if (first < fault.end) kindFigures.beforeEnd++;
      kindFigures.delaysS.push((first - fault.start) / 1000);
    }
  }
  let falseAlarms = 0;
  let atStateChange = 0;
  for (const [key, times] of flags) {
    const mine = faults.filter((f) => f.key === key);
    let last = -Infinity;
    for (const ts of times) {
      const merged = ts - last < ALARM_MERGE_MS;
      last = ts;
      if (merged || mine.some((f) => ts >= f.start && ts <= f.end + FADE_MS)) continue;
      falseAlarms++;
      if (stateChanges.get(key).some((at) => ts >= at && ts - at <= STATE_CHANGE_MS)) atStateChange++;
    }
  }
  const machineDays = machines.length * days;
  const median = (xs) => {
    if (xs.length === 0) return null;
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  return {
    detector,
    threshold,
    ...(smoothing === undefined ? {} : { smoothing }),
    metrics: [...wanted],
    running_only: runningOnly,
    machines: machines.length,
    days,
    intervalS,
    updates,
    faults: Object.fromEntries(
      Object.entries(byKind).map(([kind, f]) => [
        kind,
        {
          injected: f.injected,
          detected: f.detected,
          detected_before_end: f.beforeEnd,
          median_delay_s: median(f.delaysS),
          max_delay_s: f.delaysS.length ? Math.max(...f.delaysS) : null,
        },
      ]),
    ),
    false_alarms_per_machine_day: Number((falseAlarms / machineDays).toFixed(2)),
    false_alarms_at_state_changes_share: falseAlarms ? Number((atStateChange / falseAlarms).toFixed(2)) : 0,
  };
}

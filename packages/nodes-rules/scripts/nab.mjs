#!/usr/bin/env node
// npm run nab -- [--data DIR] [--windows FILE] [--out DIR] [--detector NAME[,NAME...]] [--files] [--quick]
// Runs the package's detectors (the built dist/, the same code as the anomaly-detect node) over a NAB-layout
// corpus (default ../shared/nab), writes <out>/<detector>/<category>/<file>.csv and prints NAB's normalised
// scores for each profile at each detector's defaults. Then (unless --quick) the honest figure: the `rarity`
// detector's parameters and threshold chosen by leave-one-category-out cross-validation over RARITY_GRID, the
// standard score of each real category scored with what was chosen on the others, pooled, and the best
// full-corpus (in-sample) score next to it.
// npm run nab -- --simulator [--days N] [--seed N] [--detector ...] [--threshold S] [--smoothing N]: detection delay and false alarms per machine-day
// against the machine simulator's injected bearing_fault and tool_wear (see simulator-faults.mjs).
// npm run nab -- --rul [--seeds FIRST-LAST] [--healthy-seeds FIRST-LAST] [--days N] [--demo-seeds FIRST-LAST]: the
// forecast's remaining life against the simulator's truth, its false early warnings on healthy plants, and the
// demo edge's remaining-life alarms on tool wear with its limits (see remaining-life.mjs).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { crossValidate, loadCorpus, NAB_PROFILES, RarityDetector, runNab } from '../dist/dev.js';
import { createDetector, DETECTOR_NAMES } from '../dist/index.js';

/** The coarse grid searched: bins x back-off x smoothing (16 candidates; half-life 1,000, rest 100). */
const RARITY_GRID = [12, 16].flatMap((bins) =>
  [16, 64].flatMap((backoff) =>
    [0, 10, 20, 40].map((smoothing) => ({ bins, halfLife: 1000, backoff, smoothing, rest: 100 })),
  ),
);

const usage =
  'usage: npm run nab -- [--data DIR] [--windows FILE] [--out DIR] [--detector NAME[,NAME...]] [--files] [--quick]\n' +
  '       npm run nab -- --simulator [--days N] [--seed N] [--detector NAME[,NAME...]] [--threshold SCORE] [--smoothing N]\n' +
  '       npm run nab -- --rul [--seeds FIRST-LAST] [--healthy-seeds FIRST-LAST] [--days N] [--demo-seeds FIRST-LAST]\n' +
  `detectors: ${DETECTOR_NAMES.join(', ')} (default: all)`;
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      data: { type: 'string', default: '../shared/nab/data' },
      windows: { type: 'string', default: '../shared/nab/labels/combined_windows.json' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      detector: { type: 'string' },
      files: { type: 'boolean', default: false },
      simulator: { type: 'boolean', default: false },
      rul: { type: 'boolean', default: false },
      seeds: { type: 'string', default: '1001-1200' },
      'healthy-seeds': { type: 'string', default: '3-8' },
      'demo-seeds': { type: 'string', default: '11-40' },
      days: { type: 'string', default: '3' },
      seed: { type: 'string', default: '42' },
      threshold: { type: 'string' },
      smoothing: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
if (args.help) {
  console.error(usage);
  process.exit(args.help ? 0 : 2);
}
const detectors = args.detector ? args.detector.split(',') : DETECTOR_NAMES;
const unknown = detectors.filter((name) => !DETECTOR_NAMES.includes(name));
if (unknown.length > 0) {
  console.error(`no detector ${unknown.join(', ')}\n${usage}`);
  process.exit(2);
}

// Both simulator runs take --days: faults start 02:37 in, one every 4 hours, the kinds alternating, so half a day
// holds one of each; a healthy plant's first 6 hours are its forecasters' warm-up.
const days = Number(args.days);
const daysProblem = !(days >= 0.5) && `--days must be a number of at least 0.5 (got ${args.days})`;

/** "FIRST-LAST" (or one seed) as the list of seeds, or undefined when it is not a range of whole numbers. */
function seedRange(text) {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  const [first, last] = match ? [Number(match[1]), Number(match[2] ?? match[1])] : [NaN, NaN];
  if (!(first <= last && last < 2 ** 32)) return undefined;
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

if (args.rul) {
  const { demoToolWear, falseWarnings, relativeErrors } = await import('./remaining-life.mjs');
  const seeds = seedRange(args.seeds);
  const healthySeeds = seedRange(args['healthy-seeds']);
  const demoSeeds = seedRange(args['demo-seeds']);
  const bad = [
    daysProblem,
    !seeds &&
      `--seeds must be a seed or a range FIRST-LAST of seeds from 0 to 4294967295 (got ${args.seeds})`,
    !healthySeeds &&
      `--healthy-seeds must be a seed or a range FIRST-LAST of seeds from 0 to 4294967295 (got ${args['healthy-seeds']})`,
    !demoSeeds &&
      `--demo-seeds must be a seed or a range FIRST-LAST of seeds from 0 to 4294967295 (got ${args['demo-seeds']})`,
  ].filter(Boolean);
  if (bad.length > 0) {
    console.error(`${bad.join('\n')}\n${usage}`);
    process.exit(2);
  }
  const intervals = [2_000, 10_000];
  console.log(
    `remaining life on the simulator half-way to the limit, seeds ${args.seeds}: runs within 20% of the truth (a run not yet warned counts as a miss)`,
  );
  console.log('  fault          sampling  within 20%  median error  90th percentile  not yet warned');
  const rul = { seeds: args.seeds };
  for (const kind of ['tool_wear', 'bearing_fault']) {
    rul[kind] = {};
    for (const intervalMs of intervals) {
      const { errors, within } = relativeErrors(kind, seeds, intervalMs);
      const quantile = (q) => errors[Math.floor(q * (errors.length - 1))];
      const figures = {
        runs: errors.length,
        within_20pct: within,
        median_error: Number(quantile(0.5).toFixed(3)),
        p90_error: Number(quantile(0.9).toFixed(3)),
        not_warned: errors.filter((e) => e === Infinity).length,
      };
      rul[kind][`${intervalMs / 1000}s`] = figures;
      const percent = (e) => (e === Infinity ? 'not warned' : `${(100 * e).toFixed(1)}%`);
      console.log(
        `  ${kind.padEnd(14)} ${`${intervalMs / 1000} s`.padEnd(9)} ${`${within}/${errors.length}`.padEnd(11)} ${percent(figures.median_error).padEnd(13)} ${percent(figures.p90_error).padEnd(16)} ${figures.not_warned}`,
      );
    }
  }
  // The first 6 hours are left out: a forecaster learns its baseline and noise then.
  const fromHour = 6;
  const machineDays = (healthySeeds.length * 8 * (days * 24 - fromHour)) / 24;
  const healthyRuns = intervals.map((intervalMs) =>
    healthySeeds.map((seed) => falseWarnings(seed, intervalMs, days * 24, fromHour)),
  );
  const total = (key) =>
    Object.fromEntries(
      intervals.map((intervalMs, i) => [
        `${intervalMs / 1000}s`,
        healthyRuns[i].reduce((sum, run) => sum + run[key], 0),
      ]),
    );
  const episodes = total('warnings');
  const atLimit = total('atLimit');
  console.log(
    `healthy plants, seeds ${args['healthy-seeds']} (2 lines x 4 machines, ${days} days, counted after the first ${fromHour} hours: ${machineDays} machine-days): remaining life fell under an hour ${episodes['2s']} times at 2 s, ${episodes['10s']} at 10 s; the vibration reached a limit set inside its healthy range ${atLimit['2s']} and ${atLimit['10s']} times`,
  );
  rul.healthy = {
    seeds: args['healthy-seeds'],
    machine_days: machineDays,
    false_warnings: episodes,
    at_limit: atLimit,
  };
  // The demo edge's limits, as flows/edge-agent.json ships them.
  const edge = JSON.parse(readFileSync(new URL('../../../flows/edge-agent.json', import.meta.url), 'utf8'));
  const limits = JSON.parse(edge.find((node) => node.id === 'edge-forecast').limits);
  const runs = ['cnc', 'press', 'pump'].flatMap((type) =>
    demoSeeds.map((seed) => demoToolWear(type, seed, limits)),
  );
  const range = (key) => {
    const values = runs.map((run) => run[key]);
    return [Math.min(...values), Math.max(...values)].map((v) => Number(v.toFixed(1)));
  };
  const demo = {
    seeds: args['demo-seeds'],
    limits,
    runs: runs.length,
    warning_min: range('warningMin'),
    critical_min: range('criticalMin'),
    critical_before_break_min: range('criticalBeforeBreakMin'),
    critical_at_once: runs.filter((run) => run.criticalMin === run.warningMin).length,
    healthy_warning_points: runs.reduce((sum, run) => sum + run.healthyWarningPoints, 0),
  };
  console.log(
    `the demo edge's limits ${JSON.stringify(limits)}, tool wear (30 minutes of running) on each machine type, seeds ${args['demo-seeds']}: ` +
      `remaining life under an hour ${demo.warning_min.join('-')} min after the wear started, under 15 minutes ${demo.critical_min.join('-')} min after ` +
      `(${demo.critical_before_break_min.join('-')} min before the tool broke; at once in ${demo.critical_at_once} of ${demo.runs}); ` +
      `healthy machines' points under an hour: ${demo.healthy_warning_points}`,
  );
  rul.demo = demo;
  console.log(`\n${JSON.stringify({ rul })}`);
  process.exit(0);
}

if (args.simulator) {
  const { scoreSimulatorFaults } = await import('./simulator-faults.mjs');
  const bad = [
    daysProblem,
    !(/^\d+$/.test(args.seed) && seedRange(args.seed)) &&
      `--seed must be a whole number from 0 to 4294967295 (got ${args.seed})`,
    args.threshold !== undefined &&
      !(Number(args.threshold) >= 0 && Number(args.threshold) <= 1) &&
      `--threshold must be a score from 0 to 1 (got ${args.threshold})`,
  ].filter(Boolean);
  // Each detector judges its own options (a short mean of 1 sample is refused by name).
  const smoothingOption = args.smoothing === undefined ? undefined : Number(args.smoothing);
  for (const detector of detectors) {
    try {
      createDetector(detector, { smoothing: smoothingOption });
    } catch (error) {
      bad.push(`--smoothing ${args.smoothing}: ${error.message}`);
    }
  }
  if (bad.length > 0) {
    console.error(`${bad.join('\n')}\n${usage}`);
    process.exit(2);
  }
  const results = [];
  console.log(
    `machine simulator: 2 lines x 4 machines, ${days} days at 10 s, seed ${args.seed}, a fault every 4 hours`,
  );
  console.log(
    '  detector     threshold  scored                  bearing_fault (found, before its end, median/max delay)  tool_wear (before it broke)              false alarms/machine-day',
  );
  for (const detector of detectors) {
    for (const runningOnly of [false, true]) {
      const threshold = args.threshold === undefined ? undefined : Number(args.threshold);
      const r = scoreSimulatorFaults({
        detector,
        days,
        seed: Number(args.seed),
        runningOnly,
        threshold,
        smoothing: smoothingOption,
      });
      results.push(r);
      const fault = (kind) => {
        const f = r.faults[kind];
        return `${f.detected}/${f.injected} (${f.detected_before_end} before the end), ${f.median_delay_s ?? '-'} s / ${f.max_delay_s ?? '-'} s`;
      };
      console.log(
        `  ${detector.padEnd(12)} ${String(r.threshold).padEnd(10)} ${(runningOnly ? 'gauges, RUNNING only' : 'all gauge points').padEnd(23)} ${fault('bearing_fault').padEnd(56)} ${fault('tool_wear').padEnd(40)} ${r.false_alarms_per_machine_day} (${Math.round(100 * r.false_alarms_at_state_changes_share)}% at state changes)`,
      );
    }
  }
  console.log(`\n${JSON.stringify({ simulator: results })}`);
  process.exit(0);
}

const summary = {};
for (const detector of detectors) {
  const started = performance.now();
  const report = runNab({ data: args.data, windows: args.windows, out: args.out, detector });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`\n${detector} (${report.files.length} files, ${seconds} s)`);
  console.log('  profile               score  threshold   raw');
  for (const [profile, result] of Object.entries(report.profiles)) {
    console.log(
      `  ${profile.padEnd(20)} ${result.normalised.toFixed(1).padStart(6)}  ${result.threshold.toPrecision(6).padStart(9)}  ${result.raw.toFixed(2)}`,
    );
  }
  if (args.files) {
    for (const file of report.files) {
      const s = file.scores.standard;
      console.log(
        `    ${file.file.padEnd(58)} windows ${s.detected}/${s.windows}  false positives ${String(s.falsePositives).padStart(4)}  raw ${s.raw.toFixed(2)}`,
      );
    }
  }
  summary[detector] = Object.fromEntries(
    Object.entries(report.profiles).map(([profile, result]) => [
      profile,
      Number(result.normalised.toFixed(1)),
    ]),
  );
}
if (args.quick) {
  console.log(`\n${JSON.stringify({ nab: summary })}`);
  process.exit(0);
}

const corpus = loadCorpus(args.data, args.windows);
const started = performance.now();
console.log(
  `\nrarity, leave-one-category-out over ${RARITY_GRID.length} candidates (standard profile; artificial files in every tuning set)`,
);
const cv = crossValidate(
  corpus,
  RARITY_GRID,
  (params) => new RarityDetector(params),
  NAB_PROFILES.standard,
  (done) => {
    if (done % 10 === 0) process.stderr.write(`[nab] ${done}/${RARITY_GRID.length} candidates\n`);
  },
);
console.log('  left out              score  windows  false pos  threshold  chosen on the others');
for (const fold of cv.folds) {
  console.log(
    `  ${fold.category.padEnd(20)} ${fold.score.toFixed(1).padStart(6)}  ${`${fold.detected}/${fold.windows}`.padStart(7)}  ${String(fold.falsePositives).padStart(9)}  ${fold.threshold.toFixed(3).padStart(9)}  ${JSON.stringify(fold.params)}`,
  );
}
console.log(`  ${'overall (pooled)'.padEnd(20)} ${cv.overall.toFixed(1).padStart(6)}`);
console.log(
  `  full development set, best candidate (in-sample): ${cv.full.score.toFixed(1)} at ${cv.full.threshold.toFixed(3)} ${JSON.stringify(cv.full.params)}`,
);
console.log(
  `  ${(cv.secondsPerPoint * 1e6).toFixed(2)} us per point through AnomalyDetector; search ${((performance.now() - started) / 1000).toFixed(0)} s`,
);
const loco = Object.fromEntries(cv.folds.map((f) => [f.category, Number(f.score.toFixed(1))]));
console.log(
  `\n${JSON.stringify({
    nab: summary,
    loco: { ...loco, overall: Number(cv.overall.toFixed(1)) },
    full: { score: Number(cv.full.score.toFixed(1)), threshold: cv.full.threshold, params: cv.full.params },
    anomaly_us_per_point: Number((cv.secondsPerPoint * 1e6).toFixed(2)),
  })}`,
);

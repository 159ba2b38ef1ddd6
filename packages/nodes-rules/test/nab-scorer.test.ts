import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readNabCsv, runNab } from '../src/core/nab/harness.js';
import {
  NAB_PROFILES,
  labelRows,
  probationLength,
  scaledSigmoid,
  scoreFile,
  sweepThreshold,
} from '../src/core/nab/scorer.js';

const fixtures = fileURLToPath(new URL('./fixtures/nab/', import.meta.url));
const { standard, reward_low_FN_rate, reward_low_FP_rate } = NAB_PROFILES;

/** 20 rows five minutes apart: probation is rows 0-2 (floor(0.15 * 20)); one window, rows 10-13 (width 4). */
const timestamps = Array.from({ length: 20 }, (_, i) =>
  new Date(Date.UTC(2024, 0, 1, 0, 5 * i)).toISOString().replace('T', ' ').slice(0, 19),
);
const windows: [string, string][] = [[`${timestamps[10]}.000000`, `${timestamps[13]}.000000`]];
const rows = labelRows('hand/made.csv', timestamps, windows);
const scores = (detections: Record<number, number>) =>
  Float64Array.from({ length: 20 }, (_, i) => detections[i] ?? 0);

// Expected values worked out by hand from NAB's rules:
//   a detection at row 11: y = -(13 - 11 + 1) / 4 = -0.75, sigma = 2 / (1 + e^-3.75) - 1 = 0.954045
//   a detection at row 5, before any window: -1 * A_FP
//   a detection at row 15: y = |13 - 15| / (4 - 1) = 0.667, sigma = 2 / (1 + e^3.333) - 1 = -0.931110
const TP_ROW_11 = 0.9540452601799487;
const FP_ROW_15 = -0.9311096086675776;

describe('NAB scorer', () => {
  it('follows NAB for probation and the scaled sigmoid', () => {
    expect(probationLength(20)).toBe(3);
    expect(probationLength(4032)).toBe(604);
    expect(probationLength(22695)).toBe(750);
    expect(scaledSigmoid(-1)).toBeCloseTo(0.986614, 6);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3.01)).toBe(-1);
    expect(rows.windows).toBe(1);
  });

  it('scores a file at a threshold: earliest detection per window, FPs weighted from the last window, probation ignored', () => {
    const s = scores({ 2: 1, 5: 0.9, 11: 0.8, 12: 0.8, 15: 0.7 });
    expect(scoreFile(rows, s, 0.7, standard)).toEqual({
      raw: expect.closeTo(TP_ROW_11 - 0.11 + 0.11 * FP_ROW_15, 9),
      detected: 1,
      windows: 1,
      falsePositives: 2,
    });
    // Nothing detected: the window costs A_FN.
    expect(scoreFile(rows, s, 1.1, reward_low_FN_rate).raw).toBe(-2);
    // An earlier detection in the window scores more: row 10 is the window's first row (y = -1).
    expect(scoreFile(rows, scores({ 10: 1 }), 0.5, standard).raw).toBeCloseTo(0.986614, 6);
  });

  it('sweeps the threshold over the corpus and normalises with the null and perfect scores', () => {
    const s = scores({ 5: 0.9, 11: 0.8, 15: 0.7 });
    // Thresholds tried: 1.1 (-1), 0.9 (-1.11), 0.8 (0.844), 0.7 (0.742), 0 (every row: far worse). 0.8 wins.
    const result = sweepThreshold([{ rows, scores: s }], standard);
    expect(result).toEqual({
      threshold: 0.8,
      raw: expect.closeTo(TP_ROW_11 - 0.11, 9),
      normalised: expect.closeTo(92.202263, 6),
      nullScore: -1,
      perfectScore: 1,
    });
    expect(sweepThreshold([{ rows, scores: s }], reward_low_FN_rate).normalised).toBeCloseTo(94.8015087, 6);
    expect(sweepThreshold([{ rows, scores: s }], reward_low_FP_rate).normalised).toBeCloseTo(86.702263, 6);
    // Over two files the one threshold must serve both: the same scores twice double the raw score.
    const twice = sweepThreshold(
      [
        { rows, scores: s },
        { rows, scores: s },
      ],
      standard,
    );
    expect(twice.raw).toBeCloseTo(2 * (TP_ROW_11 - 0.11), 9);
    expect(twice.normalised).toBeCloseTo(92.202263, 6);
  });

  it('scores the null detector 0 and a perfect one 100', () => {
    // A constant score can only detect everything or nothing; over 200 rows everything costs more than the window.
    const long = Array.from({ length: 200 }, (_, i) => `2024-01-01 ${String(i).padStart(8, '0')}`);
    const longRows = labelRows('long.csv', long, [[long[100]!, long[103]!]]);
    expect(
      sweepThreshold([{ rows: longRows, scores: new Float64Array(200).fill(0.5) }], standard),
    ).toMatchObject({
      threshold: 1.1,
      normalised: 0,
    });
    // A perfect detection is at the window's first row; NAB's perfect score (A_TP per window) is its limit.
    expect(sweepThreshold([{ rows, scores: scores({ 10: 1 }) }], standard).normalised).toBeCloseTo(99.33, 2);
  });

  it('keeps NAB semantics with repeated and backwards timestamps (the window ends at the first matching row)', () => {
    const odd = [...timestamps];
    odd[7] = odd[6]!; // repeated
    odd[8] = odd[4]!; // backwards
    const labelled = labelRows('odd.csv', odd, windows);
    expect(Array.from(labelled.label.slice(9, 15))).toEqual([-1, 0, 0, 0, 0, -1]);
  });
});

describe('NAB harness', () => {
  let out: string;
  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'plantwire-nab-'));
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('runs a detector over <category>/<file>.csv, writes NAB result files and scores every profile', () => {
    const report = runNab({
      data: join(fixtures, 'data'),
      windows: join(fixtures, 'windows.json'),
      out,
      detector: 'median-mad',
    });
    expect(report.files.map((f) => f.file)).toEqual(['synthetic/step.csv', 'synthetic/wave.csv']);
    const written = readFileSync(join(out, 'median-mad', 'synthetic', 'step.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(written[0]).toBe('timestamp,value,anomaly_score');
    expect(written).toHaveLength(401);
    for (const line of written.slice(1)) {
      const score = Number(line.split(',')[2]);
      expect(score >= 0 && score <= 1).toBe(true);
    }
    expect(Object.keys(report.profiles)).toEqual(['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']);
    // The step is found early in its window.
    expect(report.profiles.standard!.normalised).toBeGreaterThan(80);
    expect(report.files[0]!.scores.standard!.detected).toBe(1);
  });

  it('refuses a data file with a non-numeric value, naming the line', () => {
    const bad = join(out, 'bad.csv');
    writeFileSync(bad, 'timestamp,value\n2024-01-01 00:00:00,1\n2024-01-01 00:05:00,NaN\n');
    expect(() => readNabCsv(bad)).toThrow(/bad\.csv:3: value must be a finite number/);
  });

  it('runs from the command line (the built package, as `npm run nab` does)', () => {
    const cli = fileURLToPath(new URL('../scripts/nab.mjs', import.meta.url));
    const run = spawnSync(
      process.execPath,
      // --quick: each detector at its defaults; the cross-validation is tested in cross-validation.test.ts.
      [
        cli,
        '--data',
        join(fixtures, 'data'),
        '--windows',
        join(fixtures, 'windows.json'),
        '--out',
        out,
        '--quick',
      ],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(Object.keys(summary.nab)).toEqual(['ewma', 'median-mad', 'ensemble', 'rarity']);
    expect(readFileSync(join(out, 'ensemble', 'synthetic', 'wave.csv'), 'utf8')).toMatch(
      /^timestamp,value,anomaly_score\n/,
    );
    const wrong = spawnSync(process.execPath, [cli, '--data', 'x', '--windows', 'y', '--detector', 'magic'], {
      encoding: 'utf8',
    });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/no detector magic/);
  });

  it('scores the simulator faults on the seed asked for, and refuses options it cannot run', () => {
    const cli = fileURLToPath(new URL('../scripts/nab.mjs', import.meta.url));
    const simulator = (...options: string[]) =>
      spawnSync(process.execPath, [cli, '--simulator', '--detector', 'rarity', ...options], {
        encoding: 'utf8',
      });
    const run = simulator('--days', '0.5', '--seed', '7');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/seed 7/);
    const [all] = JSON.parse(run.stdout.trim().split('\n').at(-1)!).simulator;
    expect(all.faults.bearing_fault.injected).toBe(1);
    expect(all.faults.tool_wear.injected).toBe(1);
    for (const [options, message] of [
      [['--days', 'x'], /--days must be a number of at least 0.5 \(got x\)/],
      [['--days', '0.4'], /--days must be a number of at least 0.5/],
      [['--seed', 'abc'], /--seed must be a whole number from 0 to 4294967295 \(got abc\)/],
      [['--seed=-1'], /--seed must be a whole number/],
      [['--seed', '4294967296'], /--seed must be a whole number from 0 to 4294967295/],
      [['--threshold', 'high'], /--threshold must be a score from 0 to 1 \(got high\)/],
      [['--threshold', '1.5'], /--threshold must be a score from 0 to 1/],
      [['--smoothing', '1'], /--smoothing 1: rarity: smoothing must be 0 or 2 or more/],
    ] as const) {
      const wrong = simulator(...options);
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toMatch(message);
    }
  });
  it('scores remaining life on the seeds asked for, and refuses options it cannot run', () => {
    const cli = fileURLToPath(new URL('../scripts/nab.mjs', import.meta.url));
    const rul = (...options: string[]) =>
      spawnSync(process.execPath, [cli, '--rul', ...options], { encoding: 'utf8' });
    const run = rul('--seeds', '3-4', '--healthy-seeds', '5', '--days', '0.5', '--demo-seeds', '11');
    expect(run.status, run.stderr).toBe(0);
    const figures = JSON.parse(run.stdout.trim().split('\n').at(-1)!).rul;
    expect(figures.seeds).toBe('3-4');
    for (const kind of ['tool_wear', 'bearing_fault'])
      for (const sampling of ['2s', '10s']) {
        const row = figures[kind][sampling];
        expect(row.runs).toBe(2);
        expect(row.within_20pct).toBeGreaterThanOrEqual(0);
        expect(row.within_20pct + row.not_warned).toBeLessThanOrEqual(2);
      }
    // Half a day of 8 machines, the first 6 hours left out: 2 machine-days.
    expect(figures.healthy).toMatchObject({ seeds: '5', machine_days: 2 });
    expect(Object.keys(figures.healthy.false_warnings)).toEqual(['2s', '10s']);
    expect(Object.keys(figures.healthy.at_limit)).toEqual(['2s', '10s']);
    // The demo edge's limits, read from flows/edge-agent.json: one tool wear per machine type.
    expect(figures.demo).toMatchObject({ seeds: '11', runs: 3, healthy_warning_points: 0 });
    expect(Object.keys(figures.demo.limits)).toEqual([
      'cnc-*/vibration',
      'press-*/vibration',
      'pump-*/vibration',
    ]);
    expect(figures.demo.critical_before_break_min[0]).toBeGreaterThan(0);
    for (const [options, message] of [
      [
        ['--seeds', '9-3'],
        /--seeds must be a seed or a range FIRST-LAST of seeds from 0 to 4294967295 \(got 9-3\)/,
      ],
      [['--seeds', 'many'], /--seeds must be a seed or a range/],
      [['--healthy-seeds', '1-4294967296'], /--healthy-seeds must be a seed or a range/],
      [['--days', '0'], /--days must be a number of at least 0.5 \(got 0\)/],
      [['--demo-seeds', '40-11'], /--demo-seeds must be a seed or a range/],
    ] as const) {
      const wrong = rul(...options);
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toMatch(message);
      expect(wrong.stderr).toMatch(/usage: npm run nab/);
    }
  });
});

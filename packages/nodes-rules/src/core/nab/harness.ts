// The NAB harness: runs a detector, through the same AnomalyDetector the node uses, over every
// <category>/<file>.csv below a data folder, writes NAB-layout result files and scores them.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AnomalyDetector, AnomalyInputError } from '../anomaly-detector.js';
import type { SeriesDetector } from '../detectors/detector.js';
import { createDetector } from '../detectors/index.js';
import {
  NAB_PROFILES,
  labelRows,
  scoreFile,
  sweepThreshold,
  type CostProfile,
  type FileScore,
  type LabelledRows,
  type SweepResult,
} from './scorer.js';

export interface NabSeries {
  timestamps: string[];
  values: number[];
}

/** A NAB data file (`timestamp,value` with a header). Throws naming the line when a value is not a number. */
export function readNabCsv(path: string): NabSeries {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const timestamps: string[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const comma = line.indexOf(',');
    const value = comma < 0 ? NaN : Number(line.slice(comma + 1));
    if (comma < 0 || line.slice(comma + 1).trim() === '' || !Number.isFinite(value))
      throw new AnomalyInputError(`${path}:${i + 1}: value must be a finite number (got "${line}")`);
    timestamps.push(line.slice(0, comma));
    values.push(value);
  }
  return { timestamps, values };
}

/** Every `<category>/<file>.csv` below `dir`, sorted. */
export function listNabFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((category) =>
      readdirSync(join(dir, category.name))
        .filter((file) => file.endsWith('.csv'))
        .map((file) => `${category.name}/${file}`),
    )
    .sort();
}

/** The scores the node would emit for one series, fed in file order through the node's AnomalyDetector. */
export function scoreValues(detector: SeriesDetector<unknown>, values: ArrayLike<number>): Float64Array {
  const scorer = new AnomalyDetector(detector, { maxSeries: 1 });
  const scores = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) scores[i] = scorer.score('series', values[i]);
  return scores;
}

export interface NabOptions {
  data: string;
  windows: string;
  /** Where to write `<detector>/<category>/<file>.csv`; nothing is written when absent. */
  out?: string;
  detector: string;
  profiles?: Record<string, CostProfile>;
}

export interface NabFileResult {
  file: string;
  rows: number;
  /** Per profile, at that profile's corpus threshold. */
  scores: Record<string, FileScore>;
}

export interface NabReport {
  detector: string;
  files: NabFileResult[];
  profiles: Record<string, SweepResult>;
}

/** Runs one detector over the corpus and scores it under every profile. */
export function runNab(options: NabOptions): NabReport {
  const labels = JSON.parse(readFileSync(options.windows, 'utf8')) as Record<string, [string, string][]>;
  const profiles: Record<string, CostProfile> = options.profiles ?? NAB_PROFILES;
  const scored: { file: string; rows: LabelledRows; scores: Float64Array }[] = [];
  for (const file of listNabFiles(options.data)) {
    const series = readNabCsv(join(options.data, file));
    const scores = scoreValues(createDetector(options.detector), series.values);
    scored.push({ file, rows: labelRows(file, series.timestamps, labels[file] ?? []), scores });
    if (options.out) {
      const path = join(options.out, options.detector, file);
      mkdirSync(dirname(path), { recursive: true });
      const lines = ['timestamp,value,anomaly_score'];
      for (let i = 0; i < scores.length; i++)
        lines.push(`${series.timestamps[i]},${series.values[i]},${scores[i]}`);
      writeFileSync(path, `${lines.join('\n')}\n`);
    }
  }
  const results = Object.fromEntries(
    Object.entries(profiles).map(([name, profile]) => [name, sweepThreshold(scored, profile)]),
  );
  return {
    detector: options.detector,
    profiles: results,
    files: scored.map(({ file, rows, scores }) => ({
      file,
      rows: rows.label.length,
      scores: Object.fromEntries(
        Object.entries(profiles).map(([name, profile]) => [
          name,
          scoreFile(rows, scores, results[name]!.threshold, profile),
        ]),
      ),
    })),
  };
}

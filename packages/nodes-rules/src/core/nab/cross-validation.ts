// Leave-one-category-out cross-validation of a detector's parameters over a NAB-layout corpus: for each real
// category, the parameters and the threshold are chosen on every other file (the artificial series always among
// them) and the left-out category is scored with them. What a user sees on data the detector was not tuned on.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeriesDetector } from '../detectors/detector.js';
import { listNabFiles, readNabCsv, scoreValues } from './harness.js';
import { labelRows, scoreFile, sweepThreshold, type CostProfile, type LabelledRows } from './scorer.js';

export interface CorpusFile {
  file: string;
  category: string;
  rows: LabelledRows;
  values: Float64Array;
}

/** Every `<category>/<file>.csv` below `data`, labelled with the windows file. */
export function loadCorpus(data: string, windows: string): CorpusFile[] {
  const labels = JSON.parse(readFileSync(windows, 'utf8')) as Record<string, [string, string][]>;
  return listNabFiles(data).map((file) => {
    const series = readNabCsv(join(data, file));
    return {
      file,
      category: file.slice(0, file.indexOf('/')),
      rows: labelRows(file, series.timestamps, labels[file] ?? []),
      values: Float64Array.from(series.values),
    };
  });
}

/** The categories left out in turn: every one but the artificial ones, which stay in every tuning set. */
export function heldOutCategories(corpus: readonly CorpusFile[]): string[] {
  return [...new Set(corpus.map((f) => f.category))].filter((c) => !c.startsWith('artificial')).sort();
}

/** NAB's normalised score of a raw total over `windows` windows. */
function normalise(raw: number, windows: number, profile: CostProfile): number {
  const nullScore = -profile.fnWeight * windows;
  const perfect = profile.tpWeight * windows;
  return perfect === nullScore ? 0 : (100 * (raw - nullScore)) / (perfect - nullScore);
}

export interface FoldResult<P> {
  category: string;
  /** Chosen on the other files. */
  params: P;
  threshold: number;
  /** The tuning files' normalised score with those. */
  tuned: number;
  /** The left-out category's normalised score (the cross-validated figure). */
  score: number;
  raw: number;
  windows: number;
  detected: number;
  falsePositives: number;
}

export interface CrossValidation<P> {
  folds: FoldResult<P>[];
  /** The left-out scores pooled: every real window scored by parameters not chosen on its category. */
  overall: number;
  /** The best parameters and threshold on the whole corpus, and that (in-sample) score. */
  full: { params: P; threshold: number; score: number };
  /** Seconds of detector time per point, over every run. */
  secondsPerPoint: number;
  candidates: number;
}

/**
 * Scores every candidate once per file, then, per left-out category, keeps the candidate and threshold that
 * score best on the rest; `progress` hears of each candidate. Memory: one candidate's scores at a time.
 */
export function crossValidate<P>(
  corpus: readonly CorpusFile[],
  candidates: readonly P[],
  make: (params: P) => SeriesDetector<unknown>,
  profile: CostProfile,
  progress?: (done: number, params: P, full: number) => void,
): CrossValidation<P> {
  const categories = heldOutCategories(corpus);
  const best = new Map<string, FoldResult<P>>();
  let full: CrossValidation<P>['full'] | undefined;
  let seconds = 0;
  let points = 0;
  candidates.forEach((params, index) => {
    const started = performance.now();
    const scored = corpus.map((f) => ({ ...f, scores: scoreValues(make(params), f.values) }));
    seconds += (performance.now() - started) / 1000;
    points += corpus.reduce((sum, f) => sum + f.values.length, 0);
    const all = sweepThreshold(scored, profile);
    if (!full || all.normalised > full.score)
      full = { params, threshold: all.threshold, score: all.normalised };
    for (const category of categories) {
      const tuning = sweepThreshold(
        scored.filter((f) => f.category !== category),
        profile,
      );
      const kept = best.get(category);
      if (kept && kept.tuned >= tuning.normalised) continue;
      let raw = 0;
      let windows = 0;
      let detected = 0;
      let falsePositives = 0;
      for (const f of scored) {
        if (f.category !== category) continue;
        const s = scoreFile(f.rows, f.scores, tuning.threshold, profile);
        raw += s.raw;
        windows += s.windows;
        detected += s.detected;
        falsePositives += s.falsePositives;
      }
      best.set(category, {
        category,
        params,
        threshold: tuning.threshold,
        tuned: tuning.normalised,
        score: normalise(raw, windows, profile),
        raw,
        windows,
        detected,
        falsePositives,
      });
    }
    progress?.(index + 1, params, all.normalised);
  });
  if (!full) throw new RangeError('crossValidate needs at least one candidate');
  const folds = categories.map((c) => best.get(c)!);
  const raw = folds.reduce((sum, f) => sum + f.raw, 0);
  const windows = folds.reduce((sum, f) => sum + f.windows, 0);
  return {
    folds,
    overall: normalise(raw, windows, profile),
    full,
    secondsPerPoint: seconds / points,
    candidates: candidates.length,
  };
}

// The Numenta Anomaly Benchmark's scoring rules (NAB v1.1, nab/sweeper.py), re-implemented to score our
// detectors' outputs exactly as NAB would: probation, sigmoid-weighted earliest detection per window, false
// positives weighted by their distance from the last window that ended, one threshold swept over the corpus.

/** A NAB cost profile (config/profiles.json: CostMatrix tpWeight, fpWeight, fnWeight). */
export interface CostProfile {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** NAB's three profiles, as in its config/profiles.json. */
export const NAB_PROFILES = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
} as const satisfies Record<string, CostProfile>;

/** Rows at the start of a file that NAB never scores: min(floor(0.15 N), 0.15 * 5000). */
export function probationLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 750);
}

/** NAB's scaled sigmoid: 2 / (1 + e^(5y)) - 1, and -1 past y = 3. */
export function scaledSigmoid(y: number): number {
  return y > 3 ? -1 : 2 / (1 + Math.exp(5 * y)) - 1;
}

/** Row label in a prepared file: a window index (>= 0), or one of these. */
const OUTSIDE = -1;
const PROBATION = -2;

/** One data file, labelled row by row for scoring (independent of any detector's scores). */
export interface LabelledRows {
  name: string;
  /** Per row: the index of its window (>= 0), OUTSIDE (-1) or PROBATION (-2). */
  label: Int32Array;
  /** Per row: NAB's unweighted score were this row a detection (TP weight inside a window, FP weight outside). */
  weight: Float64Array;
  /** Windows that have at least one scored row. */
  windows: number;
}

/** NAB timestamps: '2014-04-10 07:15:00.000000' in the labels matches '2014-04-10 07:15:00' in the data. */
function nabTime(text: string): string {
  return text.replace(/\.0+$/, '');
}

/** A NAB timestamp ('2014-04-10 07:15:00', UTC) in ms. */
export function nabTimeMs(text: string): number {
  return Date.parse(`${nabTime(text).replace(' ', 'T')}Z`);
}

/**
 * Labels a file's rows as NAB's sweeper does. A window starts at the first row whose timestamp equals its start
 * and ends at the first row equal to its end (NAB's `timestamps.index`); a label that names no row falls back to
 * the first row at or after the start and the last row at or before the end.
 */
export function labelRows(
  name: string,
  timestamps: readonly string[],
  windows: readonly (readonly [string, string])[],
): LabelledRows {
  const n = timestamps.length;
  const label = new Int32Array(n).fill(OUTSIDE);
  const weight = new Float64Array(n);
  const firstIndex = new Map<string, number>();
  for (let i = n - 1; i >= 0; i--) firstIndex.set(timestamps[i]!, i);
  const times = timestamps.map(nabTimeMs);
  const bounds = windows
    .map(([start, end]) => {
      let from = firstIndex.get(nabTime(start));
      let to = firstIndex.get(nabTime(end));
      if (from === undefined) {
        const at = nabTimeMs(start);
        from = times.findIndex((t) => t >= at);
      }
      if (to === undefined) {
        const at = nabTimeMs(end);
        to = times.findLastIndex((t) => t <= at);
      }
      return { from, to };
    })
    .filter(({ from, to }) => from >= 0 && to >= from)
    .sort((a, b) => a.from - b.from);

  const probation = probationLength(n);
  let next = 0;
  let current = -1;
  let right = -1;
  let width = 0;
  let previousRight = -1;
  let previousWidth = 0;
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (current < 0 && next < bounds.length && i === bounds[next]!.from) {
      current = next++;
      right = bounds[current]!.to;
      width = right - i + 1;
    }
    if (current >= 0) {
      weight[i] = scaledSigmoid(-(right - i + 1) / width);
    } else if (previousRight < 0) {
      weight[i] = -1;
    } else {
      weight[i] = scaledSigmoid(Math.abs(previousRight - i) / Math.max(previousWidth - 1, 1));
    }
    if (i < probation) label[i] = PROBATION;
    else if (current >= 0) {
      label[i] = current;
      seen.add(current);
    }
    if (current >= 0 && i === right) {
      previousRight = i;
      previousWidth = width;
      current = -1;
    }
  }
  // Renumber the windows that have scored rows 0..windows-1.
  const renumber = new Map([...seen].sort((a, b) => a - b).map((w, index) => [w, index]));
  for (let i = 0; i < n; i++) if (label[i]! >= 0) label[i] = renumber.get(label[i]!)!;
  return { name, label, weight, windows: seen.size };
}

export interface SweepResult {
  /** Detections are the rows scoring at or above this (1.1: none). */
  threshold: number;
  raw: number;
  /** 100 (raw - null) / (perfect - null). */
  normalised: number;
  nullScore: number;
  perfectScore: number;
}

/**
 * NAB's corpus-wide threshold sweep for one profile: every distinct score is tried as the threshold over all
 * files at once, and the best total wins (the highest threshold among equals, as NAB's max() over a descending
 * list keeps the first).
 */
export function sweepThreshold(
  files: readonly { rows: LabelledRows; scores: ArrayLike<number> }[],
  profile: CostProfile,
): SweepResult {
  let total = 0;
  let windows = 0;
  for (const file of files) total += file.rows.windows;
  const count = files.reduce((sum, f) => sum + f.rows.label.length, 0);
  const score = new Float64Array(count);
  const label = new Int32Array(count);
  const weight = new Float64Array(count);
  let at = 0;
  for (const { rows, scores } of files) {
    for (let i = 0; i < rows.label.length; i++, at++) {
      score[at] = scores[i]!;
      const l = rows.label[i]!;
      label[at] = l >= 0 ? l + windows : l;
      weight[at] = rows.weight[i]!;
    }
    windows += rows.windows;
  }
  const nullScore = -profile.fnWeight * windows;
  const perfectScore = profile.tpWeight * windows;
  const order = Uint32Array.from({ length: count }, (_, i) => i).sort((a, b) => score[b]! - score[a]!);
  const parts = new Float64Array(windows).fill(-profile.fnWeight);
  total = nullScore;
  let threshold = 1.1;
  let best = { threshold, raw: total };
  for (const i of order) {
    if (label[i] === PROBATION) continue;
    if (score[i] !== threshold) {
      if (total > best.raw) best = { threshold, raw: total };
      threshold = score[i]!;
    }
    const l = label[i]!;
    if (l === OUTSIDE) {
      total += profile.fpWeight * weight[i]!;
    } else {
      const candidate = profile.tpWeight * weight[i]!;
      if (candidate > parts[l]!) {
        total += candidate - parts[l]!;
        parts[l] = candidate;
      }
    }
  }
  if (total > best.raw) best = { threshold, raw: total };
  return {
    threshold: best.threshold,
    raw: best.raw,
    normalised: perfectScore === nullScore ? 0 : (100 * (best.raw - nullScore)) / (perfectScore - nullScore),
    nullScore,
    perfectScore,
  };
}

export interface FileScore {
  raw: number;
  /** Windows with a detection inside. */
  detected: number;
  windows: number;
  /** Detections outside every window (probation excluded). */
  falsePositives: number;
}

/** One file's NAB score at a fixed threshold (detections: score >= threshold), for a per-file breakdown. */
export function scoreFile(
  rows: LabelledRows,
  scores: ArrayLike<number>,
  threshold: number,
  profile: CostProfile,
): FileScore {
  const parts = new Float64Array(rows.windows).fill(-profile.fnWeight);
  const hit = new Uint8Array(rows.windows);
  let fp = 0;
  let falsePositives = 0;
  for (let i = 0; i < rows.label.length; i++) {
    const l = rows.label[i]!;
    if (l === PROBATION || !(scores[i]! >= threshold)) continue;
    if (l === OUTSIDE) {
      fp += profile.fpWeight * rows.weight[i]!;
      falsePositives++;
    } else {
      hit[l] = 1;
      parts[l] = Math.max(parts[l]!, profile.tpWeight * rows.weight[i]!);
    }
  }
  return {
    raw: parts.reduce((a, b) => a + b, fp),
    detected: hit.reduce((a, b) => a + b, 0),
    windows: rows.windows,
    falsePositives,
  };
}

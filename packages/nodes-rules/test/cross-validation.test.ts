import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SeriesDetector } from '../src/core/detectors/detector.js';
import {
  crossValidate,
  heldOutCategories,
  loadCorpus,
  type CorpusFile,
} from '../src/core/nab/cross-validation.js';
import { NAB_PROFILES, labelRows } from '../src/core/nab/scorer.js';

const fixtures = fileURLToPath(new URL('./fixtures/nab/', import.meta.url));

/** 40 rows five minutes apart (probation: rows 0-5) with one window per entry of `marks` (row: value there). */
function file(name: string, marks: Record<number, number>): CorpusFile {
  const timestamps = Array.from({ length: 40 }, (_, i) =>
    new Date(Date.UTC(2024, 0, 1, 0, 5 * i)).toISOString().replace('T', ' ').slice(0, 19),
  );
  const windows = Object.keys(marks).map(
    (row) => [timestamps[Number(row) - 1]!, timestamps[Number(row) + 1]!] as [string, string],
  );
  const values = Float64Array.from({ length: 40 }, (_, i) => marks[i] ?? 0);
  return { file: name, category: name.split('/')[0]!, rows: labelRows(name, timestamps, windows), values };
}

/** A detector that flags exactly the value `k`: each candidate finds the windows marked with its own k. */
const flagging = ({ k }: { k: number }): SeriesDetector<unknown> => ({
  name: `flags-${k}`,
  warmup: 0,
  defaultThreshold: 0.5,
  bytesPerSeries: 0,
  create: () => ({}),
  update: (_state, value) => (value === k ? 1 : 0),
});

describe('leave-one-category-out cross-validation', () => {
  // realA's anomalies show as 1, realB's as 3; the artificial file has both kinds.
  const corpus = [
    file('artificialWithAnomaly/both.csv', { 12: 1, 30: 3 }),
    file('realA/a.csv', { 20: 1 }),
    file('realB/b.csv', { 20: 3 }),
  ];

  it('leaves out every real category in turn, never the artificial ones', () => {
    expect(heldOutCategories(corpus)).toEqual(['realA', 'realB']);
  });

  it('scores each category with what was chosen on the other files only', () => {
    const cv = crossValidate(corpus, [{ k: 1 }, { k: 3 }], flagging, NAB_PROFILES.standard);
    const [a, b] = cv.folds;
    // Without realA, only k = 3 finds anything beyond the artificial file: realA is then scored with k = 3
    // and its window is missed (NAB's null score, 0). The same the other way round.
    expect(a).toMatchObject({ category: 'realA', params: { k: 3 }, detected: 0, windows: 1, score: 0 });
    expect(b).toMatchObject({ category: 'realB', params: { k: 1 }, detected: 0, windows: 1, score: 0 });
    expect(a!.tuned).toBeGreaterThan(0);
    expect(cv.overall).toBe(0);
    // In-sample, on everything, either candidate finds half the windows.
    expect(cv.full.score).toBeGreaterThan(40);
    expect(cv.candidates).toBe(2);
  });

  it('gives each category its own perfect score when one candidate serves all', () => {
    const everything = ({ k }: { k: number }) => ({
      ...flagging({ k }),
      update: (_state: unknown, value: number) => (value > 0 ? 1 : 0),
    });
    const cv = crossValidate(corpus, [{ k: 0 }], everything, NAB_PROFILES.standard);
    for (const fold of cv.folds) expect(fold.detected).toBe(fold.windows);
    expect(cv.overall).toBeGreaterThan(80);
  });

  it('loads a NAB-layout corpus with its categories and labels', () => {
    const loaded = loadCorpus(`${fixtures}data`, `${fixtures}windows.json`);
    expect(loaded.map((f) => [f.file, f.category, f.rows.windows])).toEqual([
      ['synthetic/step.csv', 'synthetic', 1],
      ['synthetic/wave.csv', 'synthetic', 0],
    ]);
    expect(loaded[0]!.values.length).toBe(400);
    expect(() => crossValidate(loaded, [], flagging, NAB_PROFILES.standard)).toThrow(/candidate/);
  });
});

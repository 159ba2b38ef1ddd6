// What only this repository's scripts use, built to dist/dev.js and not published: the NAB harness
// (scripts/nab.mjs). Users get the detectors from src/index.ts.
export { runNab, type NabFileResult, type NabOptions, type NabReport } from './core/nab/harness.js';
export {
  crossValidate,
  heldOutCategories,
  loadCorpus,
  type CorpusFile,
  type CrossValidation,
  type FoldResult,
} from './core/nab/cross-validation.js';
export { NAB_PROFILES, scoreFile, sweepThreshold } from './core/nab/scorer.js';
export { scoreValues } from './core/nab/harness.js';
export { RarityDetector, type RarityOptions } from './core/detectors/rarity.js';

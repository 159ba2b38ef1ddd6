export { AnomalyDetector, AnomalyInputError, type AnomalyDetectorOptions } from './core/anomaly-detector.js';
export { deviationScore, type SeriesDetector, type DetectorOptions } from './core/detectors/detector.js';
export { EwmaDetector, type EwmaOptions } from './core/detectors/ewma.js';
export {
  MedianMadDetector,
  type MedianMadOptions,
  type MedianMadState,
} from './core/detectors/median-mad.js';
export { EnsembleDetector, type EnsembleOptions, type EnsembleState } from './core/detectors/ensemble.js';
export { erfc } from './core/detectors/likelihood.js';
export {
  DETECTORS,
  DETECTOR_NAMES,
  createDetector,
  isDetectorName,
  type DetectorName,
} from './core/detectors/index.js';
export {
  NAB_PROFILES,
  labelRows,
  nabTime,
  probationLength,
  scaledSigmoid,
  scoreFile,
  sweepThreshold,
  type CostProfile,
  type FileScore,
  type LabelledRows,
  type SweepResult,
} from './core/nab/scorer.js';
export {
  listNabFiles,
  readNabCsv,
  runNab,
  scoreSeries,
  type NabFileResult,
  type NabOptions,
  type NabReport,
  type NabSeries,
} from './core/nab/harness.js';

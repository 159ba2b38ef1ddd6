export {
  AlarmEngine,
  AlarmCommandError,
  ALARM_STATES,
  ALARM_COMMANDS,
  type AlarmState,
  type AlarmCommandName,
  type AlarmCommand,
  type AlarmPoint,
  type AlarmEvent,
  type AlarmListEntry,
  type AlarmEngineOptions,
  type AlarmCounts,
  type AlarmSnapshot,
} from './core/alarm/engine.js';
export {
  compileRules,
  AlarmConfigError,
  KEY_FIELDS as ALARM_KEY_FIELDS,
  PRIORITIES as ALARM_PRIORITIES,
  type KeyFields as AlarmKeyFields,
  type Priority as AlarmPriority,
  type Level as AlarmLevel,
  type Mode as AlarmMode,
  type RuleInput as AlarmRuleInput,
  type LimitRuleInput as AlarmLimitRuleInput,
  type CompositeRuleInput as AlarmCompositeRuleInput,
  type ConditionInput as AlarmConditionInput,
} from './core/alarm/rules.js';
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

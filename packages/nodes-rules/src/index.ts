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
  PRIORITIES as ALARM_PRIORITIES,
  type Priority as AlarmPriority,
  type Level as AlarmLevel,
  type Mode as AlarmMode,
  type RuleInput as AlarmRuleInput,
  type LimitRuleInput as AlarmLimitRuleInput,
  type CompositeRuleInput as AlarmCompositeRuleInput,
  type ConditionInput as AlarmConditionInput,
} from './core/alarm/rules.js';
export { KEY_FIELDS as ALARM_KEY_FIELDS, type KeyFields as AlarmKeyFields } from './core/series-key.js';
// The anomaly side: what the README's programmatic use documents, and what scripts/ and bench/ import (the
// NAB harness, for scripts/ only, is in src/dev.ts).
export { AnomalyDetector, AnomalyInputError, type AnomalyDetectorOptions } from './core/anomaly-detector.js';
export type { SeriesDetector, DetectorOptions } from './core/detectors/detector.js';
export { DETECTOR_NAMES, createDetector, type DetectorName } from './core/detectors/index.js';

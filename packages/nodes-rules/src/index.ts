export {
  AlarmEngine,
  type AlarmPoint,
  type AlarmListEntry,
  type AlarmEngineOptions,
  type AlarmCounts,
} from './core/alarm/alarm-engine.js';
export { ALARM_STATES, type AlarmState, type AlarmEvent } from './core/alarm/alarm.js';
export {
  AlarmCommandError,
  ALARM_COMMANDS,
  type AlarmCommandName,
  type AlarmCommand,
} from './core/alarm/alarm-commands.js';
export type { AlarmSnapshot } from './core/alarm/alarm-snapshot.js';
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
export {
  SeasonalModel,
  SEASONAL_DEFAULTS,
  type SeasonalOptions,
  type Forecast,
} from './core/forecast/seasonal-model.js';
export {
  DegradationWatch,
  DEGRADATION_DEFAULTS,
  type DegradationOptions,
  type Remaining,
} from './core/forecast/degradation.js';
export {
  Forecaster,
  FORECASTER_DEFAULTS,
  normalQuantile,
  type ForecasterOptions,
  type ForecastPoint,
  type ForecastResult,
} from './core/forecast/forecaster.js';

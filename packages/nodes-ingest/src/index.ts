export {
  QuestDbWriter,
  genericFormat,
  telemetryFormat,
  TelemetryWriter,
  telemetryTableDdl,
  eventsFormat,
  EVENTS_TABLE,
  eventsTableDdl,
  DEFAULT_TABLE,
  type TelemetryTable,
  type WriterOptions,
  type WriteResult,
  type RowFormat,
  type GenericTable,
  type Rejected,
} from './core/telemetry-writer.js';
export {
  exec,
  classify,
  IlpPoster,
  QuestDbError,
  type QuestDbConnection,
  type FailureKind,
  type QueryResult,
} from './core/questdb-http.js';
export { IlpBuffer, escapeName, escapeQuoted } from './core/ilp.js';
export {
  admit,
  admitEvents,
  nestedDeeperThan,
  MAX_BODY_DEPTH,
  type GateOptions,
  type GateResult,
  type GateRejection,
  type Request,
} from './core/ingest-gate.js';
export {
  parseTokens,
  mergeTokens,
  outOfScope,
  tokenHash,
  RateLimiter,
  TOKEN_LINE_FORMAT,
  type TokenGrant,
  type TokenTable,
} from './core/ingest-tokens.js';
export {
  bindSql,
  literal,
  identifier,
  presetSql,
  toRows,
  toSeries,
  type Preset,
  type PresetOptions,
  type SqlValue,
} from './core/sql.js';
export {
  toEvents,
  EVENT_KINDS,
  type PlantEvent,
  type EventKind,
  type EventContext,
  type EventRejection,
  type EventsResult,
} from './core/events.js';
export {
  kpiRows,
  oee,
  parseIdealRates,
  shiftStart,
  STATES,
  COUNTERS,
  counterIncreasesSql,
  DEFAULT_IDEAL_RATES,
  SHIFT_STARTS_UTC,
  type KpiRow,
  type Oee,
} from './core/kpis.js';
export { questDbServer, type QuestDbConfigNode } from './nodes/config-node.js';

export {
  QuestDbWriter,
  genericFormat,
  telemetryFormat,
  TelemetryWriter,
  telemetryTableDdl,
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
  senderConfig,
  QuestDbError,
  type QuestDbConnection,
  type FailureKind,
  type QueryResult,
} from './core/questdb-http.js';
export {
  admit,
  parseTokens,
  type GateOptions,
  type GateResult,
  type GateRejection,
  type TokenTable,
  type Request,
} from './core/ingest-gate.js';
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

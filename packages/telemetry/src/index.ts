export { TelemetryError, type PointIssue } from './errors.js';
export {
  IDENTIFIER_PATTERN,
  IDENTIFIER_RULE,
  isIdentifier,
  assertIdentifier,
  describeValue,
} from './identifier.js';
export {
  pointSchema,
  POINT_FIELDS,
  validatePoints,
  toPoint,
  type Point,
  type PointInput,
  type InvalidPoint,
  type ValidationResult,
} from './point.js';
export { normaliseTs, MIN_TS_MS, MAX_TS_MS } from './time.js';
export {
  uuidv7,
  createUuidV7Generator,
  uuidV7Time,
  isUuid,
  nameBasedId,
  PLANTWIRE_NAMESPACE,
  type UuidV7Generator,
} from './uuid.js';
export {
  buildTopic,
  parseTopic,
  commandTopic,
  parseDeviceTopic,
  POINT_TOPIC_FILTER,
  type SeriesKey,
} from './topic.js';
export { normaliseMetrics, type MetricsContext } from './metrics.js';
export { formatReading } from './reading.js';

// The pure cores, for scripts and benchmarks: the nodes are in src/nodes.
export {
  AlarmNotifier,
  type NotifierOptions,
  type Notification,
  type NotificationKind,
} from './core/alarm-notifier.js';
export {
  parseRoutes,
  recipientsFor,
  NotifyConfigError,
  type Route,
  type Recipients,
} from './core/notify-routes.js';
export {
  emailMessage,
  smsMessages,
  type EmailMessage,
  type SmsMessage,
} from './core/notification-messages.js';
export { notifyEvents } from './core/notify-input.js';
export {
  resolvePeriod,
  PERIODS,
  ReportInputError,
  type Period,
  type PeriodKind,
} from './core/report-period.js';
export { machineSql, machineRows, eventsSql, type Scope } from './core/report-queries.js';
export {
  buildReport,
  SUMMARY_COLUMNS,
  type PlantReport,
  type Section,
  type Column,
  type Row,
  type ReportOptions,
  type EventRow,
} from './core/report-model.js';
export { queryReport, type ReportTables } from './core/report-builder.js';
export {
  renderReport,
  fileStem,
  FORMATS,
  MIME_TYPES,
  type ReportFormat,
  type RenderedReport,
} from './core/report-render.js';
export { reportCsv, CSV_HEADER } from './core/format-csv.js';
export { cellText } from './core/format-pdf.js';

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

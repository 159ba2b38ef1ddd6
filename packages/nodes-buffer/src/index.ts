export {
  DurableQueue,
  type QueueOptions,
  type QueueStats,
  type FullPolicy,
  type DropReason,
} from './core/durable-queue.js';
export {
  QueueRejectedError,
  QueueStorageError,
  refusalStatus,
  type RefusalKind,
} from './core/queue-errors.js';
export { batchItems, type Batch } from './core/flights.js';
export { type QuarantinedBatch } from './core/quarantine.js';
export { type OrderMode } from './core/send-order.js';
export { backoffDelay, parseRetryAfter, type BackoffOptions } from './core/backoff.js';

export {
  DurableQueue,
  QueueRejectedError,
  QueueStorageError,
  type QueueOptions,
  type QueueStats,
  type Batch,
  type QuarantinedBatch,
  type FullPolicy,
  type OrderMode,
  type DropReason,
} from './core/durable-queue.js';
export { backoffDelay, parseRetryAfter, type BackoffOptions } from './core/backoff.js';

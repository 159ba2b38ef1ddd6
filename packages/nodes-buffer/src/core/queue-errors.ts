/**
 * Why items were refused: they can never be stored (not JSON objects), they are more than the whole queue holds,
 * or the queue is full now (reject-new, the disk floor) and they may be stored later.
 */
export type RefusalKind = 'bad-items' | 'too-large' | 'full';

/** A refusal the caller should pass on to the sender (done(err)): nothing of that call was stored. */
export class QueueRejectedError extends Error {
  constructor(
    message: string,
    readonly kind: RefusalKind,
  ) {
    super(message);
    this.name = 'QueueRejectedError';
  }
}

/**
 * The HTTP status a refusal means for its sender, set on the refused message for a Catch node that answers a
 * request: 400 and 413 are never worth sending again as they are; 503 (full, a storage error) is, later.
 */
export function refusalStatus(error: Error): 400 | 413 | 503 {
  if (!(error instanceof QueueRejectedError)) return 503;
  return error.kind === 'bad-items' ? 400 : error.kind === 'too-large' ? 413 : 503;
}

/**
 * SQLite could not write (disk full, I/O error): the transaction rolled back, nothing of that call was stored. Or
 * the file could not be opened for a reason other than corruption: it was left as it is.
 */
export class QueueStorageError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'QueueStorageError';
  }
}

/** A refusal the caller should pass on to the sender (done(err)): nothing of that call was stored. */
export class QueueRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueRejectedError';
  }
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

// Group commit: the messages that arrive in one event-loop turn are stored in one transaction, so durable
// (synchronous=FULL) storage stays fast; each message is done only after its own items are committed.

export interface Commitment {
  items: readonly unknown[];
  /** Called once the items are committed, or with the reason they were not. */
  done: (error?: Error) => void;
}

export class GroupCommit {
  private pending: Commitment[] = [];
  private scheduled = false;

  /**
   * @param write stores items in one transaction, or throws and stores none of them
   * @param committed runs after each group, with the last error of the group if any; it runs from setImmediate,
   *   where what it throws escapes every handler, so it must not throw
   */
  constructor(
    private readonly write: (items: readonly unknown[]) => void,
    private readonly committed: (error?: Error) => void,
  ) {}

  get waiting(): number {
    return this.pending.length;
  }

  /** Queues a message's items for this turn's commit. */
  add(entry: Commitment): void {
    this.pending.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.commit());
    }
  }

  /** Commits what is waiting now (this turn's commit then finds nothing to do). */
  commit(): void {
    this.scheduled = false;
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    let failure: Error | undefined;
    try {
      this.write(group.length === 1 ? group[0]!.items : group.flatMap((entry) => entry.items));
      for (const entry of group) entry.done();
    } catch (error) {
      if (group.length === 1) {
        failure = error as Error;
        group[0]!.done(failure);
      } else {
        // One bad message must not fail the others: commit them one by one.
        for (const entry of group) {
          try {
            this.write(entry.items);
            entry.done();
          } catch (single) {
            failure = single as Error;
            entry.done(failure);
          }
        }
      }
    }
    this.committed(failure);
  }
}

export interface Batch {
  /** Stable across retries. */
  id: string;
  /** The items as one JSON array text, as stored: parsed only by a caller that needs objects. */
  json: string;
  /** How many items. */
  count: number;
  firstSeq: number;
  lastSeq: number;
  bytes: number;
  /** 1 on the first send, 2 on the first retry, ... */
  attempt: number;
  /** Answers that failed it (nacks): its backoff grows with these, not with connections never made. */
  failures: number;
  /** Older than the last recovery (live-first mode): backlog. */
  historical: boolean;
}

/** A batch's items as objects. */
export const batchItems = <T>(batch: Batch): T[] => JSON.parse(batch.json) as T[];

interface Flight {
  batch: Batch;
  /** When it may be sent (again); Infinity while it waits for its answer. */
  dueAt: number;
  /** When its answer is late. */
  deadline: number;
  /** The last seq stored when it last went out: a failure shows the sink was down for the rows up to here. */
  storedAtSend: number;
}

/** The batches out of the queue and not yet acked or quarantined: sent and awaiting an answer, or waiting to retry. */
export class Flights {
  private readonly flights = new Map<string, Flight>();

  get size(): number {
    return this.flights.size;
  }

  has(batchId: string): boolean {
    return this.flights.has(batchId);
  }

  /** Sent and not yet answered. */
  awaiting(batchId: string): boolean {
    return this.flights.get(batchId)?.dueAt === Infinity;
  }

  batch(batchId: string): Batch | undefined {
    return this.flights.get(batchId)?.batch;
  }

  /** A new batch, about to be sent, with rows up to `storedAtSend` stored. */
  add(batch: Batch, storedAtSend: number): void {
    this.flights.set(batch.id, { batch, dueAt: Infinity, deadline: Infinity, storedAtSend });
  }

  /** The last seq stored when the batch last went out. */
  storedAtSend(batchId: string): number {
    return this.flights.get(batchId)?.storedAtSend ?? 0;
  }

  delete(batchId: string): void {
    this.flights.delete(batchId);
  }

  clear(): void {
    this.flights.clear();
  }

  /**
   * The oldest batch whose retry is due at `now` (of the backlog or not, when `historical` is given), going out
   * with rows up to `storedAtSend` stored; from then on it waits for its answer again.
   */
  takeDue(now: number, storedAtSend: number, historical?: boolean): Batch | undefined {
    let due: Flight | undefined;
    for (const flight of this.flights.values()) {
      if (flight.dueAt > now) continue;
      if (historical !== undefined && flight.batch.historical !== historical) continue;
      if (!due || flight.batch.firstSeq < due.batch.firstSeq) due = flight;
    }
    if (!due) return undefined;
    due.dueAt = Infinity;
    due.deadline = Infinity;
    due.storedAtSend = storedAtSend;
    return due.batch;
  }

  /** Its answer is late after `deadline`. */
  sent(batchId: string, deadline: number): void {
    const flight = this.flights.get(batchId);
    if (flight) flight.deadline = deadline;
  }

  /** Not delivered: it may go again at `dueAt`. */
  retryAt(batchId: string, dueAt: number): void {
    const flight = this.flights.get(batchId)!;
    flight.dueAt = dueAt;
    flight.deadline = Infinity;
  }

  /** Batches whose rows all lie up to `upTo` are history (backlog). */
  markHistory(upTo: number): void {
    for (const flight of this.flights.values())
      if (flight.batch.lastSeq <= upTo) flight.batch.historical = true;
  }

  /** Every batch waiting to retry goes again no sooner than `dueAt`. */
  holdAll(dueAt: number): void {
    for (const flight of this.flights.values())
      if (flight.dueAt !== Infinity) flight.dueAt = Math.max(flight.dueAt, dueAt);
  }

  /** Every batch waiting to retry may go at `now`. */
  releaseAll(now: number): void {
    for (const flight of this.flights.values()) if (flight.dueAt !== Infinity) flight.dueAt = now;
  }

  /** Ids of the batches whose answer is late at `now`. */
  late(now: number): string[] {
    return [...this.flights.values()].filter((f) => f.deadline <= now).map((f) => f.batch.id);
  }

  /** The earliest retry or answer deadline. */
  nextDue(): number {
    let next = Infinity;
    for (const flight of this.flights.values()) next = Math.min(next, flight.dueAt, flight.deadline);
    return next;
  }

  /** Items in all these batches. */
  rows(): number {
    let rows = 0;
    for (const flight of this.flights.values()) rows += flight.batch.count;
    return rows;
  }

  waitingRetry(): number {
    let waiting = 0;
    for (const flight of this.flights.values()) if (flight.dueAt !== Infinity) waiting++;
    return waiting;
  }

  /** Batches sent and not yet answered. */
  awaitingAnswer(): number {
    return this.flights.size - this.waitingRetry();
  }
}

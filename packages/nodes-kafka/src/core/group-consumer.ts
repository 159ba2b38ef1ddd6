// One member of a Kafka consumer group that hands each fetched batch downstream as one delivery and commits a
// partition's offset only over deliveries the downstream settled. Unsettled deliveries are redelivered (after a
// failure or an ack timeout); once maxInFlight are open, fetching pauses (back-pressure), though kafkajs still
// hands over the batches it had fetched (at most one more per assigned partition).
// A rebalance forgets what is open: the partition's next owner starts again at the committed offset, so what
// was open is delivered again (at least once; the sink deduplicates), never skipped. kafkajs 2.2.4 alone does not
// do that: each member caches the offsets it committed itself and, given a partition back, resumes from its cache,
// even when the partition's owner in between committed less (a commit kafkajs retried into a later generation
// lands after the next owner started). The group's committed offset then stays behind, its lag never clears. So
// after each join the member stays paused until it has read the group's committed offsets and seeked there.
// A crash of kafkajs's run (a broker killed mid-request) forgets what is open too, and the member runs again:
// kafkajs restarts it after a retriable error, this class after any other (later after each crash in a row), since
// kafkajs then leaves the member out of the group for good. Until it joins again, it has no partitions and its
// stats say why.
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { isRefusal } from './kafka-errors.js';
import { OffsetTracker } from './offset-tracker.js';
import { fromRecord } from './records.js';

export interface Delivery {
  /** identifies the delivery when its answer comes back */
  token: string;
  topic: string;
  partition: number;
  firstOffset: number;
  lastOffset: number;
  /** the points (or other values) of the batch's records, in offset order */
  items: unknown[];
  /** 1 on first delivery, counts redeliveries */
  attempt: number;
}

export interface GroupConsumerOptions {
  groupId: string;
  topic: string;
  fromBeginning: boolean;
  maxInFlight: number;
  ackTimeoutMs: number;
  retryDelayMs: number;
  /** How long the group waits for a silent member (a killed worker) before its partitions move. */
  sessionTimeoutMs: number;
  deliver: (delivery: Delivery) => void;
  /** Something worth showing changed (assignment, lag, pause, a commit or its failure). */
  onChange: () => void;
  /** A failure the consumer recovers from by itself (a failed commit, a restart after a crash). */
  onProblem: (message: string) => void;
}

export interface ConsumerStats {
  /** In the group: joined, and not crashed since. */
  joined: boolean;
  /**
   * Why the member is out of the group, from its last crash (or failed restart) until it joins again: refused
   * when the cluster refused it (authorization, a setting), else the brokers were not reached.
   */
  crash?: { error: string; refused: boolean };
  assigned: number[];
  inFlight: number;
  paused: boolean;
  /** records between the committed offsets and the partitions' ends */
  lag: number;
  delivered: number;
  committed: number;
  redelivered: number;
}

interface Open {
  delivery: Delivery;
  timer?: NodeJS.Timeout;
}

export class GroupConsumer {
  private readonly consumer: Consumer;
  /** Reads the group's committed offsets after each join. */
  private readonly admin: Admin;
  private readonly tracker = new OffsetTracker();
  private readonly open = new Map<string, Open>();
  // Tokens start with this instance's own prefix: after a redeploy the node (same id) has a new consumer, and an
  // answer to the old one must not settle the new one's batch of the same number (its records never written).
  private readonly tokenPrefix = randomUUID();
  private generation = 0;
  private sequence = 0;
  private paused = false;
  /** Paused after a join until the assigned partitions are seeked to the group's committed offsets. */
  private positioning = false;
  /** Joins so far: a positioning applies only to the join it was started for. */
  private joins = 0;
  private stopped = false;
  private joined = false;
  private crash?: { error: string; refused: boolean };
  /** Crashes since the member last joined: its own restart waits longer after each. */
  private crashes = 0;
  private assigned: number[] = [];
  private readonly highWatermarks = new Map<number, number>();
  private readonly committedOffsets = new Map<number, number>();
  private readonly toCommit = new Map<number, number>();
  private committing = false;
  private commitRetry?: NodeJS.Timeout;
  private restartTimer?: NodeJS.Timeout;
  private readonly counts = { delivered: 0, committed: 0, redelivered: 0 };

  constructor(
    kafka: Kafka,
    private readonly options: GroupConsumerOptions,
  ) {
    this.admin = kafka.admin();
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs,
      rebalanceTimeout: 2 * options.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(options.sessionTimeoutMs / 10)),
      // kafkajs idles this long when every partition is paused (as while positioning after a join), and a fetch
      // waits this long for data: half a second, as Java's fetch.max.wait.ms, rather than kafkajs's 5 s.
      maxWaitTimeInMs: 500,
      // A crashed run (a broker gone mid-request) restarts rather than leaving the worker idle.
      retry: { restartOnFailure: async () => !this.stopped },
    });
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (event) => {
      this.forgetOpen();
      this.joined = true;
      this.crash = undefined;
      this.crashes = 0;
      this.assigned = [...(event.payload.memberAssignment[options.topic] ?? [])].sort((a, b) => a - b);
      void this.positionAtCommitted(++this.joins);
      options.onChange();
    });
    this.consumer.on(CRASH, (event) => {
      // kafkajs emits this after tearing the run down, and restarts it only if this listener returns: the run's
      // pause went with it (the next run starts unpaused), so nothing is resumed here (that would throw).
      this.paused = false;
      this.positioning = false;
      this.forgetOpen();
      this.assigned = [];
      this.joined = false;
      this.crashes++;
      if (!event.payload.restart) this.restartLater(this.crashes);
      // Last, and never throwing: kafkajs restarts the run only if this listener returns.
      try {
        this.outOfGroup(event.payload.error ?? new Error('the consumer crashed'));
      } catch {
        // the status is only shown later
      }
    });
  }

  async start(): Promise<void> {
    // A stop while kafkajs connects or joins does not stop it (it retries and finishes anyway): a member left
    // running would hold partitions in the group that nobody answers. So after each step, a stop wins.
    await this.admin.connect();
    await this.consumer.connect();
    if (this.stopped) return this.disconnect();
    await this.consumer.subscribe({
      topics: [this.options.topic],
      fromBeginning: this.options.fromBeginning,
    });
    if (this.stopped) return this.disconnect();
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
    if (this.stopped) return this.disconnect();
  }

  /** The downstream's answer for a delivery: ok commits (when it completes a prefix), not ok redelivers. */
  settle(token: string, ok: boolean): boolean {
    const entry = this.open.get(token);
    if (!entry) return false;
    clearTimeout(entry.timer);
    const { delivery } = entry;
    if (!ok) {
      entry.timer = setTimeout(() => this.redeliver(entry), this.backoff(delivery.attempt));
      return true;
    }
    this.open.delete(token);
    const commit = this.tracker.settle(delivery.partition, delivery.firstOffset);
    if (commit !== undefined) {
      this.toCommit.set(delivery.partition, commit);
      void this.commit();
    }
    this.resumeIfRoom();
    this.options.onChange();
    return true;
  }

  stats(): ConsumerStats {
    let lag = 0;
    for (const partition of this.assigned) {
      const end = this.highWatermarks.get(partition);
      const committed = this.committedOffsets.get(partition);
      if (end !== undefined) lag += Math.max(0, end - (committed ?? 0));
    }
    return {
      joined: this.joined,
      ...(this.crash && { crash: this.crash }),
      assigned: this.assigned,
      inFlight: this.open.size,
      paused: this.paused,
      lag,
      ...this.counts,
    };
  }

  /** Leaves the group; open deliveries stay uncommitted and go to the partitions' next owner. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.commitRetry);
    clearTimeout(this.restartTimer);
    await this.commit();
    this.forgetOpen();
    await this.disconnect();
  }

  private async disconnect(): Promise<void> {
    await this.consumer.disconnect();
    await this.admin.disconnect();
  }

  private async onBatch({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> {
    // While positioning, a batch fetched from kafkajs's own position is left unresolved: fetched again from the seek.
    if (this.stopped || this.positioning || !isRunning() || isStale() || batch.messages.length === 0) return;
    const partition = batch.partition;
    const firstOffset = Number(batch.messages[0]!.offset);
    const lastOffset = Number(batch.lastOffset());
    this.highWatermarks.set(partition, Number(batch.highWatermark));
    const delivery: Delivery = {
      token: `${this.tokenPrefix}:${++this.sequence}`,
      topic: batch.topic,
      partition,
      firstOffset,
      lastOffset,
      items: batch.messages.flatMap((message) => fromRecord(message.value)),
      attempt: 1,
    };
    this.tracker.add(partition, firstOffset, lastOffset + 1);
    // Fetching goes on from here; committing waits for the downstream.
    resolveOffset(batch.lastOffset());
    const entry: Open = { delivery };
    this.open.set(delivery.token, entry);
    this.counts.delivered++;
    this.send(entry);
    if (this.open.size >= this.options.maxInFlight && !this.paused) {
      this.paused = true;
      this.consumer.pause([{ topic: this.options.topic }]);
      this.options.onChange();
    }
  }

  private send(entry: Open): void {
    entry.timer = setTimeout(() => this.redeliver(entry), this.options.ackTimeoutMs);
    this.options.deliver(entry.delivery);
  }

  private redeliver(entry: Open): void {
    if (this.stopped || this.open.get(entry.delivery.token) !== entry) return;
    entry.delivery = { ...entry.delivery, attempt: entry.delivery.attempt + 1 };
    this.counts.redelivered++;
    this.send(entry);
  }

  private backoff(attempt: number): number {
    return Math.min(this.options.retryDelayMs * 2 ** (attempt - 1), 30_000);
  }

  private resumeIfRoom(): void {
    if (this.paused && this.open.size < this.options.maxInFlight && !this.stopped) {
      this.paused = false;
      if (!this.positioning) this.resume();
    }
  }

  private resume(): void {
    try {
      this.consumer.resume([{ topic: this.options.topic }]);
    } catch {
      // kafkajs is tearing a crashed run down (it has no group to resume): its next run starts unpaused.
    }
  }

  /**
   * Pauses the topic, reads the group's committed offsets and seeks each assigned partition there (one without
   * an offset starts where kafkajs starts a new group), then resumes unless back-pressure holds it. Tried until it
   * succeeds, a retry delay apart, while this join is the latest: until then nothing is fetched, as in a rebalance.
   */
  private async positionAtCommitted(join: number): Promise<void> {
    const { topic, groupId } = this.options;
    this.positioning = true;
    try {
      this.consumer.pause([{ topic }]);
    } catch {
      // a crash is tearing the run down: its CRASH handler ends this positioning
    }
    /** This positioning still counts: no stop, crash or later join since it began. */
    const current = () => !this.stopped && join === this.joins && this.positioning;
    while (current()) {
      try {
        const [offsets] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
        if (!current()) return;
        for (const { partition, offset } of offsets?.partitions ?? []) {
          if (!this.assigned.includes(partition) || Number(offset) < 0) continue;
          this.consumer.seek({ topic, partition, offset });
          this.committedOffsets.set(partition, Number(offset));
        }
        this.positioning = false;
        if (!this.paused) this.resume();
        this.options.onChange();
        return;
      } catch (error) {
        this.options.onProblem((error as Error).message);
        await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs));
      }
    }
  }

  /** Runs the member again after a crash kafkajs does not restart from, retrying with backoff. */
  private restartLater(attempt: number): void {
    if (this.stopped) return;
    clearTimeout(this.restartTimer);
    // At most 5 s apart: a refusal does not spin, and the member is back within seconds of the brokers.
    this.restartTimer = setTimeout(
      () => {
        if (this.stopped) return;
        this.start().catch((error: Error) => {
          this.outOfGroup(error);
          this.restartLater(attempt + 1);
        });
      },
      Math.min(this.backoff(attempt), 5_000),
    );
  }

  /** Reports why the member is out of the group, until it joins again. */
  private outOfGroup(error: Error): void {
    this.crash = { error: error.message, refused: isRefusal(error) };
    this.options.onProblem(error.message);
    this.options.onChange();
  }

  private forgetOpen(): void {
    this.generation++;
    for (const entry of this.open.values()) clearTimeout(entry.timer);
    this.open.clear();
    this.tracker.reset();
    this.toCommit.clear();
    this.resumeIfRoom();
  }

  private async commit(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      while (this.toCommit.size > 0) {
        const generation = this.generation;
        const offsets = [...this.toCommit].map(([partition, offset]) => ({ partition, offset }));
        this.toCommit.clear();
        try {
          await this.consumer.commitOffsets(
            offsets.map(({ partition, offset }) => ({
              topic: this.options.topic,
              partition,
              offset: String(offset),
            })),
          );
          for (const { partition, offset } of offsets) this.committedOffsets.set(partition, offset);
          this.counts.committed += offsets.length;
        } catch (error) {
          this.options.onProblem((error as Error).message);
          if (this.stopped) break;
          // A rebalance came between: the partitions' next owners start at the last committed offsets and deliver
          // those records again; what this member settled since (its new assignment) is committed now, not left
          // waiting for a next answer that may never come.
          if (generation !== this.generation) continue;
          // Else tried again later (the group coordinator moves when its broker dies).
          for (const { partition, offset } of offsets)
            if (!this.toCommit.has(partition)) this.toCommit.set(partition, offset);
          clearTimeout(this.commitRetry);
          this.commitRetry = setTimeout(() => void this.commit(), this.options.retryDelayMs);
          break;
        }
      }
    } finally {
      this.committing = false;
      this.options.onChange();
    }
  }
}

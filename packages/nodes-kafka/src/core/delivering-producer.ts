// An acks=all, idempotent kafkajs producer whose deliver() resolves only when every record is acknowledged.
// Calls made while a send is in flight are sent together next, one send at a time, so a key's records keep
// their order (resends of a send included) and many small messages become one large send. A send stays under
// maxBatchBytes (a broker refuses a partition's batch over message.max.bytes, 1 MB by default), so a large
// message is split over several sends and resolves once all of them are acknowledged.
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { unacknowledged } from './delivery-check.js';
import type { OutRecord } from './records.js';

export interface DeliveringProducerOptions {
  /** Compare each send's result with what was sent and resend the rest (on by default; off only to show the loss). */
  deliveryCheck: boolean;
  /** At most this many bytes of keys and values per send (a single larger record goes alone). */
  maxBatchBytes: number;
  /** Rounds of resending what a send did not cover before giving up with an error. */
  maxResends: number;
}

export interface DeliveryStats {
  /** records acknowledged */
  delivered: number;
  /** records a resolved send did not cover, sent again */
  resent: number;
  /** records queued or in flight */
  pending: number;
}

interface Waiter {
  /** parts not yet acknowledged */
  remaining: number;
  failed: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Up to maxBatchBytes of one deliver() call's records. */
interface Part {
  topic: string;
  messages: Message[];
  bytes: number;
  waiter: Waiter;
}

export class DeliveringProducer {
  private readonly producer: Producer;
  // The partition kafkajs chose for each message object: the key's, so a resend goes where the first try went.
  private readonly chosen = new WeakMap<object, number>();
  private queue: Part[] = [];
  private sending = false;
  private readonly counts = { delivered: 0, resent: 0 };

  constructor(
    kafka: Kafka,
    private readonly options: DeliveringProducerOptions,
  ) {
    const chosen = this.chosen;
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: () => {
        const partitioner = Partitioners.DefaultPartitioner();
        return (args) => {
          const partition = partitioner(args);
          chosen.set(args.message, partition);
          return partition;
        };
      },
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /** Resolves once every record is acknowledged by the partition's in-sync replicas (acks=all). */
  deliver(topic: string, records: readonly OutRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { remaining: 0, failed: false, resolve, reject };
      let part: Part | undefined;
      for (const record of records) {
        const bytes = record.key.length + record.value.length;
        if (!part || part.bytes + bytes > this.options.maxBatchBytes) {
          part = { topic, messages: [], bytes: 0, waiter };
          waiter.remaining++;
          this.queue.push(part);
        }
        part.messages.push({ key: record.key, value: record.value });
        part.bytes += bytes;
      }
      void this.pump();
    });
  }

  stats(): DeliveryStats {
    const pending = this.queue.reduce((sum, part) => sum + part.messages.length, 0);
    return { ...this.counts, pending };
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
  }

  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const round = this.takeRound();
        if (round.length === 0) continue;
        try {
          await this.sendAll(
            round[0]!.topic,
            round.flatMap((part) => part.messages),
          );
          for (const { waiter } of round) if (--waiter.remaining === 0 && !waiter.failed) waiter.resolve();
        } catch (error) {
          for (const { waiter } of round) {
            if (waiter.failed) continue;
            waiter.failed = true;
            waiter.reject(error as Error);
          }
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /**
   * Parts of one topic from the front of the queue, up to maxBatchBytes (at least one part). Parts of a call that
   * already failed are dropped: the call was answered with the error and its sender sends it again.
   */
  private takeRound(): Part[] {
    const topic = this.queue[0]!.topic;
    let bytes = 0;
    let count = 0;
    for (const part of this.queue) {
      if (part.topic !== topic) break;
      if (count > 0 && bytes + part.bytes > this.options.maxBatchBytes) break;
      bytes += part.bytes;
      count++;
    }
    return this.queue.splice(0, count).filter((part) => !part.waiter.failed);
  }

  private async sendAll(topic: string, messages: Message[]): Promise<void> {
    let pending = messages;
    for (let round = 0; ; round++) {
      const result = await this.producer.send({ topic, messages: pending, acks: -1 });
      const missing = this.options.deliveryCheck
        ? unacknowledged(pending, (m) => this.chosen.get(m), result)
        : [];
      this.counts.delivered += pending.length - missing.length;
      if (missing.length === 0) return;
      if (round >= this.options.maxResends)
        throw new Error(
          `${missing.length} records of topic ${topic} were not acknowledged after ${round + 1} sends`,
        );
      this.counts.resent += missing.length;
      pending = missing;
    }
  }
}

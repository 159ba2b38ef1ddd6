// An acks=all, idempotent kafkajs producer whose deliver() resolves only when every record is acknowledged.
// Calls made while a send is in flight are sent together next, one send at a time, so a key's records keep
// their order (resends of a send included) and many small messages become one large send. A send carries at
// most maxBatchBytes per partition, keys and values counted in UTF-8 with each record's framing (a broker refuses
// a partition's batch over message.max.bytes, 1 MB by default), and at most MAX_SEND_BYTES in all, so with many
// partitions one send (one acks=all round trip) carries several times maxBatchBytes; before the topic's
// partitions are known, at most maxBatchBytes in all. A message larger than maxBatchBytes is split over several
// sends and resolves once all of them are acknowledged. A record the brokers refuse for what it is (too large,
// invalid) fails its message with a RecordsRefusedError, for it to be set aside rather than sent again.
import {
  CompressionTypes,
  Partitioners,
  type Kafka,
  type Message,
  type PartitionMetadata,
  type Producer,
} from 'kafkajs';
import { unacknowledged } from './delivery-check.js';
import { hasErrorType } from './kafka-errors.js';
import type { OutRecord } from './records.js';

export interface DeliveringProducerOptions {
  /** Compare each send's result with what was sent and resend the rest (on by default; off only to show the loss). */
  deliveryCheck: boolean;
  /** At most this many bytes of records per partition per send (a single larger record goes alone). */
  maxBatchBytes: number;
  /** Rounds of resending what a send did not cover before giving up with an error. */
  maxResends: number;
  /**
   * How each partition's records travel and are kept. gzip (kafkajs's only built-in codec) shrinks JSON points
   * about tenfold: the brokers write, replicate and keep that much less, which on brokers sharing a machine's
   * cores is what bounds the rate (1.5x the points per second here). Consumers decompress by themselves.
   */
  compression: ProducerCompression;
}

export type ProducerCompression = 'gzip' | 'none';

const CODECS: Record<ProducerCompression, CompressionTypes> = {
  gzip: CompressionTypes.GZIP,
  none: CompressionTypes.None,
};

export interface DeliveryStats {
  /** records acknowledged */
  delivered: number;
  /** records a resolved send did not cover, sent again */
  resent: number;
  /** records queued or in flight */
  pending: number;
}

/** The broker's refusals of the records themselves, which sending them again cannot mend. */
const REFUSED_RECORDS = ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD'];

/**
 * The brokers refused a message's records themselves (too large, invalid): sending them again fails again. The
 * broker's error is its cause.
 */
export class RecordsRefusedError extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = 'RecordsRefusedError';
  }
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

/**
 * At most this many bytes per send in all (or maxBatchBytes when larger), whatever the number of partitions.
 * Measured here: sends of about 2.4 MB cost the least CPU per point; 5.6 MB sends cost 30-70% more (kafkajs's
 * encoder copies its buffer each time it grows) and took three times longer each.
 */
const MAX_SEND_BYTES = 3 * 1024 * 1024;

type Partitioner = ReturnType<typeof Partitioners.DefaultPartitioner>;

export class DeliveringProducer {
  private producer: Producer;
  /** The broker refused a send's sequence numbers: the next send goes through a new producer. */
  private desynchronised = false;
  // The partition kafkajs chose for each message object: the key's, so a resend goes where the first try went.
  private readonly chosen = new WeakMap<object, number>();
  private readonly partitioner: Partitioner = Partitioners.DefaultPartitioner();
  // Each topic's partitions as kafkajs last saw them: which partition a record will go to, before it is sent.
  private readonly partitionsOf = new Map<string, PartitionMetadata[]>();
  private queue: Part[] = [];
  private sending = false;
  private disconnected = false;
  private readonly counts = { delivered: 0, resent: 0 };

  constructor(
    private readonly kafka: Kafka,
    private readonly options: DeliveringProducerOptions,
  ) {
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    const { chosen, partitioner, partitionsOf } = this;
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: () => (args) => {
        const partition = partitioner(args);
        chosen.set(args.message, partition);
        partitionsOf.set(args.topic, args.partitionMetadata);
        return partition;
      },
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    // A disconnect while kafkajs connected does not stop it (it retries and finishes): let the producer go again.
    if (this.disconnected) await this.producer.disconnect();
  }

  /** Resolves once every record is acknowledged by the partition's in-sync replicas (acks=all). */
  deliver(topic: string, records: readonly OutRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { remaining: 0, failed: false, resolve, reject };
      let part: Part | undefined;
      for (const record of records) {
        const message = { key: record.key, value: record.value };
        const bytes = messageBytes(message);
        if (!part || part.bytes + bytes > this.options.maxBatchBytes) {
          part = { topic, messages: [], bytes: 0, waiter };
          waiter.remaining++;
          this.queue.push(part);
        }
        part.messages.push(message);
        part.bytes += bytes;
      }
      void this.pump();
    });
  }

  stats(): DeliveryStats {
    const pending = this.queue.reduce((sum, part) => sum + part.messages.length, 0);
    return { ...this.counts, pending };
  }

  /** Lets the producer go; records not yet sent then fail their deliver() instead of being sent. */
  async disconnect(): Promise<void> {
    this.disconnected = true;
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
          // After disconnect() (the node's close) nothing more is sent: what is still queued fails, so its
          // message is answered with the error and its sender sends it again.
          if (this.disconnected) throw notSentError();
          if (this.desynchronised) await this.renew();
          await this.sendAll(
            round[0]!.topic,
            round.flatMap((part) => part.messages),
          );
          for (const { waiter } of round) if (--waiter.remaining === 0 && !waiter.failed) waiter.resolve();
        } catch (error) {
          if (hasErrorType(error, ['OUT_OF_ORDER_SEQUENCE_NUMBER'])) this.desynchronised = true;
          const waiters = new Set(round.map((part) => part.waiter));
          // Records refused for what they are fail their message for good only when the send held nothing else:
          // a send of several messages may have been refused for one of them, or for their size together.
          const failure =
            waiters.size === 1 && hasErrorType(error, REFUSED_RECORDS)
              ? new RecordsRefusedError(error as Error)
              : (error as Error);
          for (const waiter of waiters) {
            if (waiter.failed) continue;
            waiter.failed = true;
            waiter.reject(failure);
          }
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /**
   * Parts of one topic from the front of the queue (at least one part), up to maxBatchBytes per partition and
   * MAX_SEND_BYTES in all, or maxBatchBytes in all while the topic's partitions are unknown (before its first
   * send). Parts of a call that already failed are dropped: the call was answered with the error and its sender
   * sends it again.
   */
  private takeRound(): Part[] {
    const topic = this.queue[0]!.topic;
    const partitionMetadata = this.partitionsOf.get(topic);
    const { maxBatchBytes } = this.options;
    const perPartition = new Map<number, number>();
    const limit = partitionMetadata ? Math.max(MAX_SEND_BYTES, maxBatchBytes) : maxBatchBytes;
    let bytes = 0;
    let count = 0;
    for (const part of this.queue) {
      if (part.topic !== topic) break;
      if (count > 0 && bytes + part.bytes > limit) break;
      if (partitionMetadata) {
        const added = new Map(perPartition);
        for (const message of part.messages) {
          const partition =
            this.chosen.get(message) ?? this.partitioner({ topic, partitionMetadata, message });
          added.set(partition, (added.get(partition) ?? 0) + messageBytes(message));
        }
        if (count > 0 && [...added.values()].some((sum) => sum > maxBatchBytes)) break;
        for (const [partition, sum] of added) perPartition.set(partition, sum);
      }
      bytes += part.bytes;
      count++;
    }
    return this.queue.splice(0, count).filter((part) => !part.waiter.failed);
  }

  /**
   * Replaces the producer with a new one (a new producer id, sequences from 0). After a leader change, kafkajs can
   * keep sequence numbers the broker no longer expects, and every later send to that partition is refused as out
   * of order: the Java client bumps its epoch then, librdkafka gives up; a new producer is how kafkajs recovers.
   */
  private async renew(): Promise<void> {
    const old = this.producer;
    this.producer = this.newProducer();
    await old.disconnect().catch(() => undefined);
    // A disconnect() meanwhile went to the new producer, not yet connected: connected now, it would outlive the
    // close. connect() lets it go again when the disconnect() comes while it connects.
    if (!this.disconnected) await this.connect();
    if (this.disconnected) throw notSentError();
    this.desynchronised = false;
  }

  private async sendAll(topic: string, messages: Message[]): Promise<void> {
    let pending = messages;
    for (let round = 0; ; round++) {
      const result = await this.producer.send({
        topic,
        messages: pending,
        acks: -1,
        compression: CODECS[this.options.compression],
      });
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

/** The error of records not sent because disconnect() came first. */
function notSentError(): Error {
  return new Error('the producer was disconnected (closed) before these records were sent');
}

/**
 * What a record adds to its partition's batch besides its key and value, at most: the record format's length,
 * attributes, timestamp and offset deltas, key and value lengths and header count, varints at their longest.
 */
export const RECORD_OVERHEAD_BYTES = 32;

/** Bytes of a record as counted against maxBatchBytes: its key and value in UTF-8, and its framing. */
function messageBytes(message: Message): number {
  return (
    Buffer.byteLength(String(message.key)) + Buffer.byteLength(String(message.value)) + RECORD_OVERHEAD_BYTES
  );
}

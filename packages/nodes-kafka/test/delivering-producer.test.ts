// DeliveringProducer against a stand-in for kafkajs's producer that drops a partition from a send's result, as
// kafkajs 2.2.4 does when a partition leader dies mid-send (the real failure is in kafka-cluster.e2e.test.ts).
import {
  CompressionTypes,
  type Kafka,
  type Message,
  type ProducerConfig,
  type ProducerRecord,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  DeliveringProducer,
  RECORD_OVERHEAD_BYTES,
  RecordsRefusedError,
} from '../src/core/delivering-producer.js';
import { toRecords } from '../src/core/records.js';

const PARTITIONS = 3;

/** A kafkajs stand-in: partitions by the key's last character; `drop(round)` lists partitions a send "loses". */
function fakeKafka(
  drop: (round: number) => number[],
  fail?: (round: number) => Error | undefined,
  connecting?: Promise<void>,
) {
  const written: { partition: number; message: Message }[] = [];
  const producers = { created: 0, disconnected: 0 };
  let round = 0;
  const kafka = {
    producer(config: ProducerConfig) {
      const partitioner = config.createPartitioner!();
      producers.created++;
      return {
        connect: () => connecting ?? Promise.resolve(),
        disconnect: async () => {
          producers.disconnected++;
        },
        async send({ topic, messages }: { topic: string; messages: Message[] }) {
          const current = round++;
          const error = fail?.(current);
          if (error) throw error;
          const partitionMetadata = Array.from({ length: PARTITIONS }, (_, id) => ({
            partitionId: id,
            leader: 1,
          }));
          const lost = drop(current);
          const sentTo = new Set<number>();
          for (const message of messages) {
            // The real partitioner hashes the key; this one is readable, but called the same way.
            const partition =
              partitioner({ topic, partitionMetadata: partitionMetadata as never, message }) ??
              Number(String(message.key).slice(-1)) % PARTITIONS;
            sentTo.add(partition);
            if (!lost.includes(partition)) written.push({ partition, message });
          }
          return [...sentTo]
            .filter((p) => !lost.includes(p))
            .map((partition) => ({ topicName: topic, partition, errorCode: 0 }));
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, written, producers };
}

/** Calls `seen` after each send of the kafka's producers, with the messages sent. */
function onEachSend(kafka: Kafka, seen: (messages: Message[]) => void): void {
  const original = kafka.producer;
  (kafka as { producer: unknown }).producer = (config: ProducerConfig) => {
    const inner = original(config);
    return {
      ...inner,
      send: async (args: { messages: Message[] }) => {
        const result = await inner.send(args as never);
        seen(args.messages);
        return result;
      },
    };
  };
}

const points = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ ts: i, id: `id-${i}`, machine: `m${i % 7}` }));
const idsOf = (written: { message: Message }[]) =>
  written.flatMap(({ message }) => (JSON.parse(String(message.value)) as { id: string }[]).map((p) => p.id));

/** The producer most tests drive: delivery check on, 100 KB batches, 2 resend rounds, no compression. */
const checkedProducer = (kafka: ConstructorParameters<typeof DeliveringProducer>[0], options = {}) =>
  new DeliveringProducer(kafka, {
    deliveryCheck: true,
    maxBatchBytes: 100_000,
    maxResends: 2,
    compression: 'none',
    ...options,
  });

describe('DeliveringProducer', () => {
  it('a disconnect while kafkajs still connects wins: disconnected again once connected', async () => {
    let connected!: () => void;
    const fake = fakeKafka(() => [], undefined, new Promise((resolve) => (connected = resolve)));
    const producer = new DeliveringProducer(fake.kafka, {
      deliveryCheck: true,
      maxBatchBytes: 100_000,
      maxResends: 3,
      compression: 'none',
    });
    const connecting = producer.connect();
    await producer.disconnect();
    connected();
    await connecting;
    expect(fake.producers.disconnected).toBe(2);
  });

  it('resends the records of a partition a resolved send left out, and counts them', async () => {
    const { kafka, written } = fakeKafka((round) => (round === 0 ? [1] : []));
    const producer = checkedProducer(kafka, { maxResends: 3 });
    await producer.connect();
    await producer.deliver('t', toRecords(points(70), 'machine', 'n', 5));
    expect(new Set(idsOf(written))).toEqual(new Set(points(70).map((p) => p.id)));
    expect(producer.stats().resent).toBeGreaterThan(0);
    expect(producer.stats().delivered).toBe(written.length);
  });

  it('sends with the chosen codec: gzip, or none', async () => {
    for (const [compression, codec] of [
      ['gzip', CompressionTypes.GZIP],
      ['none', CompressionTypes.None],
    ] as const) {
      const { kafka } = fakeKafka(() => []);
      const codecs: unknown[] = [];
      const original = kafka.producer;
      (kafka as { producer: unknown }).producer = (config: ProducerConfig) => {
        const inner = original(config);
        return {
          ...inner,
          send: (args: ProducerRecord) => (codecs.push(args.compression), inner.send(args)),
        };
      };
      const producer = checkedProducer(kafka, { maxResends: 3, compression });
      await producer.deliver('t', toRecords(points(20), 'machine', 'n', 5));
      expect(new Set(codecs)).toEqual(new Set([codec]));
    }
  });

  it('with the check off, resolves although records were lost (what kafkajs alone does)', async () => {
    const { kafka, written } = fakeKafka((round) => (round === 0 ? [1] : []));
    const producer = checkedProducer(kafka, { deliveryCheck: false, maxResends: 3 });
    await producer.deliver('t', toRecords(points(70), 'machine', 'n', 5));
    expect(idsOf(written).length).toBeLessThan(70);
    expect(producer.stats().resent).toBe(0);
  });

  it('fails the delivery when resending does not help within maxResends, saying how many records', async () => {
    const { kafka } = fakeKafka(() => [2]);
    const producer = checkedProducer(kafka);
    await expect(producer.deliver('t', toRecords(points(70), 'machine', 'n', 5))).rejects.toThrow(
      /records of topic t were not acknowledged after 3 sends/,
    );
  });

  it('fails every message of a send that throws, and goes on with the next messages', async () => {
    const { kafka, written } = fakeKafka(
      () => [],
      (round) => (round === 0 ? new Error('broker down') : undefined),
    );
    const producer = checkedProducer(kafka);
    const first = producer.deliver('t', toRecords(points(5), 'machine', 'n', 5));
    const second = producer.deliver('t', toRecords(points(5), 'machine', 'n', 5));
    await expect(first).rejects.toThrow('broker down');
    await expect(second).resolves.toBeUndefined();
    expect(idsOf(written)).toHaveLength(5);
  });

  it('after the broker refuses a send as out of order, sends the next through a new producer (how kafkajs recovers)', async () => {
    // kafkajs throws the broker's refusal as a protocol error with its type.
    const desync = Object.assign(new Error('The broker received an out of order sequence number'), {
      type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    });
    const { kafka, written, producers } = fakeKafka(
      () => [],
      (round) => [new Error('broker down'), desync][round],
    );
    const producer = checkedProducer(kafka);
    await producer.connect();
    const records = toRecords(points(5), 'machine', 'n', 5);
    // Another failure keeps the producer; the refusal replaces it before the next send, and the old one is closed.
    await expect(producer.deliver('t', records)).rejects.toThrow('broker down');
    expect(producers).toEqual({ created: 1, disconnected: 0 });
    await expect(producer.deliver('t', records)).rejects.toThrow(/out of order/);
    expect(producers).toEqual({ created: 1, disconnected: 0 });
    await producer.deliver('t', records);
    expect(producers).toEqual({ created: 2, disconnected: 1 });
    expect(idsOf(written)).toHaveLength(5);
  });

  it('when the new producer cannot connect, fails that delivery and tries a new one again with the next', async () => {
    const desync = Object.assign(new Error('out of order'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    const { kafka, written, producers } = fakeKafka(
      () => [],
      (round) => (round === 0 ? desync : undefined),
    );
    let refuse = 1;
    const make = kafka.producer.bind(kafka);
    kafka.producer = (config) => {
      const made = make(config);
      return {
        ...made,
        connect: async () => (refuse-- > 0 ? Promise.reject(new Error('no broker')) : undefined),
      };
    };
    const producer = checkedProducer(kafka);
    const records = toRecords(points(5), 'machine', 'n', 5);
    await expect(producer.deliver('t', records)).rejects.toThrow('out of order');
    await expect(producer.deliver('t', records)).rejects.toThrow('no broker');
    await producer.deliver('t', records);
    expect(producers).toEqual({ created: 3, disconnected: 2 });
    expect(idsOf(written)).toHaveLength(5);
  });

  it.each(['the old producer goes', 'the new producer connects'])(
    'a disconnect while %s after a refused sequence wins: no producer stays connected, the queued messages fail unsent',
    async (during) => {
      const desync = Object.assign(new Error('out of order'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
      const { kafka } = fakeKafka(
        () => [],
        (round) => (round === 0 ? desync : undefined),
      );
      let release!: () => void;
      const blocked = new Promise<void>((resolve) => (release = resolve));
      const connected = new Set<number>();
      let closed = false;
      let sentAfterClose = 0;
      let made = 0;
      const make = kafka.producer.bind(kafka);
      kafka.producer = (config) => {
        const id = made++;
        const inner = make(config);
        return {
          ...inner,
          connect: async () => {
            if (id === 1 && during === 'the new producer connects') await blocked;
            connected.add(id);
          },
          disconnect: async () => {
            if (id === 0 && during === 'the old producer goes') await blocked;
            connected.delete(id);
          },
          send: async (record: ProducerRecord) => {
            if (closed) sentAfterClose++;
            return inner.send(record);
          },
        };
      };
      const producer = checkedProducer(kafka);
      await producer.connect();
      const records = toRecords(points(5), 'machine', 'n', 5);
      await expect(producer.deliver('t', records)).rejects.toThrow('out of order');
      // The next send renews the producer and waits there; the one after it queues behind.
      const renewing = producer.deliver('t', records);
      const queued = producer.deliver('t', records);
      closed = true;
      await producer.disconnect();
      release();
      await expect(renewing).rejects.toThrow(/disconnected \(closed\) before these records were sent/);
      await expect(queued).rejects.toThrow(/disconnected/);
      expect(connected).toEqual(new Set());
      expect(sentAfterClose).toBe(0);
      expect(producer.stats().pending).toBe(0);
    },
  );

  it('sends messages queued behind a send together, at most maxBatchBytes per send', async () => {
    const sizes: number[] = [];
    const { kafka } = fakeKafka(() => []);
    onEachSend(kafka, (messages) => sizes.push(messages.length));
    const producer = new DeliveringProducer(kafka, {
      deliveryCheck: true,
      maxBatchBytes: 10 * (4 + RECORD_OVERHEAD_BYTES), // ten records of a 4-byte key and value
      maxResends: 2,
      compression: 'none',
    });
    const records = Array.from({ length: 6 }, (_, i) => [
      { key: `k${i}`, value: '[]' },
      { key: `k${i}`, value: '[]' },
    ]);
    await Promise.all(records.map((r) => producer.deliver('t', r)));
    expect(sizes).toEqual([2, 10]);
  });

  it('counts a record in UTF-8 bytes with its framing: two-byte characters fill a send twice as fast', async () => {
    const sizes: number[] = [];
    const { kafka } = fakeKafka(() => []);
    onEachSend(kafka, (messages) => sizes.push(messages.length));
    const perRecord = 2 + 2 * 40 + RECORD_OVERHEAD_BYTES; // 'k0' and 40 times 'ü'
    const producer = new DeliveringProducer(kafka, {
      deliveryCheck: true,
      maxBatchBytes: 3 * perRecord,
      maxResends: 2,
      compression: 'none',
    });
    const record = { key: 'k0', value: 'ü'.repeat(40) };
    await producer.deliver(
      't',
      Array.from({ length: 7 }, () => record),
    );
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('fails a message whose records the broker refuses for what they are with a RecordsRefusedError, and goes on', async () => {
    const tooLarge = Object.assign(
      new Error('The request included a message larger than the max message size'),
      {
        type: 'MESSAGE_TOO_LARGE',
        retriable: false,
      },
    );
    const { kafka, written } = fakeKafka(
      () => [],
      (round) => (round === 0 ? tooLarge : undefined),
    );
    const producer = checkedProducer(kafka);
    const refused = producer.deliver('t', toRecords(points(5), 'machine', 'n', 5));
    await expect(refused).rejects.toBeInstanceOf(RecordsRefusedError);
    await expect(refused).rejects.toMatchObject({ message: tooLarge.message, cause: tooLarge });
    await producer.deliver('t', toRecords(points(5), 'machine', 'n', 5));
    expect(idsOf(written)).toHaveLength(5);
  });

  it('does not take a refused send of several messages as a refusal of each (one of them, or all together)', async () => {
    const tooLarge = Object.assign(
      new Error('The request included a message larger than the max message size'),
      {
        type: 'MESSAGE_TOO_LARGE',
        retriable: false,
      },
    );
    const { kafka } = fakeKafka(
      () => [],
      (round) => (round === 1 ? tooLarge : undefined),
    );
    const producer = checkedProducer(kafka);
    // The first goes alone; the two queued behind it go together in the second send, which is refused.
    const first = producer.deliver('t', toRecords(points(5), 'machine', 'n', 5));
    const together = [1, 2].map(() => producer.deliver('t', toRecords(points(5), 'machine', 'n', 5)));
    await expect(first).resolves.toBeUndefined();
    for (const delivery of together) {
      await expect(delivery).rejects.toBe(tooLarge);
    }
  });

  it('once the partitions are known, sends up to maxBatchBytes per partition together, never more to one partition', async () => {
    const { kafka, written } = fakeKafka(() => []);
    const perSend: { partition: number; message: Message }[][] = [];
    onEachSend(kafka, (messages) => perSend.push(written.slice(written.length - messages.length)));
    const producer = new DeliveringProducer(kafka, {
      deliveryCheck: true,
      maxBatchBytes: 8 * (4 + RECORD_OVERHEAD_BYTES), // eight records of a 4-byte key and value
      maxResends: 2,
      compression: 'none',
    });
    await producer.deliver('t', [{ key: 'k0', value: '[]' }]);
    const messages = Array.from({ length: 30 }, (_, i) => [{ key: `k${i % 10}`, value: '[]' }]);
    await Promise.all(messages.map((records) => producer.deliver('t', records)));
    const limit = 8 * (4 + RECORD_OVERHEAD_BYTES);
    const bytes = (sent: { message: Message }[]) =>
      sent.reduce(
        (sum, { message }) =>
          sum + String(message.key).length + String(message.value).length + RECORD_OVERHEAD_BYTES,
        0,
      );
    expect(written).toHaveLength(31);
    // The first send knew no partitions: the limit in all; later ones carry more, at most the limit per partition.
    expect(bytes(perSend[0]!)).toBeLessThanOrEqual(limit);
    expect(Math.max(...perSend.map(bytes))).toBeGreaterThan(limit);
    for (const sent of perSend)
      for (let p = 0; p < PARTITIONS; p++)
        expect(bytes(sent.filter(({ partition }) => partition === p))).toBeLessThanOrEqual(limit);
  });

  it('splits a message larger than maxBatchBytes over several sends and resolves once all are acknowledged', async () => {
    const { kafka, written } = fakeKafka(() => []);
    const producer = new DeliveringProducer(kafka, {
      deliveryCheck: true,
      maxBatchBytes: 200,
      maxResends: 2,
      compression: 'none',
    });
    await producer.deliver('t', toRecords(points(70), 'machine', 'n', 1));
    expect(new Set(idsOf(written))).toEqual(new Set(points(70).map((p) => p.id)));
  });

  it('fails a split message when one of its sends fails, and does not send the rest of it', async () => {
    const { kafka, written } = fakeKafka(
      () => [],
      (round) => (round === 1 ? new Error('broker down') : undefined),
    );
    const producer = new DeliveringProducer(kafka, {
      deliveryCheck: true,
      maxBatchBytes: 200,
      maxResends: 2,
      compression: 'none',
    });
    await expect(producer.deliver('t', toRecords(points(70), 'machine', 'n', 1))).rejects.toThrow(
      'broker down',
    );
    expect(idsOf(written).length).toBeLessThan(70);
    expect(producer.stats().pending).toBe(0);
  });
});

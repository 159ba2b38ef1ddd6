// kafka-produce and kafka-consume inside Node-RED over stand-ins for kafkajs's producer and consumer, put on
// kafkajs's Kafka class (kafka-config's client is one): a relay flow, what a message is answered with when a send
// is refused or the brokers were never reached, and the status after a consumer crash. The real cluster is in
// kafka-cluster.e2e.test.ts.
import { createRequire } from 'node:module';
import type { ConsumerConfig, EachBatchPayload, Message, ProducerConfig } from 'kafkajs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect, nodeRedTestHelper, until } from '@plantwire/testkit';
import { NODE_MODULES } from './fixtures/flows.js';

const require = createRequire(import.meta.url);
const kafkajs = require('kafkajs') as typeof import('kafkajs');
const helper = nodeRedTestHelper();

/** What the stand-ins do, set by each test. */
let producing: {
  connect: () => Promise<void>;
  send: () => Promise<void>;
  disconnect: () => Promise<void>;
  sent: Message[];
};
let consuming: {
  listeners: Map<string, (event: unknown) => void>;
  eachBatch?: (payload: EachBatchPayload) => Promise<void>;
  runs: number;
  commits: { partition: number; offset: string }[];
};

const original = {
  producer: kafkajs.Kafka.prototype.producer,
  consumer: kafkajs.Kafka.prototype.consumer,
  admin: kafkajs.Kafka.prototype.admin,
};

function standInProducer(config: ProducerConfig) {
  const partitioner = config.createPartitioner!();
  const partitionMetadata = [{ partitionId: 0, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }];
  return {
    connect: () => producing.connect(),
    disconnect: () => producing.disconnect(),
    async send({ topic, messages }: { topic: string; messages: Message[] }) {
      await producing.send();
      for (const message of messages) partitioner({ topic, partitionMetadata, message });
      producing.sent.push(...messages);
      return [{ topicName: topic, partition: 0, errorCode: 0 }];
    },
  };
}

function standInConsumer(_config: ConsumerConfig) {
  return {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: (event: string, listener: (event: unknown) => void) => consuming.listeners.set(event, listener),
    connect: async () => {},
    subscribe: async () => {},
    run: async ({ eachBatch }: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      consuming.eachBatch = eachBatch;
      consuming.runs++;
    },
    pause: () => {},
    resume: () => {},
    seek: () => {},
    commitOffsets: async (offsets: { partition: number; offset: string }[]) => {
      consuming.commits.push(...offsets.map(({ partition, offset }) => ({ partition, offset })));
    },
    disconnect: async () => {},
  };
}

/** The admin client kafka-consume reads the group's committed offsets with after a join: none committed yet. */
function standInAdmin() {
  return {
    connect: async () => {},
    disconnect: async () => {},
    fetchOffsets: async ({ topics }: { topics: string[] }) =>
      topics.map((topic) => ({ topic, partitions: [] })),
  };
}

/** A fetched batch of `count` records from offset 0 of partition 0 of topic `points`, one point each. */
const batch = (count: number) =>
  consuming.eachBatch!({
    batch: {
      topic: 'points',
      partition: 0,
      highWatermark: String(count),
      messages: Array.from({ length: count }, (_, i) => ({
        offset: String(i),
        value: Buffer.from(JSON.stringify([{ machine: 'm1', n: i }])),
      })),
      lastOffset: () => String(count - 1),
    },
    resolveOffset: () => {},
    isRunning: () => true,
    isStale: () => false,
  } as unknown as EachBatchPayload);
/** A join, and kafka-consume's positioning at the group's committed offsets that follows it. */
const join = async () => {
  consuming.listeners.get('join')!({ payload: { memberAssignment: { points: [0] } } });
  await new Promise((resolve) => setTimeout(resolve, 0));
};
const crash = (error: Error, restart: boolean) =>
  consuming.listeners.get('crash')!({ payload: { error, restart } });

const flow = (produce: Record<string, unknown> = {}, consume: Record<string, unknown> = {}) => [
  { id: 'kafka', type: 'kafka-config', brokers: '127.0.0.1:9' },
  { id: 'produce', type: 'kafka-produce', cluster: 'kafka', topic: 'points', wires: [['sent']], ...produce },
  { id: 'consume', type: 'kafka-consume', cluster: 'kafka', topic: 'points', wires: [['got']], ...consume },
  { id: 'sent', type: 'helper' },
  { id: 'got', type: 'helper' },
  { id: 'catcher', type: 'catch', scope: ['produce', 'consume'], uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper' },
];

const statuses = (id: string) => {
  const seen: any[] = [];
  helper.getNode(id)!.on('call:status' as never, ((call: any) => seen.push(call.args[0])) as never);
  return seen;
};
const lastStatus = (seen: any[]) => seen.at(-1) ?? {};

describe('kafka nodes inside Node-RED, over kafkajs stand-ins', () => {
  beforeAll(async () => {
    kafkajs.Kafka.prototype.producer = standInProducer as never;
    kafkajs.Kafka.prototype.consumer = standInConsumer as never;
    kafkajs.Kafka.prototype.admin = standInAdmin as never;
    await helper.startServer();
  });
  beforeEach(() => {
    producing = { connect: async () => {}, send: async () => {}, disconnect: async () => {}, sent: [] };
    consuming = { listeners: new Map(), runs: 0, commits: [] };
  });
  afterEach(() => helper.unload());
  afterAll(async () => {
    await helper.stopServer();
    Object.assign(kafkajs.Kafka.prototype, original);
  });

  it("a relay kafka-consume -> kafka-produce -> kafka-consume commits: kafka-produce keeps kafka-consume's msg.kafka", async () => {
    await helper.load(NODE_MODULES, flow({ wires: [['consume', 'sent']] }, { wires: [['produce']] }));
    const sent = collect(helper, 'sent');
    await until('the consumer to run', () => consuming.runs === 1);
    await join();
    await batch(3);
    await until('the commit of the relayed batch', () => consuming.commits.length === 1);
    expect(consuming.commits).toEqual([{ partition: 0, offset: '3' }]);
    expect(producing.sent).toHaveLength(1);
    expect(sent[0].kafka).toMatchObject({ consumer: 'consume', partition: 0, topic: 'points', records: 1 });
  });

  it('kafka-consume shows a crash until it joins again: a yellow ring for brokers not reached, red for a refusal', async () => {
    await helper.load(NODE_MODULES, flow({}, { retryDelayS: '0.01' }));
    const seen = statuses('consume');
    await until('the consumer to run', () => consuming.runs === 1);
    await join();
    await until('the partitions', () => /^partitions 0,/.test(lastStatus(seen).text));
    expect(lastStatus(seen)).toMatchObject({ fill: 'green' });
    crash(new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED'), true);
    await until('the crash', () => /^brokers unreachable/.test(lastStatus(seen).text));
    expect(lastStatus(seen)).toMatchObject({
      fill: 'yellow',
      shape: 'ring',
      text: 'brokers unreachable: Connection error: connect ECONNREFUSED',
    });
    await join();
    await until('the partitions again', () => /^partitions 0,/.test(lastStatus(seen).text));
    const denied = new kafkajs.KafkaJSProtocolError({
      message: 'Not authorized to access group: Group authorization failed',
      type: 'GROUP_AUTHORIZATION_FAILED',
      code: 30,
      retriable: false,
    } as never);
    crash(Object.assign(new kafkajs.KafkaJSNonRetriableError(denied), { cause: denied }), false);
    await until('the refusal', () => /^the cluster refused/.test(lastStatus(seen).text));
    expect(lastStatus(seen)).toMatchObject({ fill: 'red', shape: 'ring' });
    // Run again by the node itself (kafkajs does not after a refusal), still red until it joins.
    await until('the run again', () => consuming.runs === 2);
    expect(lastStatus(seen)).toMatchObject({ fill: 'red' });
    await join();
    await until('the partitions after the refusal', () => /^partitions 0,/.test(lastStatus(seen).text));
  });

  it('kafka-produce answers records the brokers refuse with msg.statusCode 413 (store-forward sets them aside), other failures without', async () => {
    await helper.load(NODE_MODULES, flow());
    const caught = collect(helper, 'caught');
    const tooLarge = new kafkajs.KafkaJSProtocolError({
      message: 'The request included a message larger than the max message size the server will accept',
      type: 'MESSAGE_TOO_LARGE',
      code: 10,
      retriable: false,
    } as never);
    producing.send = () => Promise.reject(tooLarge);
    helper.getNode('produce')!.receive({ payload: [{ machine: 'm1', n: 1 }], sf: { batch: 1 } });
    await until('the refusal', () => caught.length === 1);
    expect(caught[0]).toMatchObject({ statusCode: 413, sf: { batch: 1 } });
    expect(caught[0].error.message).toMatch(
      /kafka-produce: refused by the brokers \(msg.statusCode 413: sending it again fails again\): The request included/,
    );
    producing.send = () => Promise.reject(new kafkajs.KafkaJSError('Broker not available'));
    helper.getNode('produce')!.receive({ payload: [{ machine: 'm1', n: 2 }], sf: { batch: 2 } });
    await until('the failure', () => caught.length === 2);
    expect(caught[1].statusCode).toBeUndefined();
    expect(caught[1].error.message).toMatch(
      /kafka-produce: not delivered \(send it again\): Broker not available/,
    );
  });

  it('kafka-produce refuses a payload JSON cannot carry, with a red status, and sends nothing', async () => {
    await helper.load(NODE_MODULES, flow());
    const caught = collect(helper, 'caught');
    const seen = statuses('produce');
    const loop: Record<string, unknown> = { machine: 'm1' };
    loop.self = loop;
    helper.getNode('produce')!.receive({ payload: [{ machine: 'm1', n: 1n }] });
    helper.getNode('produce')!.receive({ payload: loop });
    await until('both refusals', () => caught.length === 2);
    expect(caught.map((m) => m.error.message)).toEqual([
      expect.stringMatching(/kafka-produce: msg.payload cannot be sent as JSON, not sent: .*BigInt$/),
      expect.stringMatching(
        /kafka-produce: msg.payload cannot be sent as JSON, not sent: .*circular .*JSON$/,
      ),
    ]);
    expect(lastStatus(seen)).toMatchObject({ fill: 'red' });
    expect(producing.sent).toEqual([]);
  });

  it('kafka-produce closes within 15 s when the brokers stop answering: 10 s for what was handed over, 2 s to say goodbye', async () => {
    let sending = false;
    producing.send = () => {
      sending = true;
      return new Promise(() => {});
    };
    producing.disconnect = () => new Promise(() => {});
    await helper.load(NODE_MODULES, flow());
    helper.getNode('produce')!.receive({ payload: [{ machine: 'm1', n: 1 }] });
    await until('the send', () => sending);
    const started = Date.now();
    await helper.unload();
    const took = Date.now() - started;
    // Node-RED gives up on a close after 15 s and logs it as an error; before, this close took 20 s.
    expect(took).toBeGreaterThanOrEqual(11_500);
    expect(took).toBeLessThan(13_500);
  }, 30_000);

  it('kafka-produce holds messages only while it first tries the brokers, then answers them with an error until it reaches them', async () => {
    let fail!: (error: Error) => void;
    let attempts = 0;
    producing.connect = () =>
      ++attempts === 1 ? new Promise((_, reject) => (fail = reject)) : Promise.resolve();
    await helper.load(NODE_MODULES, flow());
    const seen = statuses('produce');
    const sent = collect(helper, 'sent');
    const caught = collect(helper, 'caught');
    await until('the first connect', () => attempts === 1);
    helper.getNode('produce')!.receive({ payload: [{ machine: 'm1', n: 1 }] });
    fail(new kafkajs.KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9'));
    await until('the status', () => /^brokers unreachable/.test(lastStatus(seen).text));
    helper.getNode('produce')!.receive({ payload: [{ machine: 'm1', n: 2 }] });
    await until('the answer', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(
      /kafka-produce: brokers unreachable, not sent \(send it again\): Connection error: connect ECONNREFUSED/,
    );
    expect(caught[0].payload).toEqual([{ machine: 'm1', n: 2 }]);
    // Connected at the next try (3 s later): the message held from before the failure goes out, and the next too.
    await until('the held message', () => sent.length === 1, 5000);
    expect(sent[0].payload).toEqual([{ machine: 'm1', n: 1 }]);
    helper.getNode('produce')!.receive({ payload: [{ machine: 'm1', n: 3 }] });
    await until('the next message', () => sent.length === 2);
    expect(caught).toHaveLength(1);
  }, 10_000);
});

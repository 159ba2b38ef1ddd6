// GroupConsumer against a stand-in for kafkajs's consumer, to drive batches, answers, rebalances and failed
// commits one at a time (the real cluster is in kafka-cluster.e2e.test.ts).
import {
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  type ConsumerConfig,
  type EachBatchPayload,
  type Kafka,
} from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { until } from '@plantwire/testkit';
import { GroupConsumer, type Delivery, type GroupConsumerOptions } from '../src/core/group-consumer.js';

function fakeKafka(options: { failCommits?: number; connecting?: Promise<void> } = {}) {
  let failures = options.failCommits ?? 0;
  const listeners = new Map<string, (event: unknown) => void>();
  const state = {
    config: undefined as ConsumerConfig | undefined,
    eachBatch: undefined as ((payload: EachBatchPayload) => Promise<void>) | undefined,
    paused: 0,
    resumed: 0,
    commits: [] as { partition: number; offset: string }[],
    resolved: [] as string[],
    /** consumer.run() calls, and kafkajs's own restarts after a crash */
    runs: 0,
    restarts: 0,
    disconnects: 0,
    // kafkajs has a group (pause and resume work) only while a run is up; a crash tears it down.
    running: false,
    /** The next connect fails with this. */
    connectError: undefined as Error | undefined,
    /** The group's committed offsets, as the brokers answer them after a join. */
    groupOffsets: [] as { partition: number; offset: string }[],
    /** Offset fetches that fail before one succeeds. */
    failOffsetFetches: 0,
    seeks: [] as { partition: number; offset: string }[],
  };
  const group = () => {
    if (!state.running)
      throw new Error('Consumer group was not initialized, consumer#run must be called first');
  };
  const kafka = {
    admin: () => ({
      connect: async () => {},
      disconnect: async () => {},
      fetchOffsets: async () => {
        if (state.failOffsetFetches > 0) {
          state.failOffsetFetches--;
          throw new Error('The coordinator is loading and hence can not process requests');
        }
        return [{ topic: 't', partitions: state.groupOffsets }];
      },
    }),
    consumer(config: ConsumerConfig) {
      state.config = config;
      return {
        events: { GROUP_JOIN: 'join', CRASH: 'crash' },
        on: (event: string, listener: (event: unknown) => void) => listeners.set(event, listener),
        connect: () => {
          const error = state.connectError;
          state.connectError = undefined;
          return error ? Promise.reject(error) : (options.connecting ?? Promise.resolve());
        },
        subscribe: async () => {},
        run: async ({ eachBatch }: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
          state.eachBatch = eachBatch;
          state.runs++;
          state.running = true;
        },
        pause: () => {
          group();
          state.paused++;
        },
        resume: () => {
          group();
          state.resumed++;
        },
        seek: ({ partition, offset }: { partition: number; offset: string }) => {
          group();
          state.seeks.push({ partition, offset });
        },
        commitOffsets: async (offsets: { partition: number; offset: string }[]) => {
          if (failures > 0) {
            failures--;
            throw new Error('This is not the correct coordinator');
          }
          state.commits.push(...offsets.map(({ partition, offset }) => ({ partition, offset })));
        },
        disconnect: async () => {
          state.disconnects++;
          state.running = false;
        },
      };
    },
  } as unknown as Kafka;
  /** A fetched batch of `count` records from `from` on `partition`, each holding one point. */
  const batch = (partition: number, from: number, count: number) =>
    state.eachBatch!({
      batch: {
        topic: 't',
        partition,
        highWatermark: '1000',
        messages: Array.from({ length: count }, (_, i) => ({
          offset: String(from + i),
          value: Buffer.from(JSON.stringify([{ n: from + i }])),
        })),
        lastOffset: () => String(from + count - 1),
      },
      resolveOffset: (offset: string) => state.resolved.push(offset),
      isRunning: () => true,
      isStale: () => false,
    } as unknown as EachBatchPayload);
  /** A join, and the member's positioning at the group's committed offsets that follows it. */
  const join = async (partitions: number[]) => {
    listeners.get('join')!({ payload: { memberAssignment: { t: partitions } } });
    // the offset fetch's few promise turns (no timer: some tests fake the clock)
    for (let turn = 0; turn < 10; turn++) await Promise.resolve();
  };
  /**
   * A crash as kafkajs 2.2.4 handles it: the run is torn down (`between` runs then), the CRASH listeners are called
   * synchronously (a listener that throws stops what follows), then kafkajs restarts the run, if it will.
   */
  const crash = (
    restart: boolean,
    between: () => void = () => {},
    error: Error = new Error('The group coordinator is not available'),
  ) => {
    state.running = false;
    between();
    listeners.get('crash')!({ payload: { error, restart } });
    if (restart) {
      state.restarts++;
      state.running = true;
    }
  };
  return { kafka, state, batch, join, crash };
}

/** A consumer on the stand-in, not started yet, with what it delivers and the problems it reports. */
function consumerOf(fake: ReturnType<typeof fakeKafka>, over: Partial<GroupConsumerOptions> = {}) {
  const delivered: Delivery[] = [];
  const problems: string[] = [];
  const consumer = new GroupConsumer(fake.kafka, {
    groupId: 'g',
    topic: 't',
    fromBeginning: true,
    maxInFlight: 8,
    ackTimeoutMs: 60_000,
    retryDelayMs: 10,
    sessionTimeoutMs: 10_000,
    deliver: (delivery) => delivered.push(delivery),
    onChange: () => {},
    onProblem: (message) => problems.push(message),
    ...over,
  });
  return { consumer, delivered, problems };
}

async function started(fake: ReturnType<typeof fakeKafka>, over: Partial<GroupConsumerOptions> = {}) {
  const made = consumerOf(fake, over);
  await made.consumer.start();
  await fake.join([0, 1]);
  return made;
}

describe('GroupConsumer', () => {
  it('a stop while kafkajs still connects wins: no run, disconnected again once connected', async () => {
    let connected!: () => void;
    const fake = fakeKafka({ connecting: new Promise((resolve) => (connected = resolve)) });
    const { consumer } = consumerOf(fake);
    const starting = consumer.start();
    await consumer.stop();
    connected();
    await starting;
    expect(fake.state.runs).toBe(0);
    expect(fake.state.disconnects).toBe(2);
  });

  it('delivers nothing once stopped, even a batch kafkajs still hands over', async () => {
    const fake = fakeKafka();
    const { consumer, delivered } = await started(fake);
    await consumer.stop();
    await fake.batch(0, 0, 3);
    expect(delivered).toEqual([]);
  });

  it('delivers a batch as one delivery, moves the fetch position, and commits only once it is settled', async () => {
    const fake = fakeKafka();
    const { consumer, delivered } = await started(fake);
    await fake.batch(0, 0, 3);
    expect(delivered[0]).toMatchObject({ partition: 0, firstOffset: 0, lastOffset: 2, attempt: 1 });
    expect(delivered[0]!.items).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect(fake.state.resolved).toEqual(['2']);
    expect(fake.state.commits).toEqual([]);
    expect(fake.state.config).toMatchObject({ sessionTimeout: 10_000, rebalanceTimeout: 20_000 });
    consumer.settle(delivered[0]!.token, true);
    await until('the commit', () => fake.state.commits.length === 1);
    expect(fake.state.commits).toEqual([{ partition: 0, offset: '3' }]);
    expect(consumer.stats()).toMatchObject({ assigned: [0, 1], inFlight: 0, lag: 997, committed: 1 });
  });

  it("refuses another instance's token (a redeploy's old consumer answering late): tokens differ per instance", async () => {
    const [oldFake, newFake] = [fakeKafka(), fakeKafka()];
    const before = await started(oldFake);
    const after = await started(newFake);
    await oldFake.batch(0, 0, 2);
    await newFake.batch(0, 0, 5);
    expect(before.delivered[0]!.token).not.toBe(after.delivered[0]!.token);
    expect(after.consumer.settle(before.delivered[0]!.token, true)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(newFake.state.commits).toEqual([]);
    expect(after.consumer.stats().inFlight).toBe(1);
  });

  it('holds back the commit of a settled batch behind an open one of the same partition', async () => {
    const fake = fakeKafka();
    const { consumer, delivered } = await started(fake);
    await fake.batch(0, 0, 2);
    await fake.batch(0, 2, 2);
    await fake.batch(1, 0, 5);
    consumer.settle(delivered[1]!.token, true);
    consumer.settle(delivered[2]!.token, true);
    await until('the commit of partition 1', () => fake.state.commits.length === 1);
    expect(fake.state.commits).toEqual([{ partition: 1, offset: '5' }]);
    consumer.settle(delivered[0]!.token, true);
    await until('the commit of partition 0', () => fake.state.commits.length === 2);
    expect(fake.state.commits[1]).toEqual({ partition: 0, offset: '4' });
  });

  it("after a join, fetches nothing until each assigned partition is seeked to the group's committed offset", async () => {
    // kafkajs resumes a partition it gets back from its own cache of what it committed, which can be ahead of the
    // group's offset: the group's offset would then never reach the end.
    const fake = fakeKafka();
    fake.state.groupOffsets = [
      { partition: 0, offset: '40' },
      { partition: 1, offset: '-1' }, // never committed: kafkajs starts a new group's partition itself
      { partition: 2, offset: '7' }, // another member's
    ];
    fake.state.failOffsetFetches = 1;
    const { consumer, delivered, problems } = consumerOf(fake);
    await consumer.start();
    await fake.join([0, 1]);
    expect(fake.state.paused).toBe(1);
    await fake.batch(0, 90, 3); // from kafkajs's own position, before the seek
    expect(delivered).toEqual([]);
    expect(fake.state.resolved).toEqual([]);
    await until('the seek', () => fake.state.seeks.length > 0);
    expect(fake.state.seeks).toEqual([{ partition: 0, offset: '40' }]);
    expect(problems).toEqual(['The coordinator is loading and hence can not process requests']);
    expect(fake.state.resumed).toBe(1);
    await fake.batch(0, 40, 3);
    expect(delivered).toHaveLength(1);
    expect(consumer.stats()).toMatchObject({ paused: false, lag: 960 });
  });

  it('a join during the positioning of an earlier one: only the latest seeks', async () => {
    const fake = fakeKafka();
    fake.state.groupOffsets = [
      { partition: 0, offset: '5' },
      { partition: 1, offset: '6' },
    ];
    fake.state.failOffsetFetches = 1;
    const { consumer } = consumerOf(fake);
    await consumer.start();
    await fake.join([0]);
    await fake.join([1]);
    await until('the seek', () => fake.state.seeks.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fake.state.seeks).toEqual([{ partition: 1, offset: '6' }]);
    await consumer.stop();
  });

  it('pauses fetching at maxInFlight open deliveries and resumes when an answer comes back', async () => {
    const fake = fakeKafka();
    const { consumer, delivered } = await started(fake, { maxInFlight: 2 });
    const { paused, resumed } = fake.state; // the join's positioning paused and resumed once
    await fake.batch(0, 0, 1);
    expect(fake.state.paused).toBe(paused);
    await fake.batch(0, 1, 1);
    expect(fake.state.paused).toBe(paused + 1);
    expect(consumer.stats().paused).toBe(true);
    consumer.settle(delivered[0]!.token, true);
    expect(fake.state.resumed).toBe(resumed + 1);
    expect(consumer.stats().paused).toBe(false);
  });

  it('redelivers the same batch after a failed answer and after no answer within the timeout', async () => {
    const fake = fakeKafka();
    const { consumer, delivered } = await started(fake, { ackTimeoutMs: 50 });
    await fake.batch(0, 0, 2);
    consumer.settle(delivered[0]!.token, false);
    await until('the redelivery after the failure', () => delivered.length === 2);
    expect(delivered[1]).toMatchObject({
      token: delivered[0]!.token,
      attempt: 2,
      items: delivered[0]!.items,
    });
    await until('the redelivery after the timeout', () => delivered.length === 3, 2000);
    expect(delivered[2]).toMatchObject({ token: delivered[0]!.token, attempt: 3 });
    expect(fake.state.commits).toEqual([]);
    expect(consumer.stats().redelivered).toBe(2);
    consumer.settle(delivered[0]!.token, true);
    await until('the commit', () => fake.state.commits.length === 1);
  });

  it('forgets open deliveries at a rebalance: their answers commit nothing (the next owner gets them again)', async () => {
    const fake = fakeKafka();
    const { consumer, delivered } = await started(fake, { maxInFlight: 1 });
    await fake.batch(0, 0, 2);
    expect(consumer.stats().paused).toBe(true);
    await fake.join([1]);
    expect(consumer.stats()).toMatchObject({ assigned: [1], inFlight: 0, paused: false });
    expect(consumer.settle(delivered[0]!.token, true)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fake.state.commits).toEqual([]);
  });

  it('reports a failed commit and tries it again (the coordinator moves when its broker dies)', async () => {
    const fake = fakeKafka({ failCommits: 2 });
    const { consumer, delivered, problems } = await started(fake);
    await fake.batch(0, 0, 1);
    consumer.settle(delivered[0]!.token, true);
    await until('the commit, third time lucky', () => fake.state.commits.length === 1);
    expect(problems).toEqual(['This is not the correct coordinator', 'This is not the correct coordinator']);
    expect(fake.state.commits).toEqual([{ partition: 0, offset: '1' }]);
  });

  it('does not retry a failed commit across a rebalance (the next owner delivers those records again)', async () => {
    const fake = fakeKafka({ failCommits: 1 });
    const { consumer, delivered, problems } = await started(fake);
    await fake.batch(0, 0, 1);
    consumer.settle(delivered[0]!.token, true);
    await fake.join([0]);
    await until('the problem', () => problems.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.state.commits).toEqual([]);
  });

  it('commits what the new assignment settled while a failed commit of the old one was in flight', async () => {
    const fake = fakeKafka({ failCommits: 1 });
    const { consumer, delivered, problems } = await started(fake);
    await fake.batch(0, 0, 1);
    consumer.settle(delivered[0]!.token, true); // its commit fails after the rebalance below
    await fake.join([0]);
    void fake.batch(0, 0, 1);
    consumer.settle(delivered[1]!.token, true); // queued behind the failing commit: no further answer comes
    await until('the commit of the new assignment', () => fake.state.commits.length === 1);
    expect(fake.state.commits).toEqual([{ partition: 0, offset: '1' }]);
    expect(problems).toHaveLength(1);
  });

  it('after a crash while paused, lets kafkajs restart (no resume of the torn-down run) and delivers again', async () => {
    const fake = fakeKafka();
    const { consumer, delivered, problems } = await started(fake, { maxInFlight: 1 });
    await fake.batch(0, 0, 2);
    expect(consumer.stats().paused).toBe(true);
    fake.crash(true);
    expect(fake.state.restarts).toBe(1);
    expect(problems).toEqual(['The group coordinator is not available']);
    expect(consumer.stats()).toMatchObject({ paused: false, inFlight: 0 });
    // The restarted run joins and fetches from the committed offset: the batch comes again and commits.
    await fake.join([0]);
    await fake.batch(0, 0, 2);
    consumer.settle(delivered[1]!.token, true);
    await until('the commit', () => fake.state.commits.length === 1);
    expect(fake.state.commits).toEqual([{ partition: 0, offset: '2' }]);
  });

  it('an answer arriving while kafkajs tears a crashed run down does not throw', async () => {
    const fake = fakeKafka();
    const { consumer, delivered } = await started(fake, { maxInFlight: 1 });
    await fake.batch(0, 0, 2);
    let answered: boolean | undefined;
    fake.crash(true, () => {
      answered = consumer.settle(delivered[0]!.token, true);
    });
    expect(answered).toBe(true);
    expect(fake.state.restarts).toBe(1);
    expect(consumer.stats().paused).toBe(false);
  });

  it('runs again by itself after a crash kafkajs does not restart from (else the member stays out for good)', async () => {
    const fake = fakeKafka();
    const { consumer, problems } = await started(fake);
    expect(fake.state.runs).toBe(1);
    fake.crash(false);
    expect(fake.state.restarts).toBe(0);
    await until('the consumer to run again', () => fake.state.runs === 2);
    expect(problems).toEqual(['The group coordinator is not available']);
    await consumer.stop();
    fake.crash(false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.state.runs).toBe(2);
  });

  it('after a crash has no partitions and says why (the brokers not reached, or a refusal) until it joins again', async () => {
    const fake = fakeKafka();
    let changes = 0;
    const { consumer } = await started(fake, { onChange: () => changes++ });
    expect(consumer.stats()).toMatchObject({ joined: true, assigned: [0, 1] });
    const before = changes;
    fake.crash(true);
    expect(changes).toBeGreaterThan(before);
    expect(consumer.stats()).toMatchObject({
      joined: false,
      assigned: [],
      crash: { error: 'The group coordinator is not available', refused: false },
    });
    await fake.join([0]);
    expect(consumer.stats()).toMatchObject({ joined: true, assigned: [0] });
    expect(consumer.stats().crash).toBeUndefined();
    const denied = new KafkaJSProtocolError({
      message: 'Not authorized to access topics: [Topic authorization failed]',
      type: 'TOPIC_AUTHORIZATION_FAILED',
      code: 29,
      retriable: false,
    } as never);
    fake.crash(false, undefined, Object.assign(new KafkaJSNonRetriableError(denied), { cause: denied }));
    expect(consumer.stats().crash).toEqual({
      error: 'Not authorized to access topics: [Topic authorization failed]',
      refused: true,
    });
    await consumer.stop();
  });

  it('runs again later after each crash in a row (and after a failed restart), soon again once it joined', async () => {
    vi.useFakeTimers();
    try {
      const fake = fakeKafka();
      const { consumer, problems } = await started(fake, { retryDelayMs: 1000 });
      const runsAfter = async (ms: number) => {
        await vi.advanceTimersByTimeAsync(ms);
        return fake.state.runs;
      };
      fake.crash(false);
      expect(await runsAfter(999)).toBe(1);
      expect(await runsAfter(1)).toBe(2);
      fake.crash(false); // the second in a row, without joining between: 2 s
      fake.state.connectError = new Error('Connection error: connect ECONNREFUSED');
      expect(await runsAfter(2000)).toBe(2);
      expect(consumer.stats().crash).toEqual({
        error: 'Connection error: connect ECONNREFUSED',
        refused: false,
      });
      expect(await runsAfter(3999)).toBe(2); // the failed restart: 4 s
      expect(await runsAfter(1)).toBe(3);
      await fake.join([0]);
      fake.crash(false); // the first since it joined: 1 s again
      expect(await runsAfter(1000)).toBe(4);
      expect(problems).toHaveLength(4);
      await consumer.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

// The Kafka nodes against a real 3-node Apache Kafka cluster (KRaft, RF 3, min.insync.replicas 2) and a real
// QuestDB: the edge-to-QuestDB path, offsets committed only after QuestDB settled, and the chaos runs (partition
// leaders and workers killed with kill -9) with the delivery check on and off. One cluster serves the file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  nodeRedTestHelper,
  startKafkaCluster,
  startQuestDb,
  until,
  waitFor,
  type KafkaCluster,
  type QuestDb,
} from '@plantwire/testkit';
import { runChaos } from './fixtures/chaos.js';
import { edgeFlow, NODE_MODULES, points, workerFlow } from './fixtures/flows.js';

// Kill rounds of the chaos run with the check on: 3 in `npm test`; more by PLANTWIRE_KAFKA_CHAOS_ROUNDS (opt-in).
const ROUNDS = Math.max(3, Number(process.env.PLANTWIRE_KAFKA_CHAOS_ROUNDS ?? 3));
const helper = nodeRedTestHelper();
let cluster: KafkaCluster;
let questdb: QuestDb;
let directory: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'plantwire-kafka-e2e-'));
  [cluster, questdb] = await Promise.all([startKafkaCluster(), startQuestDb({ heap: '512m' })]);
  await helper.startServer();
}, 240_000);

afterAll(async () => {
  await helper.unload().catch(() => {});
  await helper.stopServer();
  await Promise.all([cluster?.stop(), questdb?.stop()]);
  rmSync(directory, { recursive: true, force: true });
}, 120_000);

/**
 * The worker's nodes for a flow beside the edge in the test helper, its consumer wired to a holding node (the test
 * decides when QuestDB gets each batch). Without its Catch: the helper registers a core node once per node of that
 * type in a flow, and the edge has one already.
 */
function heldWorker(topic: string, groupId: string, table: string) {
  return [
    ...workerFlow({ brokers: cluster.brokers, topic, groupId, questDbUrl: questdb.httpUrl, table })
      .filter((node) => node.type !== 'catch')
      .map((node) => (node.id === 'consume' ? { ...node, wires: [['held']] } : node)),
    { id: 'held', type: 'helper' },
  ];
}

async function countIn(table: string): Promise<{ count: number; distinct: number }> {
  await questdb.waitForWal(table);
  const [row] = await questdb.rows<{ n: number; d: number }>(
    `SELECT count() n, count_distinct(id) d FROM ${table}`,
  );
  return { count: row!.n, distinct: row!.d };
}

describe('kafka nodes on a real 3-broker cluster', () => {
  afterEach(() => helper.unload());

  it('carries points edge -> Kafka -> worker -> QuestDB, committing offsets only after questdb-write passed the message on', async () => {
    const topic = 'flow-check';
    const table = 'kafka_flow_check';
    await cluster.createTopic(topic, 6);
    await helper.load(NODE_MODULES, [
      ...edgeFlow({ brokers: cluster.brokers, topic, directory, deliveryCheck: true }),
      ...heldWorker(topic, 'flow-check', table),
    ]);
    const accepted = collect(helper, 'accepted');
    const held = collect(helper, 'held');
    const sent = points(1_000_000, 2000);
    for (let i = 0; i < sent.length; i += 100)
      helper.getNode('sf')!.receive({ payload: sent.slice(i, i + 100) });
    await until('the edge to store every message', () => accepted.length === 20, 30_000);

    const heldPoints = () => held.reduce((sum, msg) => sum + msg.payload.length, 0);
    await until('the worker to receive every point', () => heldPoints() === 2000, 60_000);
    expect(held[0].kafka).toMatchObject({ consumer: 'consume', topic, attempt: 1 });
    // Delivered downstream but not settled: nothing is committed.
    const before = await cluster.committedOffsets('flow-check', topic);
    expect([...before.values()].every((offset) => offset === -1)).toBe(true);

    for (const msg of held.splice(0)) helper.getNode('write')!.receive(msg);
    const ends = await cluster.endOffsets(topic);
    await waitFor(
      'the committed offsets to reach the ends of the partitions',
      async () => {
        const committed = await cluster.committedOffsets('flow-check', topic);
        return [...ends].every(([partition, end]) => end === 0 || committed.get(partition) === end)
          ? true
          : undefined;
      },
      30_000,
      200,
    );
    expect(await countIn(table)).toEqual({ count: 2000, distinct: 2000 });
  }, 180_000);

  it('redelivers a batch whose write failed (a Catch answers with msg.error) and commits only after the retry', async () => {
    const topic = 'retry-check';
    const table = 'kafka_retry_check';
    await cluster.createTopic(topic, 1);
    await helper.load(NODE_MODULES, [
      ...edgeFlow({ brokers: cluster.brokers, topic, directory, deliveryCheck: true }),
      ...heldWorker(topic, 'retry-check', table),
    ]);
    const held = collect(helper, 'held');
    helper.getNode('sf')!.receive({ payload: points(2_000_000, 10) });
    await until('the first delivery', () => held.length === 1, 60_000);
    helper.getNode('consume')!.receive({ ...held[0], error: { message: 'QuestDB down' } });
    await until('the redelivery', () => held.length === 2, 10_000);
    expect(held[1].kafka).toMatchObject({ token: held[0].kafka.token, attempt: 2 });
    expect(held[1].payload).toEqual(held[0].payload);
    expect(await cluster.committedOffsets('retry-check', topic)).toEqual(new Map([[0, -1]]));
    helper.getNode('write')!.receive(held[1]);
    const end = (await cluster.endOffsets(topic)).get(0);
    await waitFor(
      'the offset to be committed',
      async () => ((await cluster.committedOffsets('retry-check', topic)).get(0) === end ? true : undefined),
      30_000,
      200,
    );
    expect(await countIn(table)).toEqual({ count: 10, distinct: 10 });
  }, 120_000);

  it(
    `chaos, delivery check on: ${ROUNDS} leader kills and ${ROUNDS} worker kills lose nothing (count = distinct = accepted)`,
    async () => {
      const result = await runChaos({
        cluster,
        questdb,
        helper,
        directory,
        topic: 'chaos-on',
        table: 'kafka_chaos_on',
        deliveryCheck: true,
        leaderKills: ROUNDS,
        workerKills: ROUNDS,
      });
      console.log(`[kafka chaos] check on: ${JSON.stringify(result)}`);
      expect(result.leaderKills).toBeGreaterThanOrEqual(3);
      expect(result.workerKills).toBeGreaterThanOrEqual(3);
      expect(result.missing).toBe(0);
      expect(result.count).toBe(result.accepted);
      expect(result.distinct).toBe(result.accepted);
    },
    300_000 + ROUNDS * 40_000,
  );

  it('chaos, delivery check off: leader kills lose records kafkajs acknowledged: the topic holds fewer points than the edge accepted', async () => {
    const result = await runChaos({
      cluster,
      questdb,
      helper,
      directory,
      topic: 'chaos-off',
      table: 'kafka_chaos_off',
      deliveryCheck: false,
      // The loss is a matter of timing (a send in flight as its leader dies): with two kills, 2 of 9 runs here lost
      // nothing, and with three one run here did. So leaders are killed until the topic shows a loss, at most 6 times.
      // Uncompressed: gzip's sends are shorter, so fewer are in flight at a kill (one run here lost nothing in 6).
      compression: 'none',
      leaderKills: 3,
      leaderKillsUntilLoss: 6,
      workerKills: 0,
    });
    console.log(`[kafka chaos] check off: ${JSON.stringify(result)}`);
    expect(result.missing).toBeGreaterThan(0);
    expect(result.count).toBeLessThan(result.accepted);
  }, 480_000);
});

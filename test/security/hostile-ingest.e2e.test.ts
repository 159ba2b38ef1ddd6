// The cloud's front doors under hostile input, for real: POST /ingest of a real Node-RED (the package's cloud
// ingest example) and its MQTT ingest (the MQTT example, through a real broker), both writing to a real QuestDB.
// No 5xx, no crash, no hang; every refusal says why; the valid points of mixed batches are stored exactly once.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  flowContextProbe,
  startAedesBroker,
  startNodeRed,
  startQuestDb,
  waitFor,
  type Broker,
  type FlowNode,
  type NodeRed,
  type QuestDb,
} from '@plantwire/testkit';
import { allowDepth, DEEPEST_BODY, hostileBody, isReason, mixedBatch, safeJson, samples } from './hostile.js';

const examples = (name: string) =>
  JSON.parse(
    readFileSync(
      fileURLToPath(new URL(`../../packages/nodes-ingest/examples/${name}.json`, import.meta.url)),
      'utf8',
    ),
  ) as FlowNode[];
const at = Date.UTC(2026, 3, 1);
const HTTP_REQUESTS = Number(process.env.PLANTWIRE_FUZZ_HTTP ?? 1_500);
const MQTT_MESSAGES = Number(process.env.PLANTWIRE_FUZZ_MQTT ?? 3_000);
const MAX_KB = 256;
const CONCURRENCY = 8;

describe('hostile input at the front doors of a real Node-RED, with a real QuestDB', () => {
  let red: NodeRed;
  let questdb: QuestDb;
  let broker: Broker;
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    allowDepth(DEEPEST_BODY);
    questdb = await startQuestDb();
    broker = await startAedesBroker();
    red = await startNodeRed();
    const ingest = examples('01 - Cloud ingest').map((node) => {
      if (node.type === 'questdb-config') return { ...node, url: questdb.httpUrl };
      if (node.type === 'telemetry-validate')
        return { ...node, maxKB: String(MAX_KB), credentials: { tokens: 'tok-fuzz acme' } };
      return node;
    });
    const mqttIngest = examples('02 - MQTT ingest').map((node) => {
      if (node.type === 'questdb-config') return { ...node, url: questdb.httpUrl };
      if (node.type === 'mqtt-broker') return { ...node, broker: broker.host, port: String(broker.port) };
      if (node.type === 'telemetry-validate') return { ...node, maxKB: String(MAX_KB) };
      // Refused points: counted, and any refusal without a reason kept for the test to see.
      if (node.id === 'mqtt-refused')
        return {
          ...node,
          type: 'function',
          func:
            'const items = msg.payload && msg.payload.rejected && msg.payload.rejected.length ? msg.payload.rejected : [msg.payload && msg.payload.error];\n' +
            "flow.set('refusals', (flow.get('refusals') || 0) + 1);\n" +
            "const bad = items.filter((r) => !(r && (typeof r === 'string' ? r : r.reason)));\n" +
            "if (bad.length) flow.set('unreasoned', (flow.get('unreasoned') || []).concat([JSON.stringify(msg.payload).slice(0, 300)]));\n" +
            'return null;',
          outputs: 0,
        };
      return node;
    });
    const caught: FlowNode[] = [
      {
        id: 'mqtt-caught',
        z: 'tab-mqtt',
        type: 'catch',
        scope: null,
        uncaught: false,
        wires: [['mqtt-caught-count']],
      },
      {
        id: 'mqtt-caught-count',
        z: 'tab-mqtt',
        type: 'function',
        func:
          "flow.set('errors', (flow.get('errors') || 0) + 1);\n" +
          'const m = msg.error && msg.error.message;\n' +
          "if (!m || /TypeError|RangeError|ReferenceError|Cannot read prop|is not a function/.test(m)) flow.set('unreasoned', (flow.get('unreasoned') || []).concat([String(m)]));\n" +
          'return null;',
        outputs: 0,
        wires: [],
      },
      ...flowContextProbe('tab-mqtt', '/fuzz-mqtt', ['refusals', 'errors', 'unreasoned']),
    ];
    await red.deploy([...ingest, ...mqttIngest, ...caught]);
    await red.waitForLog(/Connected to broker/, 15_000);
  });
  afterAll(async () => {
    allowDepth(1_000);
    if (process.env.PLANTWIRE_FUZZ_LOG) console.log(red?.log().slice(-4000));
    await red?.stop();
    await broker?.stop();
    await questdb?.stop();
    console.log(`hostile front doors: ${JSON.stringify(figures)}`);
  });

  const count = async (machine: string) => {
    await questdb.waitForWal('plantwire_telemetry');
    return (
      await questdb.exec(
        `SELECT count(), count_distinct(id) FROM plantwire_telemetry WHERE machine = '${machine}'`,
      )
    ).dataset[0];
  };

  it(
    `POST /ingest: ${HTTP_REQUESTS} hostile requests, no 5xx, every refusal with a reason, mixed batches stored once`,
    { timeout: 300_000 },
    async () => {
      const started = Date.now();
      const bodies = samples(hostileBody('fuzz-http', at, MAX_KB * 1024), Math.floor(HTTP_REQUESTS / 2), 100);
      const mixed = samples(mixedBatch('fuzz-http-valid', at), HTTP_REQUESTS - bodies.length, 101);
      const statuses: Record<number, number> = {};
      const problems: string[] = [];
      let tracked = 0;
      let resent = 0;
      type Job = { body: Buffer; contentType: string; token: string; good?: number };
      const jobs: Job[] = [
        ...bodies.map(({ body, contentType }, i) => ({
          body,
          contentType,
          token: i % 10 === 0 ? 'tok-wrong' : 'tok-fuzz',
        })),
        ...mixed.map(({ batch, good }) => ({
          body: Buffer.from(safeJson(batch)),
          contentType: 'application/json',
          token: 'tok-fuzz',
          good: good.length,
        })),
      ];
      // Interleaved, so mixed batches arrive between hostile requests.
      jobs.sort((a, b) => (a.body.length % 7) - (b.body.length % 7));
      let next = 0;
      const worker = async () => {
        while (next < jobs.length) {
          const job = jobs[next++]!;
          const post = () =>
            fetch(`${red.url}/ingest`, {
              method: 'POST',
              headers: {
                ...(job.contentType ? { 'content-type': job.contentType } : {}),
                authorization: `Bearer ${job.token}`,
              },
              body: new Uint8Array(job.body),
              signal: AbortSignal.timeout(30_000),
            });
          // A kept-alive connection the server closes as the request goes out fails in the client; sent again
          // (ingest is idempotent), it must be answered.
          const response = await post().catch(() => {
            resent++;
            return post();
          });
          const text = await response.text();
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          const say = (why: string) =>
            problems.length < 10 && problems.push(`${why}: ${response.status} ${text.slice(0, 200)}`);
          if (response.status >= 500) say('5xx');
          let answer: { error?: unknown; rejected?: { reason?: unknown }[]; accepted?: number } | undefined;
          try {
            answer = JSON.parse(text);
          } catch {
            answer = undefined;
          }
          if (response.status !== 200) {
            // Refused as a whole: the reason is in the answer (ours: JSON {error | rejected}; the runtime's: text).
            const reasons = answer ? [answer.error, ...(answer.rejected ?? []).map((r) => r.reason)] : [text];
            if (!reasons.some(isReason)) say('no reason');
          } else if (!answer || !(answer.rejected ?? []).every((r) => isReason(r.reason)))
            say('a rejection without a reason');
          if (job.good !== undefined) {
            tracked += job.good;
            if (response.status !== 200 || !(Number(answer?.accepted) >= job.good))
              say(`mixed batch of ${job.good} valid points`);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const seconds = (Date.now() - started) / 1000;
      figures.http = { requests: jobs.length, seconds, statuses, validPointsInMixedBatches: tracked, resent };
      expect(problems).toEqual([]);
      expect(await count('fuzz-http-valid')).toEqual([tracked, tracked]);
      // Still serving, and nothing crashed or leaked an engine error.
      expect((await fetch(`${red.url}/ingest`, { method: 'POST' })).status).toBe(401);
      expect(red.log()).not.toMatch(/Uncaught|TypeError|RangeError|FATAL/);
    },
  );

  it(
    `MQTT ingest: ${MQTT_MESSAGES} hostile messages, every refusal with a reason, mixed batches stored once`,
    { timeout: 300_000 },
    async () => {
      const started = Date.now();
      const client = await mqtt.connectAsync(broker.url);
      const bodies = samples(hostileBody('fuzz-mqtt', at, MAX_KB * 1024), Math.floor(MQTT_MESSAGES / 2), 200);
      const mixed = samples(mixedBatch('fuzz-mqtt-valid', at), MQTT_MESSAGES - bodies.length, 201);
      const tracked = mixed.reduce((sum, { good }) => sum + good.length, 0);
      let stored = 0;
      // A mixed batch goes on its valid points' own topic: a point another topic names is refused (403).
      const messages = [
        ...bodies.map(({ body }, i) => ({ topic: `v1/acme/plant-1/line-1/fuzz-${i % 7}/temperature`, body })),
        ...mixed.map(({ batch }) => ({
          topic: 'v1/acme/plant-1/line-1/fuzz-mqtt-valid/temperature',
          body: Buffer.from(safeJson(batch)),
        })),
      ];
      // At most a few hundred QoS 1 publishes outstanding (FACTS: mqtt.js collapses beyond about 1,000).
      for (let i = 0; i < messages.length; i += 200) {
        await Promise.all(
          messages.slice(i, i + 200).map(({ topic, body }) => client.publishAsync(topic, body, { qos: 1 })),
        );
      }
      await client.endAsync();
      await waitFor(
        'every valid point of the mixed batches in QuestDB',
        async () => {
          stored = (await count('fuzz-mqtt-valid'))![0] as number;
          return stored === tracked ? true : undefined;
        },
        60_000,
        500,
      );
      const seconds = (Date.now() - started) / 1000;
      const probe = (await (await fetch(`${red.url}/fuzz-mqtt`)).json()) as {
        refusals?: number;
        errors?: number;
        unreasoned?: string[];
      };
      figures.mqtt = {
        messages: messages.length,
        seconds,
        validPointsInMixedBatches: tracked,
        ...probe,
        unreasoned: probe.unreasoned?.length ?? 0,
      };
      expect(probe.unreasoned ?? []).toEqual([]);
      expect(probe.refusals).toBeGreaterThan(MQTT_MESSAGES / 4);
      expect(await count('fuzz-mqtt-valid')).toEqual([tracked, tracked]);
      expect(red.log()).not.toMatch(/Uncaught|TypeError|RangeError|FATAL/);
    },
  );
});

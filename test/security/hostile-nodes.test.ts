// Every Plantwire node's input under hostile messages, inside the Node-RED runtime (the test helper), with a
// real QuestDB behind the QuestDB nodes. For every message the node must finish (done, or done(err) seen by a
// Catch node) within the time limit: no crash, no hang; every error is a reason, not an engine error leaking out
// of a handler; afterwards the node still does its job; nothing polluted Object.prototype.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  coreNode,
  nodeRedTestHelper,
  startQuestDb,
  telemetryPoint,
  waitFor,
  type QuestDb,
} from '@plantwire/testkit';
import { hostilePayload, hostileString, hostileValue, isReason, samples } from './hostile.js';

const require = createRequire(import.meta.url);
const pkg = (name: string, node: string) =>
  require(`../../packages/${name}/dist/nodes/${node}/${node}.js`) as unknown;
const NODES = [
  pkg('nodes-ingest', 'questdb-config'),
  pkg('nodes-ingest', 'questdb-write'),
  pkg('nodes-ingest', 'questdb-query'),
  pkg('nodes-ingest', 'telemetry-validate'),
  pkg('nodes-buffer', 'store-forward'),
  pkg('nodes-rules', 'threshold-alarm'),
  pkg('nodes-rules', 'anomaly-detect'),
  pkg('nodes-rules', 'forecast'),
  pkg('nodes-simulator', 'machine-sim'),
  coreNode('common/25-catch'),
  coreNode('common/24-complete'),
];
const helper = nodeRedTestHelper();
const at = Date.UTC(2026, 2, 1);
/** Messages per target: 12 targets, 104,400 messages in all; with /ingest (1,500) and MQTT (3,000) 108,900. */
const PER_TARGET = Number(process.env.PLANTWIRE_FUZZ_NODE_MESSAGES ?? 8_700);
const CHUNK = 200;

/** The demo's own configuration of each node (flows/*.json), so the fuzz hits what users deploy. */
const demo = ['cloud-ingest', 'edge-agent', 'dashboard'].flatMap(
  (file) =>
    JSON.parse(readFileSync(new URL(`../../flows/${file}.json`, import.meta.url), 'utf8')) as Record<
      string,
      unknown
    >[],
);
const configOf = (id: string) => {
  const { x: _x, y: _y, z: _z, wires, ...config } = demo.find((node) => node.id === id)!;
  return { config, outputs: (wires as unknown[]).length };
};

/** A payload, and now and then one more property any of the nodes reads, with a hostile value. */
const hostileMessage = (machine: string) =>
  fc
    .tuple(
      hostilePayload(machine, at),
      fc.oneof(
        { weight: 3, arbitrary: fc.constant({}) },
        fc.record({
          topic: fc.oneof(hostileString, fc.constant('v1/acme/plant-1/line-1/cnc-01/temperature')),
        }),
        fc.record({ params: hostileValue }),
        fc.record({ query: hostileString }),
        fc.record({
          control: fc.oneof(
            hostileValue,
            fc.record({
              command: fc.constantFrom('ack', 'shelve', 'unshelve', 'reset', 'list', 'start', 'stop'),
              alarm: hostileValue,
              by: hostileValue,
            }),
            fc.constantFrom('pause', 'resume', 'flush', 'release', 'purge', 'stats'),
          ),
        }),
        fc.record({
          sf: fc.oneof(hostileValue, fc.record({ store: hostileString, batch: hostileValue })),
          statusCode: hostileValue,
          headers: hostileValue,
        }),
        fc.record({ batch: hostileValue }),
        fc.record({ reset: fc.oneof(hostileValue, fc.constant(true), fc.constant(`${'a*'.repeat(20)}b`)) }),
        fc.record({
          req: fc.oneof(
            hostileValue,
            fc.record({
              headers: fc.record({
                authorization: fc.oneof(hostileString, fc.constant('Bearer tok-fuzz')),
                'content-length': hostileValue,
              }),
            }),
          ),
        }),
      ),
    )
    .map(([payload, more]) => ({ payload, ...more }));

interface Target {
  name: string;
  id: string;
  over?: Record<string, unknown>;
  credentials?: Record<string, string>;
  /** A message the node must still handle afterwards, and the output it comes out on (none: it must finish). */
  healthy: () => { msg: Record<string, unknown>; output?: number };
}

const point = (i: number) => telemetryPoint(at + 1_000_000 + i, { machine: 'fuzz-healthy' });
const TARGETS: Target[] = [
  {
    name: 'telemetry-validate (http)',
    id: 'ingest-validate',
    credentials: { tokens: 'tok-fuzz acme' },
    healthy: () => ({
      msg: { payload: [point(1)], req: { headers: { authorization: 'Bearer tok-fuzz' } } },
      output: 0,
    }),
  },
  {
    name: 'telemetry-validate (events)',
    id: 'events-validate',
    credentials: { tokens: 'tok-fuzz acme' },
    healthy: () => ({
      msg: {
        payload: [
          { ts: at, type: 'state', plant: 'p', line: 'l', machine: 'm', state: 'IDLE', previous: 'RUNNING' },
        ],
        req: { headers: { authorization: 'Bearer tok-fuzz' } },
      },
      output: 0,
    }),
  },
  {
    name: 'telemetry-validate (mqtt)',
    id: 'ingest-validate',
    over: { mode: 'mqtt' },
    healthy: () => ({
      msg: { payload: [point(2)], topic: 'v1/acme/plant-1/line-1/fuzz-healthy/temperature' },
      output: 0,
    }),
  },
  {
    name: 'questdb-write (telemetry)',
    id: 'ingest-write',
    healthy: () => ({ msg: { payload: [point(3)] }, output: 0 }),
  },
  {
    name: 'questdb-write (events)',
    id: 'events-write',
    healthy: () => ({
      msg: {
        payload: [
          {
            ts: at,
            id: '0190d3c2-7b2a-7cc1-8f61-5a0d3c2b1a00',
            tenant: 'acme',
            plant: 'p',
            line: 'l',
            machine: 'm',
            kind: 'state',
            name: 'IDLE',
            state: 'IDLE',
            priority: '',
            value: null,
            message: '',
          },
        ],
      },
      output: 0,
    }),
  },
  {
    name: 'questdb-query (series)',
    id: 'api-series-query',
    healthy: () => ({ msg: { params: { tenant: 'acme', minutes: 5 } }, output: 0 }),
  },
  {
    name: 'questdb-query (sql)',
    id: 'api-health-query',
    healthy: () => ({ msg: { payload: 1 }, output: 0 }),
  },
  {
    name: 'store-forward',
    id: 'edge-points-buffer',
    // Batches the fuzz took out are in flight until their ack timeout: the point must be stored (done), not sent.
    healthy: () => ({ msg: { payload: [point(4)] } }),
  },
  {
    name: 'threshold-alarm',
    id: 'edge-alarms',
    healthy: () => ({ msg: { payload: [point(6)], control: { command: 'list' } }, output: 1 }),
  },
  {
    name: 'anomaly-detect',
    id: 'edge-anomaly',
    healthy: () => ({ msg: { payload: [point(5)] }, output: 0 }),
  },
  {
    name: 'forecast',
    id: 'edge-forecast',
    healthy: () => ({ msg: { payload: [point(7)] }, output: 0 }),
  },
  {
    name: 'machine-sim',
    id: 'edge-sim',
    // The demo names its plant by tab variables (${TENANT}, ${PLANT}), which the test helper has no tab for.
    over: { autostart: false, tenant: 'acme', plant: 'plant-01' },
    healthy: () => ({ msg: { payload: { cmd: 'start' } }, output: 0 }),
  },
];

describe('hostile messages into every node, in the runtime', () => {
  let questdb: QuestDb;
  let dir: string;
  const timings: Record<string, number> = {};
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plantwire-fuzz-nodes-'));
    // threshold-alarm keeps its state under the userDir.
    helper.settings({ userDir: dir });
    questdb = await startQuestDb();
    await helper.startServer();
  });
  afterEach(() => helper.unload());
  afterAll(async () => {
    await helper.stopServer();
    await questdb?.stop();
    rmSync(dir, { recursive: true, force: true });
    console.log(`hostile node inputs: ${JSON.stringify(timings)}`);
  });

  it.each(TARGETS.map((t, i) => [t.name, t, i] as const))(
    '%s: finishes every message, errors are reasons, still works after',
    async (_name, target, index) => {
      const { config, outputs } = configOf(target.id);
      const server = { id: 'cloud-db', type: 'questdb-config', url: questdb.httpUrl, flushIntervalMs: '20' };
      const node = {
        ...config,
        id: 'target',
        ...(config.server ? { server: 'cloud-db' } : {}),
        ...(config.type === 'store-forward' ? { directory: dir, storeName: `fuzz-${index}` } : {}),
        ...target.over,
        wires: Array.from({ length: outputs }, (_, i) => [`out-${i}`]),
      };
      const flow = [
        server,
        node,
        ...Array.from({ length: outputs }, (_, i) => ({ id: `out-${i}`, type: 'helper' })),
        { id: 'catcher', type: 'catch', scope: ['target'], uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
        { id: 'completer', type: 'complete', scope: ['target'], uncaught: false, wires: [['completed']] },
        { id: 'completed', type: 'helper' },
      ];
      await helper.load(NODES, flow, target.credentials ? { target: target.credentials } : undefined);
      const caught = collect(helper, 'caught');
      const completed = collect(helper, 'completed');
      const input = helper.getNode('target')!;
      const messages = samples(hostileMessage(`fuzz-node-${index}`), PER_TARGET, index);
      const started = Date.now();
      for (let i = 0; i < messages.length; i += CHUNK) {
        // A message is a plain object (Node-RED's own error handling needs its prototype); what it carries may not be.
        for (const msg of messages.slice(i, i + CHUNK)) input.receive({ ...msg } as never);
        const sent = Math.min(i + CHUNK, messages.length);
        // No hang: every message is finished (done or done(err)) within seconds of its chunk.
        await waitFor(
          `${target.name}: ${sent} messages finished (${completed.length} done, ${caught.length} failed)`,
          async () => (completed.length + caught.length >= sent ? true : undefined),
          30_000,
          5,
        );
      }
      timings[target.name] = Date.now() - started;
      const unreasoned = caught.filter((m) => !isReason(m.error?.message));
      if (unreasoned.length > 0) console.log(unreasoned[0].error, unreasoned[0].error?.stack);
      expect(unreasoned.map((m) => m.error?.message).slice(0, 5)).toEqual([]);
      expect(({} as Record<string, unknown>).a).toBeUndefined();
      expect(Object.keys(Object.prototype)).toEqual([]);

      const { msg, output } = target.healthy();
      const out = output === undefined ? [] : collect(helper, `out-${output}`);
      const finished = completed.length;
      const failed = caught.length;
      input.receive(msg as never);
      await waitFor(
        `${target.name} still works`,
        async () =>
          completed.length > finished && (output === undefined || out.length > 0) ? true : undefined,
        10_000,
      );
      expect(caught.slice(failed).map((m) => m.error.message)).toEqual([]);
    },
  );
});

// No secret leaves where it is kept: a cloud and an edge Node-RED run the demo flows behind adminAuth while things
// fail (the edge's broker password and ingest token are wrong, the cloud's QuestDB password is wrong, a client
// posts with a wrong token). Every place a secret could leak is collected: the exported flows (GET /flows of both
// runtimes), both logs at debug level, every node status and every error message the runtimes sent the editor
// (its /comms connection), and the answers of the failing requests. None of the MQTT passwords, admin passwords
// (clear or bcrypt hash), ingest tokens or QuestDB passwords, right or wrong, may appear in any of them. The
// committed flows and examples carry no credentials at all.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminAuthSettings,
  adminToken,
  newAdminPasswords,
  sleep,
  startAedesBroker,
  startNodeRed,
  startQuestDb,
  telemetryPoint,
  waitFor,
  type Broker,
  type FlowNode,
  type NodeRed,
  type QuestDb,
} from '@plantwire/testkit';

const require = createRequire(import.meta.url);
/** Node-RED's own websocket client (the editor's /comms connection is a plain websocket). */
const WebSocket = require('ws') as new (url: string) => {
  on(event: 'open' | 'message' | 'error', listener: (data?: unknown) => void): void;
  send(text: string): void;
  close(): void;
};
const root = join(import.meta.dirname, '..', '..');
/** Settings whose names sound secret but hold none: e-mail's `token` names the msg property to read one from. */
const NOT_SECRETS: Record<string, string[]> = { 'e-mail': ['token'] };
const secret = (what: string) => `${what}-${randomBytes(12).toString('hex')}`;

const admin = newAdminPasswords();
const adminAuth = adminAuthSettings(admin);
const SECRETS = {
  'admin passwords': Object.values(admin),
  'admin password hashes': adminAuth.users.map((user) => user.password),
  'MQTT passwords': [secret('mqtt-cloud'), secret('mqtt-edge'), secret('mqtt-edge-wrong')],
  'ingest tokens': [secret('token'), secret('token-wrong'), secret('token-client-wrong')],
  'QuestDB passwords': [secret('qdb'), secret('qdb-wrong')],
};
const [mqttCloud, mqttEdge, mqttEdgeWrong] = SECRETS['MQTT passwords'];
const [token, tokenWrong, tokenClientWrong] = SECRETS['ingest tokens'];
const [qdbPassword, qdbWrong] = SECRETS['QuestDB passwords'];

/** Every node status and editor message (errors, warnings) a runtime publishes on its /comms connection. */
async function watchComms(red: NodeRed) {
  const seen: string[] = [];
  const token = await adminToken(red.url, 'admin', admin.admin);
  const socket = new WebSocket(`${red.url.replace('http', 'ws')}/comms`);
  // Subscriptions count only once the runtime has accepted the token.
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('open', () => socket.send(JSON.stringify({ auth: token })));
    socket.on('message', (data) => {
      const text = String(data);
      seen.push(text);
      if (!text.includes('"auth":"ok"')) return;
      for (const topic of ['status/#', 'debug', 'notification/#'])
        socket.send(JSON.stringify({ subscribe: topic }));
      resolve();
    });
  });
  return { seen, close: () => socket.close() };
}

describe('no secret in exported flows, logs, error messages or status texts', () => {
  let questdb: QuestDb;
  let broker: Broker;
  let cloud: NodeRed;
  let edge: NodeRed;
  const comms: Awaited<ReturnType<typeof watchComms>>[] = [];
  const answers: string[] = [];

  beforeAll(async () => {
    [questdb, broker] = await Promise.all([
      startQuestDb({ env: { QDB_HTTP_USER: 'admin', QDB_HTTP_PASSWORD: qdbPassword! } }),
      startAedesBroker({
        accounts: [
          { username: 'cloud-acme', password: mqttCloud!, role: 'service', tenant: 'acme' },
          {
            username: 'edge-plant-01',
            password: mqttEdge!,
            role: 'device',
            tenant: 'acme',
            plant: 'plant-01',
          },
        ],
      }),
    ]);
    const { FLOW_FILES, flowsWithToken } = (await import(
      pathToFileURL(join(root, 'scripts', 'deploy-flows.mjs')).href
    )) as {
      FLOW_FILES: Record<'edge' | 'cloud', string[]>;
      flowsWithToken: (files: string[], token: string, tenant: string, mqtt: object) => FlowNode[];
    };
    const mqtt = { PLANTWIRE_MQTT_HOST: broker.host, PLANTWIRE_MQTT_PORT: String(broker.port) };
    const settings = { adminAuth, logging: { console: { level: 'debug' } } };
    const login = { username: 'admin', password: admin.admin };
    cloud = await startNodeRed({
      settings,
      login,
      env: { ...mqtt, PLANTWIRE_QUESTDB_URL: questdb.httpUrl, PLANTWIRE_TENANT: 'acme' },
    });
    edge = await startNodeRed({ settings, login, env: { ...mqtt, PLANTWIRE_CLOUD_URL: cloud.url } });
    comms.push(await watchComms(cloud), await watchComms(edge));

    // The cloud: its broker account is right, its QuestDB password wrong.
    await cloud.deploy(
      flowsWithToken(FLOW_FILES.cloud, token!, 'acme', { user: 'cloud-acme', password: mqttCloud }).map(
        (node) =>
          node.type === 'questdb-config'
            ? { ...node, credentials: { username: 'admin', password: qdbWrong } }
            : node,
      ),
    );
    // The edge: a wrong broker password, a token the cloud does not know.
    await edge.deploy(
      flowsWithToken(FLOW_FILES.edge, tokenWrong!, 'acme', {
        user: 'edge-plant-01',
        password: mqttEdgeWrong,
      }),
    );
    // A client with a wrong token, and one with the right token whose points the cloud cannot write.
    for (const bearer of [tokenClientWrong, token]) {
      const response = await fetch(`${cloud.url}/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify([telemetryPoint(Date.now())]),
      });
      const headers: string[] = [];
      response.headers.forEach((value, name) => headers.push(`${name}: ${value}`));
      answers.push(`${response.status} ${headers.join('\n')} ${await response.text()}`);
    }
    // The failures, seen where a user sees them: the edge's broker and the cloud refuse it, QuestDB the cloud.
    const said = () => comms.flatMap((c) => c.seen).join('\n') + cloud.log() + edge.log();
    for (const failure of [
      /Connection failed to broker/,
      /refused with HTTP 401/,
      /QuestDB refused the credentials/,
    ]) {
      await waitFor(
        `a status or log line matching ${failure}`,
        async () => failure.test(said()) || undefined,
        60_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${said().slice(-4000)}`);
      });
    }
    await sleep(5_000); // a few more rounds of retries and status updates
  }, 240_000);

  afterAll(async () => {
    for (const c of comms) c.close();
    await edge?.stop();
    await cloud?.stop();
    await broker?.stop();
    await questdb?.stop();
  });

  const expectNoSecret = (where: string, text: string) => {
    for (const [kind, values] of Object.entries(SECRETS)) {
      for (const value of values) expect(text.includes(value!), `${kind} in ${where}`).toBe(false);
    }
  };

  it('the failing run was seen: the refusals are in the answers, statuses and logs', () => {
    expect(answers[0]).toMatch(/^401 /);
    const statuses = comms.flatMap((c) => c.seen).filter((m) => m.includes('"status/'));
    expect(statuses.length).toBeGreaterThan(5);
    expect(statuses.join('\n')).toMatch(/retrying|disconnected|401/);
    const editorMessages = comms.flatMap((c) => c.seen).filter((m) => m.includes('"topic":"debug"'));
    expect(editorMessages.join('\n')).toMatch(/QuestDB refused the credentials/);
    console.log(
      `[secrets] scanned ${statuses.length} status and ${editorMessages.length} editor messages, ` +
        `logs of ${cloud.log().length + edge.log().length} characters, ${answers.length} answers`,
    );
  });

  it('not in the exported flows of either runtime', async () => {
    for (const red of [cloud, edge])
      expectNoSecret(`GET /flows of ${red.url}`, JSON.stringify(await red.api('/flows')));
  });

  it('not in the logs (debug level), status texts, error messages or answers', () => {
    expectNoSecret('the cloud log', cloud.log());
    expectNoSecret('the edge log', edge.log());
    expectNoSecret('statuses and editor messages', comms.flatMap((c) => c.seen).join('\n'));
    expectNoSecret('answers to the failing requests', answers.join('\n'));
  });

  it('the committed flows and examples carry no credentials', () => {
    const files = [
      ...readdirSync(join(root, 'flows'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(root, 'flows', f)),
      ...readdirSync(join(root, 'examples', 'scale-out'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => join(root, 'examples', 'scale-out', f)),
      ...readdirSync(join(root, 'packages')).flatMap((pkg) => {
        const dir = join(root, 'packages', pkg, 'examples');
        try {
          return readdirSync(dir).map((f) => join(dir, f));
        } catch {
          return [];
        }
      }),
    ];
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const nodes = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
      for (const node of nodes) {
        expect(node.credentials, `${file}: credentials of ${String(node.id)}`).toBeUndefined();
        for (const [key, value] of Object.entries(node)) {
          const reference = NOT_SECRETS[String(node.type)]?.includes(key);
          if (/password|passwd|secret|token/i.test(key) && typeof value === 'string' && !reference)
            expect(value, `${file}: ${String(node.id)}.${key}`).toBe('');
        }
      }
    }
  });
});

// The plant the assembled factory runs for comes from the environment, not from flows/*.json: the cloud flows
// (cloud-ingest.json, dashboard.json) and the edge flow (edge-agent.json) in two real Node-REDs on a real broker
// (aedes with the accounts `npm start` makes, which refuse every topic outside the account's plant), once with
// PLANTWIRE_TENANT=globex PLANTWIRE_PLANT=plant-07 and once with neither set (acme's plant-01). The broker hears
// every subscription and publish: each must be under v1/{tenant}/{plant}/. A command sent through the cloud's API
// reaches the edge's machine-sim; the edge's points and events name the plant; the dashboard shows the plant in
// its title and the plant's live alarm list (and not another plant's).
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectAsync } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  startAedesBroker,
  startNodeRed,
  waitFor,
  type Broker,
  type FlowNode,
  type MqttAccount,
  type MqttRequest,
  type NodeRed,
} from '@plantwire/testkit';

const root = join(import.meta.dirname, '..');
type EditorNode = { id: string; type: string; valid?: boolean };
type EditorApi = { nodes: Record<'eachNode' | 'eachConfig', (f: (n: EditorNode) => void) => void> };
const load = async <T>(file: string) => (await import(pathToFileURL(join(root, 'scripts', file)).href)) as T;
const { FLOW_FILES, flowsWithToken } = await load<{
  FLOW_FILES: Record<'edge' | 'cloud', string[]>;
  flowsWithToken: (files: string[], token: string, tenant: string, mqtt: object) => FlowNode[];
}>('deploy-flows.mjs');
const { mqttAccounts } = await load<{
  mqttAccounts: (passwords: object, plant?: { tenant: string; plant: string }) => MqttAccount[];
}>('flows/plant.mjs');

// "Neither set" means unset for both Node-REDs, whatever the shell running the tests has.
delete process.env.PLANTWIRE_TENANT;
delete process.env.PLANTWIRE_PLANT;

const PLANTS = [
  {
    title: 'PLANTWIRE_TENANT=globex PLANTWIRE_PLANT=plant-07',
    tenant: 'globex',
    plant: 'plant-07',
    env: { PLANTWIRE_TENANT: 'globex', PLANTWIRE_PLANT: 'plant-07' } as Record<string, string>,
    other: 'v1/acme/plant-01',
  },
  {
    title: 'neither set: the default, acme / plant-01',
    tenant: 'acme',
    plant: 'plant-01',
    env: {} as Record<string, string>,
    other: 'v1/globex/plant-07',
  },
];
const ACCOUNTS = PLANTS.flatMap(({ tenant, plant }) =>
  mqttAccounts({ edge: `pw-edge-${plant}`, cloud: `pw-cloud-${tenant}` }, { tenant, plant }),
);
const passwordOf = (username: string) => ACCOUNTS.find((a) => a.username === username)!.password;

describe('the flows take their tenant and plant from the environment', () => {
  let broker: Broker;
  let browser: Browser;
  /** Every publish and subscribe a client asked the broker for. */
  const requests: MqttRequest[] = [];

  beforeAll(async () => {
    broker = await startAedesBroker({ accounts: ACCOUNTS, onRequest: (r) => requests.push(r) });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await broker?.stop();
  });

  describe.each(PLANTS)('$title', ({ tenant, plant, env, other }) => {
    const topicRoot = `v1/${tenant}/${plant}`;
    const cloudUser = `cloud-${tenant}`;
    const edgeUser = `edge-${plant}`;
    let cloud: NodeRed;
    let edge: NodeRed;
    let page: Page;
    let since: number;
    /** What the edge POSTs to its cloud: a stand-in that answers 200, so its store-forward empties. */
    let ingest: Server;
    const posted: { path: string; items: Record<string, unknown>[] }[] = [];

    const of = (username: string, action: MqttRequest['action']) =>
      requests.slice(since).filter((r) => r.username === username && r.action === action);
    const topicsOf = (username: string, action: MqttRequest['action']) => [
      ...new Set(of(username, action).map((r) => r.topic)),
    ];

    beforeAll(async () => {
      since = requests.length;
      ingest = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const items = [JSON.parse(Buffer.concat(chunks).toString() || '[]')].flat();
          posted.push({ path: req.url ?? '', items });
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ accepted: items.length, rejected: [] }));
        });
      });
      await new Promise<void>((resolve) => ingest.listen(0, '127.0.0.1', resolve));
      const ingestPort = (ingest.address() as { port: number }).port;
      const mqtt = { PLANTWIRE_MQTT_HOST: broker.host, PLANTWIRE_MQTT_PORT: String(broker.port) };

      cloud = await startNodeRed({
        // No QuestDB: the queries fail, which changes no topic.
        env: { ...mqtt, ...env, PLANTWIRE_QUESTDB_URL: 'http://127.0.0.1:9' },
      });
      await cloud.deploy(
        flowsWithToken(FLOW_FILES.cloud, 'tok', tenant, { user: cloudUser, password: passwordOf(cloudUser) }),
      );
      edge = await startNodeRed({
        env: { ...mqtt, ...env, PLANTWIRE_CLOUD_URL: `http://127.0.0.1:${ingestPort}` },
      });
      await edge.deploy(
        flowsWithToken(FLOW_FILES.edge, 'tok', tenant, { user: edgeUser, password: passwordOf(edgeUser) }),
      );
      page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    }, 180_000);

    afterAll(async () => {
      await page?.close();
      await edge?.stop();
      await cloud?.stop();
      await new Promise((resolve) => ingest?.close(resolve));
    });

    it("the dashboard and the cloud subscribe to the plant's topics only", async () => {
      const expected = [
        `${topicRoot}/+/+/+`,
        `${topicRoot}/alarms`,
        `${topicRoot}/alarms/refused`,
        `${topicRoot}/edge/+`,
        `${topicRoot}/link`,
      ];
      // The dashboard's tab and the cloud's each have a broker connection: both ask for the edge figures and link.
      await waitFor(
        `the cloud's subscriptions`,
        async () => (of(cloudUser, 'subscribe').length >= 7 ? true : undefined),
        30_000,
      );
      expect(topicsOf(cloudUser, 'subscribe').sort()).toEqual(expected.sort());
      expect(of(cloudUser, 'subscribe')).toHaveLength(7);
      expect(of(cloudUser, 'subscribe').every((r) => r.allowed)).toBe(true);
    });

    it("the edge reads the plant's cmd topic and publishes its points, alarm list and figures under the plant", async () => {
      const expected = [
        `${topicRoot}/line-01/cnc-01/temperature`,
        `${topicRoot}/line-03/pump-03/power`,
        `${topicRoot}/alarms`,
        `${topicRoot}/edge/edge-telemetry`,
        `${topicRoot}/edge/edge-events`,
      ];
      await waitFor(
        "the edge's points, alarm list and figures",
        async () => {
          const published = topicsOf(edgeUser, 'publish');
          return expected.every((topic) => published.includes(topic)) ? true : undefined;
        },
        30_000,
      );
      expect(topicsOf(edgeUser, 'subscribe')).toEqual([`${topicRoot}/cmd`]);
      for (const request of [...of(edgeUser, 'publish'), ...of(edgeUser, 'subscribe')]) {
        expect(request.topic.startsWith(`${topicRoot}/`), request.topic).toBe(true);
        expect(request.allowed, request.topic).toBe(true);
      }
      // The points machine-sim made, as the cloud receives them, are the plant's.
      await waitFor(
        'points at the cloud',
        async () => posted.some((p) => p.path === '/ingest') || undefined,
        15_000,
      );
      const points = posted.filter((p) => p.path === '/ingest').flatMap((p) => p.items);
      expect(new Set(points.map((p) => `${String(p.tenant)}/${String(p.plant)}`))).toEqual(
        new Set([`${tenant}/${plant}`]),
      );
    });

    it("a command through the cloud's API goes out on the plant's cmd topic and reaches the edge", async () => {
      const post = (path: string, body: object) =>
        fetch(`${cloud.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const lists = of(edgeUser, 'publish').filter((r) => r.topic === `${topicRoot}/alarms`).length;
      expect((await post('/api/alarm/list', {})).status).toBe(202);
      expect((await post('/api/fault/dropout', { line: 'line-02', machine: 'press-02' })).status).toBe(202);
      await waitFor(
        'the two commands on the broker',
        async () => (of(cloudUser, 'publish').length >= 2 ? true : undefined),
        10_000,
      );
      expect(of(cloudUser, 'publish').map((r) => [r.topic, r.allowed])).toEqual([
        [`${topicRoot}/cmd`, true],
        [`${topicRoot}/cmd`, true],
      ]);
      // list: the edge's threshold-alarm sends its list again; dropout: machine-sim's fault event, to the cloud.
      await waitFor(
        'the alarm list sent again',
        async () =>
          of(edgeUser, 'publish').filter((r) => r.topic === `${topicRoot}/alarms`).length > lists ||
          undefined,
        15_000,
      );
      await waitFor(
        'the fault event at the cloud',
        async () =>
          posted.some(
            (p) =>
              p.path === '/ingest/events' && p.items.some((e) => e.type === 'fault' && e.fault === 'dropout'),
          ) || undefined,
        15_000,
      );
      const fault = posted
        .flatMap((p) => (p.path === '/ingest/events' ? p.items : []))
        .find((e) => e.type === 'fault' && e.fault === 'dropout')!;
      expect(fault).toMatchObject({ tenant, plant, line: 'line-02', machine: 'press-02' });
    });

    it('the flows open in the editor with every node valid (their ${...} properties too)', async () => {
      for (const red of [cloud, edge]) {
        await page.goto(red.url);
        await page.waitForSelector('#red-ui-workspace-chart svg', { timeout: 60_000 });
        const invalid = await page.waitForFunction(
          () => {
            const RED = (globalThis as unknown as { RED?: EditorApi }).RED;
            let count = 0;
            const found: string[] = [];
            const check = (n: EditorNode) => {
              count++;
              if (n.valid === false) found.push(`${n.type} ${n.id}`);
            };
            RED?.nodes.eachNode(check);
            RED?.nodes.eachConfig(check);
            return count > 20 ? found : undefined;
          },
          undefined,
          { timeout: 30_000 },
        );
        expect(await invalid.jsonValue(), red.url).toEqual([]);
      }
    });

    it("the dashboard shows the plant's title and its live alarm list, not another plant's", async () => {
      // As the plant's edge and another plant's would: the list of this plant (2 active alarms and one cleared,
      // awaiting its ack) and of the other (5 active).
      const publishList = async (username: string, topic: string, states: string[]) => {
        const client = await connectAsync(broker.url, { username, password: passwordOf(username) });
        const list = states.map((state, i) => ({ id: `line-01/cnc-01/temperature:rule-${i}`, state }));
        await client.publishAsync(topic, JSON.stringify(list), { qos: 1, retain: true });
        await client.endAsync();
      };
      const otherEdge = `edge-${other.split('/')[2]!}`;
      await publishList(otherEdge, `${other}/alarms`, Array<string>(5).fill('active-unack'));
      await publishList(edgeUser, `${topicRoot}/alarms`, ['active-unack', 'active-ack', 'rtn-unack']);

      await page.goto(`${cloud.url}/dashboard/overview`);
      await page.waitForSelector('.nrdb-ui-group', { timeout: 30_000 });
      await expect
        .poll(() => page.locator('body').innerText(), { timeout: 20_000 })
        .toContain(`Plant ${tenant} / ${plant}`);
      await expect
        .poll(() => page.locator('#nrdb-ui-widget-dash-plant-alarms').innerText(), { timeout: 20_000 })
        .toMatch(/Alarms\s*2 active, 2 to acknowledge$/);
    });
  });
});

// Tenant isolation on the cloud's Dashboard 2.0 in a real browser: flows/dashboard.json in a real Node-RED over a
// real QuestDB holding the rows and events of two tenants (acme, globex: same line and machine names, plus a
// machine only globex has, and values no acme machine has), and the plant broker carrying globex's live points
// and alarm list. The cloud serves acme (PLANTWIRE_TENANT, server side). Nothing of globex may reach the browser
// on the Overview, Machine or Alarms page, whatever the page's controls or a crafted socket message ask for.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  sleep,
  startAedesBroker,
  startNodeRed,
  startQuestDb,
  telemetryPoint,
  waitFor,
  type Broker,
  type FlowNode,
  type MqttAccount,
  type NodeRed,
  type QuestDb,
} from '@plantwire/testkit';

const root = join(import.meta.dirname, '..', '..');
/** What only globex has: its machine's name and its values (acme's temperatures are 40-50). */
const GLOBEX = /globex|987654/i;
const ACCOUNTS: MqttAccount[] = [
  { username: 'cloud-acme', password: 'pw-cloud-acme', role: 'service', tenant: 'acme' },
  { username: 'edge-acme', password: 'pw-edge-acme', role: 'device', tenant: 'acme', plant: 'plant-01' },
  {
    username: 'edge-globex',
    password: 'pw-edge-globex',
    role: 'device',
    tenant: 'globex',
    plant: 'plant-01',
  },
];
const account = (username: string) => ACCOUNTS.find((a) => a.username === username)!;

describe("tenant B's machines and values never reach tenant A's dashboard", () => {
  let questdb: QuestDb;
  let broker: Broker;
  let red: NodeRed;
  let browser: Browser;
  let page: Page;
  let globexDevice: MqttClient;
  /** Everything the browser received from Node-RED's dashboard connection (socket.io frames and polls). */
  const received: string[] = [];
  const now = Date.now();

  const ingest = async (path: string, token: string, body: unknown) => {
    const response = await fetch(`${red.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status, await response.clone().text()).toBe(200);
  };
  const series = (tenant: string, machine: string, metric: string, value: (i: number) => number) =>
    Array.from({ length: 60 }, (_, i) =>
      telemetryPoint(now - 300_000 + i * 5_000, {
        tenant,
        plant: 'plant-01',
        line: 'line-01',
        machine,
        metric,
        value: value(i),
        unit: metric === 'state' ? '' : 'degC',
      }),
    );
  const alarmEvent = (tenant: string, machine: string, name: string) => ({
    ts: now - 60_000,
    id: telemetryPoint(now - 60_000).id,
    tenant,
    plant: 'plant-01',
    line: 'line-01',
    machine,
    kind: 'alarm',
    name,
    state: 'ACTIVE_UNACK',
    priority: 'high',
    value: tenant === 'globex' ? 987654.5 : 71,
    message: `${name} on ${machine}`,
  });

  beforeAll(async () => {
    [questdb, broker] = await Promise.all([startQuestDb(), startAedesBroker({ accounts: ACCOUNTS })]);
    red = await startNodeRed({
      env: {
        PLANTWIRE_QUESTDB_URL: questdb.httpUrl,
        PLANTWIRE_TENANT: 'acme',
        PLANTWIRE_MQTT_HOST: broker.host,
        PLANTWIRE_MQTT_PORT: String(broker.port),
      },
    });
    const { FLOW_FILES, flowsWithToken } = (await import(
      pathToFileURL(join(root, 'scripts', 'deploy-flows.mjs')).href
    )) as {
      FLOW_FILES: Record<string, string[]>;
      flowsWithToken: (files: string[], token: string, tenant: string, mqtt: object) => FlowNode[];
    };
    const cloud = account('cloud-acme');
    const flows = flowsWithToken(FLOW_FILES.cloud!, 'tok-acme', 'acme', {
      user: cloud.username,
      password: cloud.password,
    }).map((node) =>
      node.type === 'telemetry-validate'
        ? { ...node, credentials: { tokens: 'tok-acme acme\ntok-globex globex' } }
        : node,
    );
    await red.deploy(flows);

    // Same line and machine names in both tenants, a machine only globex has, and values only globex has.
    await ingest('/ingest', 'tok-acme', [
      ...series('acme', 'cnc-01', 'temperature', (i) => 40 + (i % 10)),
      ...series('acme', 'cnc-01', 'state', () => 1),
    ]);
    await ingest('/ingest', 'tok-globex', [
      ...series('globex', 'cnc-01', 'temperature', () => 987654.5),
      ...series('globex', 'cnc-01', 'state', () => 4),
      ...series('globex', 'globex-secret-press', 'temperature', () => 987654.5),
      ...series('globex', 'globex-secret-press', 'state', () => 1),
    ]);
    await ingest('/ingest/events', 'tok-acme', [alarmEvent('acme', 'cnc-01', 'temp-high-cnc')]);
    await ingest('/ingest/events', 'tok-globex', [
      alarmEvent('globex', 'globex-secret-press', 'globex-only-rule'),
      alarmEvent('globex', 'cnc-01', 'globex-only-rule'),
    ]);
    await questdb.waitForWal('plantwire_telemetry');
    await questdb.waitForWal('plantwire_events');

    // Live: acme's edge publishes its alarm list; globex's edge its points and alarm list, on its own tree.
    const acmeDevice = await connectAsync(broker.url, { username: 'edge-acme', password: 'pw-edge-acme' });
    await acmeDevice.publishAsync(
      'v1/acme/plant-01/alarms',
      JSON.stringify([
        { id: 'line-01/cnc-01/temperature:temp-high-cnc', state: 'ACTIVE_UNACK', priority: 'high' },
      ]),
      { qos: 1, retain: true },
    );
    await acmeDevice.endAsync();
    globexDevice = await connectAsync(broker.url, { username: 'edge-globex', password: 'pw-edge-globex' });
    await globexDevice.publishAsync(
      'v1/globex/plant-01/alarms',
      JSON.stringify([
        { id: 'line-01/globex-secret-press/temperature:globex-only-rule', state: 'ACTIVE_UNACK' },
      ]),
      { qos: 1, retain: true },
    );

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.addInitScript(() => Object.assign(window, { Cypress: true }));
    page.on('websocket', (socket) =>
      socket.on('framereceived', (frame) => received.push(String(frame.payload))),
    );
    page.on('response', async (response) => {
      if (response.url().includes('socket.io')) received.push(await response.text().catch(() => ''));
    });
  }, 180_000);

  afterAll(async () => {
    await globexDevice?.endAsync();
    await browser?.close();
    await red?.stop();
    await broker?.stop();
    await questdb?.stop();
  });

  const open = async (path: string) => {
    await page.goto(`${red.url}/dashboard/${path}`);
    await page.waitForSelector('.nrdb-ui-group', { timeout: 30_000 });
  };
  const widget = (id: string) => page.locator(`#nrdb-ui-widget-${id}`);
  /** The values every chart of the page holds. */
  const chartData = () =>
    page.evaluate(() => {
      const charts = (
        window as unknown as {
          uiCharts?: Record<string, { chart: { getOption(): { series: { data: unknown[] }[] } } }>;
        }
      ).uiCharts;
      return JSON.stringify(Object.values(charts ?? {}).map((c) => c.chart.getOption().series));
    });
  /** Live points of both tenants while the page is open: the cloud must show acme's only. */
  const publishLive = async (
    device: MqttClient,
    tenant: string,
    machine: string,
    value: number,
    ts = Date.now(),
  ) =>
    device.publishAsync(
      `v1/${tenant}/plant-01/line-01/${machine}/temperature`,
      JSON.stringify(telemetryPoint(ts, { tenant, plant: 'plant-01', line: 'line-01', machine, value })),
    );
  /** A message of the page's own connection, as a crafted client would send it. */
  const emit = (event: string, id: string, value: unknown) =>
    page.evaluate(
      ([event, id, value]) => {
        const app = (
          document.querySelector('#app') as unknown as {
            __vue_app__: { _context: { provides: { $socket: { emit(...args: unknown[]): void } } } };
          }
        ).__vue_app__;
        app._context.provides.$socket.emit(event, id, value);
      },
      [event, id, value] as const,
    );
  const expectNothingOfGlobex = async () => {
    expect(await page.content()).not.toMatch(GLOBEX);
    expect(await chartData()).not.toMatch(GLOBEX);
    expect(received.join('\n')).not.toMatch(GLOBEX);
  };

  it('both tenants are in QuestDB and on the broker', async () => {
    const { dataset } = await questdb.exec(
      'SELECT tenant, count_distinct(machine) FROM plantwire_telemetry ORDER BY tenant',
    );
    expect(dataset).toEqual([
      ['acme', 1],
      ['globex', 2],
    ]);
  });

  it("Overview: acme's machine and figures, nothing of globex", async () => {
    await open('overview');
    const rows = widget('dash-kpi-table').locator('tbody tr');
    await waitFor('the KPI row of acme', async () => ((await rows.count()) > 0 ? true : undefined), 30_000);
    expect(await rows.allInnerTexts()).toEqual([expect.stringMatching(/line-01\s+cnc-01\s+RUNNING/)]);
    await sleep(6_000); // one more refresh (every 5 s)
    await expectNothingOfGlobex();
  }, 60_000);

  it("Machine: acme's history and live points; neither the dropdown nor crafted messages bring globex's", async () => {
    await open('machine');
    const acmeDevice = await connectAsync(broker.url, { username: 'edge-acme', password: 'pw-edge-acme' });
    try {
      await waitFor(
        'acme history',
        async () => (/\b4\d(\.\d+)?\b/.test(await chartData()) ? true : undefined),
        30_000,
      );
      // The page's own control offers acme's machines only.
      await widget('dash-pick-machine').locator('.v-field').click();
      const offered = await page.locator('.v-overlay-container .v-list-item').allInnerTexts();
      expect(offered.length).toBeGreaterThan(0);
      expect(offered.join('\n')).not.toMatch(GLOBEX);
      await page.keyboard.press('Escape');
      // Crafted: another tenant's machine as the choice, a tenant in the message, whole messages sent at the
      // dropdowns and the page-view node, asking for globex.
      const crafted = { payload: 'line-01/cnc-01', tenant: 'globex', params: { tenant: 'globex' } };
      const views = async () =>
        JSON.stringify((await red.api<{ msg: unknown }>('/context/flow/dash/machineViews')).msg);
      await emit('widget-change', 'dash-pick-machine', 'line-01/globex-secret-press');
      await emit('widget-change', 'dash-pick-machine', 'line-01/press-02');
      // Both reached the flow, which takes the machines of its dropdown only: the tab's choice is the acme press,
      // never the crafted machine.
      await waitFor(
        'the choice in the flow',
        async () => ((await views()).includes('line-01/press-02') ? true : undefined),
        10_000,
      );
      expect(await views()).not.toMatch(GLOBEX);
      await emit('widget-change', 'dash-pick-machine', crafted);
      for (const id of ['dash-pick-machine', 'dash-pick-window', 'dash-page-views'])
        await emit('widget-action', id, crafted);
      await emit('widget-change', 'dash-pick-machine', 'line-01/cnc-01');
      for (let i = 0; i < 5; i++) {
        await publishLive(globexDevice, 'globex', 'cnc-01', 987654.5);
        await publishLive(acmeDevice, 'acme', 'cnc-01', 45.25);
        await sleep(500);
      }
      // The page draws live points averaged into 30 s buckets, each once it is over: one 30 s later ends theirs.
      await publishLive(globexDevice, 'globex', 'cnc-01', 987654.5, Date.now() + 30_000);
      await publishLive(acmeDevice, 'acme', 'cnc-01', 45.25, Date.now() + 30_000);
      await waitFor(
        'an acme live point',
        async () => ((await chartData()).includes('45.25') ? true : undefined),
        10_000,
      );
      await expectNothingOfGlobex();
    } finally {
      await acmeDevice.endAsync();
    }
  }, 90_000);

  it("Alarms: acme's active alarm and history; globex's neither, even when a crafted message asks", async () => {
    await open('alarms');
    await waitFor(
      "acme's alarm history",
      async () =>
        (await widget('dash-alarm-history').innerText()).includes('temp-high-cnc') ? true : undefined,
      30_000,
    );
    await expect.poll(() => page.locator('[data-testid="alarms-active"]').innerText()).toMatch(/cnc-01/);
    await emit('widget-action', 'dash-active', {
      payload: { cmd: 'list' },
      topic: 'v1/globex/plant-01/cmd',
      tenant: 'globex',
    });
    await sleep(6_000); // one more refresh of the history (every 5 s)
    await expectNothingOfGlobex();
  }, 60_000);
});

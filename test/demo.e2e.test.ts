// `npm start` as a user runs it, driven in a real browser: the real script starts QuestDB, the broker, the cloud
// and edge Node-REDs and the WAN link on a fresh data folder; the dashboard must show live data within 30 s,
// faults must raise alarms that can be acknowledged, and an outage must lose and duplicate nothing.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, waitFor, type ManagedProcess } from '@plantwire/testkit';
import { startDemo, type Demo } from './fixtures/demo.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const screenshots = join(root, 'test', 'screenshots');
const MACHINE_COUNT = 9;

interface Alarm {
  id: string;
  state: string;
}

describe('npm start: the assembled factory in a real browser', () => {
  let started: Demo;
  let data: string;
  let demo: ManagedProcess;
  let ready: number;
  let ports: Record<string, number>;
  let browser: Browser;
  let page: Page;
  let mqtt: MqttClient;
  let alarms: Alarm[] = [];
  /** The demo's QuestDB login, from its secrets. */
  let login: { user: string; password: string };
  /** Commands the dashboard published on the plant's command topic, in order. */
  const commands: { cmd: string }[] = [];

  const cloud = (path: string) => `http://127.0.0.1:${ports.CLOUD}${path}`;
  const questdbExec = (sql: string, authorized = true) => started.questdbExec(sql, authorized);
  const questdb = (sql: string) => started.questdb(sql);
  const open = async (path: string) => {
    await page.goto(cloud(`/dashboard/${path}`));
    await page.waitForSelector('.nrdb-ui-group', { timeout: 30_000 });
  };
  const widget = (id: string) => page.locator(`#nrdb-ui-widget-${id}`);
  const text = (selector: string) =>
    page
      .locator(selector)
      .first()
      .innerText({ timeout: 5000 })
      .catch(() => '');
  /** Points a Dashboard 2.0 chart holds (window.Cypress makes the dashboard expose its charts). */
  const chartPoints = (id: string) =>
    page.evaluate((chart) => {
      const charts = (
        window as unknown as {
          uiCharts?: Record<string, { chart: { getOption(): { series: { data: unknown[] }[] } } }>;
        }
      ).uiCharts;
      return charts?.[chart]?.chart.getOption().series.reduce((sum, s) => sum + s.data.length, 0) ?? 0;
    }, id);
  /**
   * Clicks a dashboard button until its command is on the plant broker: a click that lands while the page's
   * connection to Node-RED is still being set up is lost, as it would be for a person, who clicks again.
   */
  const press = async (selector: string, cmd: string) => {
    const before = commands.filter((c) => c.cmd === cmd).length;
    for (let attempt = 1; ; attempt++) {
      await page.locator(selector).first().click();
      try {
        return await waitFor(
          `${cmd} on the command topic`,
          async () => (commands.filter((c) => c.cmd === cmd).length > before ? true : undefined),
          5000,
        );
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  };
  const shot = (name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    started = await startDemo('plantwire-demo-');
    ({ process: demo, data, ports } = started);
    mkdirSync(screenshots, { recursive: true });
    ready = Date.now();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.addInitScript(() => Object.assign(window, { Cypress: true }));
    // The plant broker wants an account: the cloud's, from the demo's secrets (made on its first run).
    login = started.secrets.questdb;
    mqtt = await connectAsync(`mqtt://127.0.0.1:${ports.MQTT}`, {
      username: 'cloud-acme',
      password: started.secrets.mqtt.cloud!,
    });
    mqtt.on('message', (topic, body) => {
      if (topic.endsWith('/alarms')) alarms = JSON.parse(body.toString()) as Alarm[];
      else commands.push(JSON.parse(body.toString()) as { cmd: string });
    });
    await mqtt.subscribeAsync(['v1/acme/plant-01/alarms', 'v1/acme/plant-01/cmd']);
  }, 240_000);

  afterAll(async () => {
    await mqtt?.endAsync();
    await browser?.close();
    await started?.stop();
  });

  it('prints where everything is', () => {
    for (const line of ['Dashboard', 'Cloud Node-RED', 'Edge Node-RED', 'QuestDB console', 'MQTT broker'])
      expect(demo.output()).toContain(line);
    expect(demo.output()).toContain(`http://127.0.0.1:${ports.CLOUD}/dashboard`);
    expect(demo.output()).toContain(`user ${login.user}, password ${login.password}`);
  });

  it('shows live values on the dashboard within 30 s of start', async () => {
    await open('overview');
    const rows = widget('dash-kpi-table').locator('tbody tr');
    await waitFor(
      'a KPI row per machine',
      async () => ((await rows.count()) === MACHINE_COUNT ? true : undefined),
      30_000,
    );
    const first = await rows.first().innerText();
    expect(first).toMatch(/line-01\s+cnc-01\s+(RUNNING|IDLE|SETUP|ERROR|MAINTENANCE)/);
    expect(Date.now() - ready).toBeLessThan(30_000);
    await shot('overview');
  }, 60_000);

  it('renders every page with live values; KPIs and charts change over time', async () => {
    await open('overview');
    await expect
      .poll(() => widget('dash-plant-oee').innerText(), { timeout: 20_000 })
      .toMatch(/\d+\.\d %|not yet known/);
    // Every time on the dashboard is UTC, and says so.
    expect(await widget('dash-plant-updated').innerText()).toMatch(/\d\d:\d\d:\d\d UTC/);
    const kpis = await widget('dash-kpi-table').innerText();
    await expect.poll(() => widget('dash-kpi-table').innerText(), { timeout: 20_000 }).not.toBe(kpis);

    await open('machine');
    await waitFor(
      'temperature history',
      async () => ((await chartPoints('dash-chart-temperature')) > 1 ? true : undefined),
      90_000,
    );
    const before = await chartPoints('dash-chart-temperature');
    // Live points come averaged into the history's buckets (30 s for the hour), each once it is over.
    await waitFor(
      'a live point',
      async () => ((await chartPoints('dash-chart-temperature')) > before ? true : undefined),
      120_000,
    );
    for (const chart of ['vibration', 'power', 'speed', 'energy', 'production', 'state'])
      await waitFor(
        `the ${chart} chart`,
        async () => ((await chartPoints(`dash-chart-${chart}`)) > 0 ? true : undefined),
        60_000,
      );
    await shot('machine');

    await open('alarms');
    await page.locator('[data-testid="alarms-active"]').waitFor({ timeout: 20_000 });
    await open('edge');
    await expect
      .poll(() => text('[data-testid="edge-telemetry-rows"]'), { timeout: 20_000 })
      .toMatch(/^\d+$/);
    await expect.poll(() => text('[data-testid="edge-link"]'), { timeout: 20_000 }).toBe('up');
    await open('faults');
    await expect
      .poll(() => page.locator('[data-fault="bearing_fault"]').count(), { timeout: 20_000 })
      .toBe(MACHINE_COUNT);
    await open('architecture');
    await expect
      .poll(() => widget('dash-architecture').innerText(), { timeout: 20_000 })
      .toContain('How the factory is wired');
  }, 600_000);

  it('keeps a Machine page history across a reload', async () => {
    await open('machine');
    // The dropdowns show what the charts are drawn for, from the start.
    await expect
      .poll(() => widget('dash-pick-machine').innerText(), { timeout: 20_000 })
      .toContain('line-01 / cnc-01');
    await expect.poll(() => widget('dash-pick-window').innerText(), { timeout: 20_000 }).toContain('1 hour');
    await waitFor(
      'history',
      async () => ((await chartPoints('dash-chart-power')) > 1 ? true : undefined),
      30_000,
    );
    const before = await chartPoints('dash-chart-power');
    await page.reload();
    await waitFor(
      'history after the reload',
      async () => ((await chartPoints('dash-chart-power')) >= before ? true : undefined),
      30_000,
    );
  }, 90_000);

  it('a bearing_fault button raises the temperature within 60 s; its alarm is shown and acknowledged', async () => {
    // A running machine: a bearing heats a stopped machine far less, and a machine leaving RUNNING cools.
    const states = await questdb(
      "SELECT line, machine, value FROM plantwire_telemetry WHERE metric = 'state' LATEST ON ts PARTITION BY line, machine",
    );
    const [line, machine] = (states.find((row) => row[2] === 1) ?? states[0]!) as [string, string];
    const target = `${line}/${machine}`;
    // The newest three readings, not those of the last seconds: on a busy machine the points reach QuestDB some
    // seconds late, and a window of the last seconds can then be empty (its average NaN, never higher).
    const temperature = async () => {
      const rows = await questdb(
        `SELECT avg(value) FROM (SELECT value FROM plantwire_telemetry WHERE line = '${line}' AND machine = '${machine}' AND metric = 'temperature' ORDER BY ts DESC LIMIT 3)`,
      );
      return Number(rows[0]?.[0]);
    };
    const before = await temperature();
    expect(before).toBeGreaterThan(0);
    await open('faults');
    const pressed = Date.now();
    await press(`[data-fault="bearing_fault"][data-machine="${target}"]`, 'bearing_fault');
    await waitFor(
      `the temperature of ${target} to rise by 1.5 degC`,
      async () => ((await temperature()) > before + 1.5 ? true : undefined),
      60_000,
    );
    expect(Date.now() - pressed).toBeLessThan(60_000);

    await open('alarms');
    const row = page.locator(`[data-alarm^="${target}/vibration:vibration-high"]`).first();
    await row.waitFor({ timeout: 60_000 });
    expect(await row.getAttribute('data-state')).toBe('active-unack');
    expect(await row.innerText()).toMatch(/\d\d:\d\d:\d\d/);
    await shot('alarms');
    const id = (await row.getAttribute('data-alarm'))!;
    await press(`[data-alarm="${id}"] [data-action="ack"]`, 'ack');
    await expect
      .poll(() => page.locator(`[data-alarm="${id}"]`).getAttribute('data-state'), { timeout: 20_000 })
      .toBe('active-ack');
    // The history from QuestDB lists it, its value to one decimal as the active list shows it.
    const history = widget('dash-alarm-history');
    await expect
      .poll(() => history.innerText(), { timeout: 30_000 })
      .toContain(`${target}/vibration:vibration-high`);
    expect(await history.innerText()).not.toMatch(/\d\.\d{2,}/);
    // The state as the edge's threshold-alarm runtime published it.
    await waitFor(
      'the runtime to say acknowledged',
      async () => (alarms.find((a) => a.id === id)?.state === 'active-ack' ? true : undefined),
      10_000,
    );
    // A command the edge refuses (an alarm it does not know) is said on the dashboard, not only in the edge's log.
    const gone = `${target}/vibration:gone`;
    await mqtt.publishAsync('v1/acme/plant-01/cmd', JSON.stringify({ cmd: 'ack', alarm: gone, by: 'test' }));
    await expect
      .poll(() => page.locator('body').innerText(), { timeout: 20_000 })
      .toContain(`The edge refused ack ${gone}: no alarm with id "${gone}"`);

    await open('faults');
    await press(`[data-fault="clear"][data-machine="${target}"]`, 'clear');
  }, 180_000);

  it('a network outage from the dashboard fills the edge buffer, which drains after the restore: every point exactly once', async () => {
    await open('faults');
    await press('[data-action="cut"]', 'network_outage');
    await open('edge');
    await expect.poll(() => text('[data-testid="edge-link"]'), { timeout: 10_000 }).toBe('OUTAGE');
    await waitFor(
      'the buffer to grow',
      async () => (Number(await text('[data-testid="edge-telemetry-rows"]')) > 1000 ? true : undefined),
      60_000,
    );
    await shot('edge-health-outage');

    await open('faults');
    await press('[data-action="restore"]', 'network_outage');
    await page.waitForTimeout(5000); // live data flows beside the backfill for a while
    await mqtt.publishAsync('v1/acme/plant-01/cmd', JSON.stringify({ cmd: 'stop' }), { qos: 1 });

    await open('edge');
    await expect.poll(() => text('[data-testid="edge-link"]'), { timeout: 20_000 }).toBe('up');
    await expect.poll(() => text('[data-testid="edge-telemetry-rows"]'), { timeout: 90_000 }).toBe('0');
    const status = await started.edgeDrained(90_000);
    expect(status.stores['edge-telemetry']!.quarantinedRows).toBe(0);
    await started.storedOnce(status.accepted);
    expect(status.accepted).toBeGreaterThan(3000);
  }, 300_000);

  it('answers the reference API', async () => {
    const json = async (path: string, init?: RequestInit) => {
      const response = await fetch(cloud(path), init);
      return {
        status: response.status,
        body: (await response.json()) as Record<string, unknown> & unknown[],
      };
    };
    expect((await json('/api/health')).body).toMatchObject({ status: 'ok', questdb: 'up' });
    const stats = await json('/api/stats');
    expect(stats.body.tables).toEqual(expect.arrayContaining(['plantwire_events', 'plantwire_telemetry']));
    expect(stats.body.ingest).toMatchObject({ points: expect.any(Number) as number });
    expect((await json('/api/kpis')).body).toHaveLength(MACHINE_COUNT);
    expect((await json('/api/kpis?plant=plant-01&line=line-02')).body).toHaveLength(MACHINE_COUNT / 3);
    expect((await json('/api/kpis?plant=elsewhere')).body).toEqual([]);
    // A bad parameter is answered, not left hanging.
    expect((await json('/api/series?metric=temperature&minutes=abc')).status).toBe(400);
    const series = await json(
      '/api/series?line=line-01&machine=cnc-01&metric=temperature&bucket=1m&minutes=30',
    );
    expect(series.status).toBe(200);
    expect(series.body.length).toBeGreaterThan(0);
    const events = await questdb(
      "SELECT kind, count() FROM plantwire_events WHERE tenant = 'acme' ORDER BY kind",
    );
    expect(events.map(([kind]) => kind)).toEqual(expect.arrayContaining(['alarm', 'fault']));
    const post = (path: string, body: unknown) =>
      json(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/api/fault/melt_down', {})).status).toBe(400);
    expect(await post('/api/fault/clear', { machine: '*' })).toMatchObject({ status: 202 });
    // What a web page can make a browser send to another site is refused, and no command goes out: a form or
    // text/plain (415, and 403 for its Origin), JSON after a CORS preflight (refused, so never sent).
    const before = commands.length;
    for (const [path, type, body] of [
      ['/api/alarm/disable', 'application/x-www-form-urlencoded', 'alarm=*&by=a-web-page'],
      ['/api/fault/network_outage', 'text/plain', '{"value": true}'],
    ] as const) {
      const refused = await json(path, { method: 'POST', headers: { 'content-type': type }, body });
      expect(refused, path).toMatchObject({ status: 415, body: { error: expect.stringMatching(/JSON/) } });
      const crossSite = await json(path, {
        method: 'POST',
        headers: { 'content-type': type, origin: 'https://elsewhere.example' },
        body,
      });
      expect(crossSite, path).toMatchObject({
        status: 403,
        body: { error: expect.stringMatching(/another site/) },
      });
    }
    for (const path of ['/api/alarm/disable', '/api/stats']) {
      const preflight = await fetch(cloud(path), {
        method: 'OPTIONS',
        headers: {
          origin: 'https://elsewhere.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.status, path).toBe(403);
      expect(preflight.headers.get('access-control-allow-origin'), path).toBeNull();
    }
    // A page of another site cannot read the API either, nor open the dashboard's socket.
    const read = await fetch(cloud('/api/stats'), { headers: { origin: 'https://elsewhere.example' } });
    expect(read.status).toBe(403);
    const socket = await fetch(cloud('/dashboard/socket.io/?EIO=4&transport=polling'), {
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(socket.status).toBe(403);
    const handshake = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(cloud('/dashboard/socket.io/?EIO=4&transport=websocket'), {
          headers: {
            origin,
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          },
        });
        req.on('upgrade', (res, upgraded) => {
          upgraded.destroy();
          resolve(res.statusCode!);
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await handshake('https://elsewhere.example')).toBe(403);
    expect(await handshake(cloud(''))).toBe(101);
    // The dashboard's own page, which sends its own Origin, is served.
    const own = await fetch(cloud('/api/fault/melt_down'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: cloud('') },
      body: '{}',
    });
    expect(own.status).toBe(400);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const sent = commands.slice(before).map((c) => c.cmd);
    expect(sent).not.toContain('disable');
    expect(sent).not.toContain('network_outage');
  });

  it("keeps QuestDB behind a login made for this data folder: a web page's request cannot drop a table", async () => {
    expect(statSync(join(data, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(login.password).toMatch(/^[0-9a-f]{36}$/);
    const tables = async () => (await questdb('SELECT table_name FROM tables()')).map(([name]) => name);
    expect(await tables()).toContain('plantwire_telemetry');
    // What an <img src="http://127.0.0.1:9000/exec?query=DROP TABLE ..."> on any web page would send.
    const drop = await questdbExec('DROP TABLE plantwire_telemetry', false);
    expect(drop.status).toBe(401);
    expect(drop.headers.get('www-authenticate')).toBeNull(); // no browser login prompt to remember it
    const write = await fetch(`http://127.0.0.1:${ports.QUESTDB_HTTP}/write`, {
      method: 'POST',
      body: 'plantwire_forged,tenant=acme value=1',
    });
    expect(write.status).toBe(401);
    expect(await tables()).toContain('plantwire_telemetry');
    expect(await tables()).not.toContain('plantwire_forged');
  });

  it('refuses a body larger than /ingest takes before reading it, answers in JSON, and lives on', async () => {
    const limit = 10_240 * 1024;
    /** POSTs up to 800 MB of spaces (chunked unless `length` is declared), stopping when the answer comes. */
    const flood = (path: string, length?: number) =>
      new Promise<{ status: number; body: string; ms: number; sent: number }>((resolve, reject) => {
        const started = Date.now();
        let sent = 0;
        let answered = false;
        const req = request(cloud(path), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(length && { 'content-length': String(length) }),
          },
        });
        req.on('response', (res) => {
          answered = true;
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body, ms: Date.now() - started, sent }));
        });
        // The connection is closed on the rest of the body once the answer is out.
        req.on('error', (error) => (answered ? undefined : reject(error)));
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const write = () => {
          while (!answered && sent < 800e6) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once('drain', write);
          }
          if (!answered) req.end();
        };
        write();
      });
    for (const [path, length] of [
      ['/ingest', 800e6],
      ['/ingest', undefined],
      ['/ingest/events', undefined],
    ] as const) {
      const answer = await flood(path, length);
      expect(answer.status, `${path} ${length ?? 'chunked'}`).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({
        accepted: 0,
        error: expect.stringContaining(`${limit}`),
      });
      expect(answer.ms).toBeLessThan(10_000);
      expect(answer.sent).toBeLessThan(100e6);
    }
    // Broken JSON within the limit still gets telemetry-validate's answer in JSON.
    const { ingestToken } = JSON.parse(readFileSync(join(data, 'secrets.json'), 'utf8')) as {
      ingestToken: string;
    };
    const broken = await fetch(cloud('/ingest'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestToken}` },
      body: '[{"ts": 1,',
    });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({
      accepted: 0,
      rejected: [{ reason: 'the body is not JSON' }],
    });
    expect(demo.exitStatus()).toBeUndefined();
    expect(await (await fetch(cloud('/api/health'))).json()).toMatchObject({ status: 'ok' });
  }, 60_000);

  it('after a few minutes: the Overview (the README shows this screenshot)', async () => {
    await open('overview');
    await expect.poll(() => widget('dash-plant-oee').innerText(), { timeout: 30_000 }).toMatch(/\d+\.\d %/);
    await shot('dashboard-overview');
  }, 60_000);

  it('stops everything on Ctrl-C', async () => {
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toMatch(/\[plantwire\] stopped/);
    await expect(fetch(cloud('/api/health'))).rejects.toThrow();
  }, 90_000);
});

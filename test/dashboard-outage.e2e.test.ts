// The dashboard of `npm start` through a QuestDB crash, on a tablet-sized screen: the real script on a fresh data
// folder, driven in Debian's chromium (as test/demo.e2e.test.ts does). QuestDB killed with SIGKILL must be said on
// the dashboard, over the last figures it had, and come back by itself with every point of the outage, once.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
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

describe('npm start: the dashboard through a QuestDB crash, on a 1024 x 768 tablet', () => {
  let started: Demo;
  let demo: ManagedProcess;
  let ports: Record<string, number>;
  let browser: Browser;
  let mqtt: MqttClient;

  const cloud = (path: string) => `http://127.0.0.1:${ports.CLOUD}${path}`;
  const edgeStatus = () => started.edgeStatus();
  const newPage = async (path: string) => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    // window.Cypress makes the dashboard expose its charts (window.uiCharts).
    await page.addInitScript(() => Object.assign(window, { Cypress: true }));
    await page.goto(cloud(`/dashboard/${path}`));
    await page.waitForSelector('.nrdb-ui-group', { state: 'attached', timeout: 30_000 });
    return page;
  };
  const widget = (page: Page, id: string) => page.locator(`#nrdb-ui-widget-${id}`);
  /** What a ui-text says (its value, after its label). */
  const said = (page: Page, id: string) =>
    widget(page, id)
      .innerText({ timeout: 5000 })
      .then((text) => text.trim().split('\n').pop()!.trim())
      .catch(() => '');
  /** The time of the oldest point a Dashboard 2.0 chart holds (Infinity when it holds none). */
  const oldestPoint = (page: Page, id: string) =>
    page.evaluate((chart) => {
      const charts = (
        window as unknown as {
          uiCharts?: Record<string, { chart: { getOption(): { series: { data: [number, number][] }[] } } }>;
        }
      ).uiCharts;
      const xs = (charts?.[chart]?.chart.getOption().series ?? []).flatMap((s) => s.data.map(([x]) => x));
      return xs.length ? Math.min(...xs) : Infinity;
    }, id);
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    started = await startDemo('plantwire-outage-');
    ({ process: demo, ports } = started);
    mkdirSync(screenshots, { recursive: true });
    browser = await launchBrowser();
    mqtt = await connectAsync(`mqtt://127.0.0.1:${ports.MQTT}`, {
      username: 'cloud-acme',
      password: started.secrets.mqtt.cloud!,
    });
  }, 240_000);

  afterAll(async () => {
    await mqtt?.endAsync();
    await browser?.close();
    await started?.stop();
  });

  it('fits Overview, Alarm history and Anomalies into 1024 px: no column cut off', async () => {
    const overview = await newPage('overview');
    const rows = widget(overview, 'dash-kpi-table').locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(MACHINE_COUNT);
    const alarms = await newPage('alarms');
    // With the navigation drawer closed (at 1024 px it opens beside the page, which it narrows; see below).
    const drawer = (page: Page) => page.locator('[data-el="nav-drawer"]');
    const toggle = async (page: Page, open: boolean) => {
      await page.waitForTimeout(1000); // the drawer settles after the first paint
      const isOpen = async () =>
        /v-navigation-drawer--active/.test((await drawer(page).getAttribute('class')) ?? '');
      if ((await isOpen()) !== open) await page.locator('.v-app-bar-nav-icon').first().click();
      await expect.poll(isOpen, { timeout: 5000 }).toBe(open);
      await page.waitForTimeout(1000); // its transition
    };
    await toggle(overview, false);
    await toggle(alarms, false);
    for (const [page, table] of [
      [overview, 'dash-kpi-table'],
      [overview, 'dash-scrap-table'],
      [alarms, 'dash-alarm-history'],
      [alarms, 'dash-anomaly-history'],
    ] as const) {
      const wrapper = widget(page, table).locator('.v-table__wrapper');
      const [scrollWidth, clientWidth] = await wrapper.evaluate((w) => [w.scrollWidth, w.clientWidth]);
      expect(scrollWidth, table).toBeLessThanOrEqual(clientWidth);
      // Every column is in view: the last heading ends within the table's box.
      const box = (await wrapper.boundingBox())!;
      const last = (await widget(page, table).locator('thead th').last().boundingBox())!;
      expect(last.x + last.width, table).toBeLessThanOrEqual(box.x + box.width + 1);
    }
    // One format per column: every percentage of the KPI table to one decimal.
    const cells = await widget(overview, 'dash-kpi-table').locator('tbody td').allInnerTexts();
    expect(cells.filter((cell) => /^\d+$/.test(cell.trim()))).toEqual([]);
    await shot(overview, 'tablet-overview');
    await shot(alarms, 'tablet-alarms');
    // With the drawer open the KPI table scrolls sideways, under a shadow on the side that has more.
    await toggle(overview, true);
    const wrapper = widget(overview, 'dash-kpi-table').locator('.v-table__wrapper');
    const [scrollWidth, clientWidth] = await wrapper.evaluate((w) => [w.scrollWidth, w.clientWidth]);
    if (scrollWidth > clientWidth) {
      expect(await wrapper.evaluate((w) => getComputedStyle(w).backgroundImage)).toContain('radial-gradient');
      expect(await wrapper.evaluate((w) => getComputedStyle(w).overflowX)).toBe('auto');
    }
    await shot(overview, 'tablet-overview-drawer');
    await overview.close();
    await alarms.close();
  }, 90_000);

  it('QuestDB killed: the dashboard says it is unreachable over its last figures, QuestDB comes back by itself, and every point reaches it once', async () => {
    const overview = await newPage('overview');
    const alarms = await newPage('alarms');
    await expect.poll(() => said(overview, 'dash-plant-questdb'), { timeout: 30_000 }).toBe('answering');
    await expect
      .poll(() => widget(overview, 'dash-kpi-table').locator('tbody tr').count(), { timeout: 30_000 })
      .toBe(MACHINE_COUNT);
    await expect.poll(() => said(overview, 'dash-plant-oee'), { timeout: 30_000 }).toMatch(/\d+\.\d %/);
    await expect
      .poll(() => said(alarms, 'dash-alarm-history-questdb'), { timeout: 30_000 })
      .toBe('answering');

    // The demo's QuestDB, found by its data folder (which is this test's own).
    const java = execFileSync('pgrep', ['-f', '--', `-d ${join(started.data, 'questdb')}`], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .map(Number);
    expect(java).toHaveLength(1);
    process.kill(java[0]!, 'SIGKILL');
    const killed = Date.now();

    await expect
      .poll(() => said(overview, 'dash-plant-questdb'), { timeout: 20_000 })
      .toMatch(/^UNREACHABLE since \d\d:\d\d:\d\d UTC; showing its answer of \d\d:\d\d:\d\d UTC$/);
    await expect
      .poll(() => said(alarms, 'dash-alarm-history-questdb'), { timeout: 20_000 })
      .toMatch(/^UNREACHABLE since /);
    // The last figures stay: no "not yet known", no "0 of 0", no empty table.
    expect(await said(overview, 'dash-plant-oee')).toMatch(/\d+\.\d %/);
    // (Its count may have moved with a refresh just before the kill: it must be a count of the 9 machines.)
    expect(await said(overview, 'dash-plant-running')).toMatch(new RegExp(`^\\d+ of ${MACHINE_COUNT}$`));
    expect(await widget(overview, 'dash-kpi-table').locator('tbody tr').count()).toBe(MACHINE_COUNT);
    await shot(overview, 'questdb-killed-overview');
    // A Machine page opened now has its live points only, until QuestDB is back.
    const machine = await newPage('machine');
    const opened = Date.now();
    expect(demo.output()).toMatch(/QuestDB exited \(SIGKILL\) while the demo ran; restarting it/);
    // The edge keeps its points meanwhile.
    await waitFor(
      'the edge to hold points',
      async () => ((await edgeStatus()).stores['edge-telemetry']!.rows > 0 ? true : undefined),
      60_000,
    );

    await waitFor(
      'QuestDB to be back',
      async () => (/QuestDB is back on/.test(demo.output()) ? true : undefined),
      120_000,
    );
    expect(demo.exitStatus()).toBeUndefined();
    await expect.poll(() => said(overview, 'dash-plant-questdb'), { timeout: 60_000 }).toBe('answering');
    await expect
      .poll(() => said(alarms, 'dash-alarm-history-questdb'), { timeout: 30_000 })
      .toBe('answering');
    await expect
      .poll(() => said(overview, 'dash-plant-updated'), { timeout: 90_000 })
      .toMatch(/^\d\d:\d\d:\d\d UTC \(\d+ s ago\)$/);
    // The Machine page gets the history from before it was opened, without a dropdown change.
    await expect
      .poll(() => oldestPoint(machine, 'dash-chart-temperature'), { timeout: 60_000 })
      .toBeLessThan(killed);
    expect(opened).toBeGreaterThan(killed);

    // Every point the edge accepted, before, during and after the outage, is in QuestDB once.
    await mqtt.publishAsync('v1/acme/plant-01/cmd', JSON.stringify({ cmd: 'stop' }), { qos: 1 });
    const status = await started.edgeDrained(120_000);
    expect(status.stores['edge-telemetry']!.quarantinedRows).toBe(0);
    await started.storedOnce(status.accepted);
    await machine.close();
    await overview.close();
    await alarms.close();
  }, 420_000);

  it('stops everything on Ctrl-C, the restarted QuestDB too', async () => {
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toMatch(/\[plantwire\] stopped/);
    expect(() => execFileSync('pgrep', ['-f', '--', `-d ${join(started.data, 'questdb')}`])).toThrow();
  }, 90_000);
});

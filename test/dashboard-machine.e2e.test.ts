// The dashboard's Machine and Faults pages as users meet them, on the real demo (`npm start`) in real browsers:
// each browser tab keeps its own choice of machine and window, the charts draw states, remaining life and times
// legibly, and the Faults page confirms each click and shows which faults run.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, waitFor } from '@plantwire/testkit';
import { startDemo, type Demo } from './fixtures/demo.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const screenshots = join(root, 'test', 'screenshots');

interface ChartOption {
  useUTC?: boolean;
  title: { text: string }[];
  xAxis: { name?: string; nameGap?: number }[];
  yAxis: { type?: string; min?: unknown; max?: unknown; interval?: number; data?: string[] }[];
  grid: { bottom?: unknown }[];
  series: { name: string; step?: string; data: [number, number][] }[];
}

describe('npm start: the Machine and Faults pages, per browser tab', () => {
  let started: Demo;
  let ports: Record<string, number>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  const cloud = (path: string) => `http://127.0.0.1:${ports.CLOUD}${path}`;
  /** A page of its own browser context: another person's browser. */
  const newTab = async (width = 1400) => {
    const context = await browser.newContext({ viewport: { width, height: 1000 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.addInitScript(() => Object.assign(window, { Cypress: true }));
    return page;
  };
  const open = async (page: Page, path: string) => {
    await page.goto(cloud(`/dashboard/${path}`));
    await page.waitForSelector('.nrdb-ui-group', { timeout: 30_000 });
  };
  const widget = (page: Page, id: string) => page.locator(`#nrdb-ui-widget-${id}`);
  /** A Dashboard 2.0 chart's ECharts option (window.Cypress makes the dashboard expose its charts). */
  const chartOption = (page: Page, id: string) =>
    page.evaluate((chart) => {
      const charts = (
        window as unknown as {
          uiCharts?: Record<string, { chart: { getOption(): unknown } }>;
        }
      ).uiCharts;
      return (charts?.[chart]?.chart.getOption() ?? null) as unknown;
    }, id) as Promise<ChartOption | null>;
  const chartPoints = async (page: Page, id: string) =>
    (await chartOption(page, id))?.series.reduce((sum, s) => sum + s.data.length, 0) ?? 0;
  /** Picks `label` in a ui-dropdown. */
  const choose = async (page: Page, id: string, label: string) => {
    await widget(page, id).locator('.v-field').click();
    await page.locator('.v-overlay .v-list-item', { hasText: label }).first().click();
  };
  /** Goes to another page of the dashboard as its menu does: in the same tab, without a reload. */
  const navigate = (page: Page, path: string) =>
    page.evaluate(async (to) => {
      const app = (
        document.querySelector('#app') as unknown as {
          __vue_app__: { config: { globalProperties: { $router: { push(to: string): Promise<void> } } } };
        }
      ).__vue_app__;
      await app.config.globalProperties.$router.push(`/dashboard/${to}`);
    }, path);
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    started = await startDemo('plantwire-dashboard-');
    ({ ports } = started);
    mkdirSync(screenshots, { recursive: true });
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await started?.stop();
  });

  // Charts fill one averaged bucket at a time (30 s for the hour) on a demo a few minutes old, on a machine busy
  // with the rest of the suite: the waits are long, the checks are not weaker.
  it("keeps each browser tab's machine and window its own: another's choice moves neither its dropdowns nor its charts", async () => {
    const a = await newTab();
    const b = await newTab();
    await open(a, 'machine');
    await open(b, 'machine');
    for (const page of [a, b]) {
      await expect
        .poll(() => widget(page, 'dash-pick-machine').innerText(), { timeout: 20_000 })
        .toContain('line-01 / cnc-01');
      await waitFor(
        'history',
        async () => ((await chartPoints(page, 'dash-chart-power')) > 1 ? true : undefined),
        120_000,
      );
    }
    // A CNC mill has no pressure; a press has.
    expect(await chartPoints(a, 'dash-chart-pressure')).toBe(0);
    await choose(b, 'dash-pick-machine', 'line-02 / press-02');
    await choose(b, 'dash-pick-window', '15 minutes');
    await waitFor(
      "the press's pressure in B",
      async () => ((await chartPoints(b, 'dash-chart-pressure')) > 0 ? true : undefined),
      90_000,
    );
    // Live points of the press reach B (averaged into its 10 s buckets), never A.
    const pressure = await chartPoints(b, 'dash-chart-pressure');
    await waitFor(
      'a live point in B',
      async () => ((await chartPoints(b, 'dash-chart-pressure')) > pressure ? true : undefined),
      60_000,
    );
    expect(await widget(a, 'dash-pick-machine').innerText()).toContain('line-01 / cnc-01');
    expect(await widget(a, 'dash-pick-window').innerText()).toContain('1 hour');
    expect(await chartPoints(a, 'dash-chart-pressure')).toBe(0);
    // A's own machine still comes live.
    const powerA = await chartPoints(a, 'dash-chart-power');
    await waitFor(
      'a live point in A (a 30 s bucket)',
      async () => ((await chartPoints(a, 'dash-chart-power')) > powerA ? true : undefined),
      120_000,
    );
    expect(await chartPoints(a, 'dash-chart-pressure')).toBe(0);

    // A reload of A shows the defaults, not B's choice; B keeps its choice across a visit to another page.
    await a.reload();
    await a.waitForSelector('.nrdb-ui-group', { timeout: 30_000 });
    await expect
      .poll(() => widget(a, 'dash-pick-machine').innerText(), { timeout: 20_000 })
      .toContain('line-01 / cnc-01');
    await navigate(b, 'overview');
    await b.locator('#nrdb-ui-widget-dash-kpi-table').waitFor({ timeout: 20_000 });
    await navigate(b, 'machine');
    await expect
      .poll(() => widget(b, 'dash-pick-machine').innerText(), { timeout: 20_000 })
      .toContain('line-02 / press-02');
    await expect.poll(() => widget(b, 'dash-pick-window').innerText(), { timeout: 20_000 }).toContain('15');
    await waitFor(
      "the press's pressure in B again",
      async () => ((await chartPoints(b, 'dash-chart-pressure')) > 0 ? true : undefined),
      90_000,
    );
    await waitFor(
      "A's history after the reload",
      async () => ((await chartPoints(a, 'dash-chart-power')) > 1 ? true : undefined),
      90_000,
    );
    expect(await chartPoints(a, 'dash-chart-pressure')).toBe(0);
    await shot(b, 'machine-own-choice');
  }, 600_000);

  it('draws states as steps on an axis of their names, remaining life in minutes to a fixed top, times in UTC', async () => {
    const page = await newTab(1024);
    await open(page, 'machine');
    await waitFor(
      'the state history',
      async () => ((await chartPoints(page, 'dash-chart-state')) > 2 ? true : undefined),
      120_000,
    );
    const state = (await chartOption(page, 'dash-chart-state'))!;
    expect(state.series[0]!.step).toBe('end');
    expect(state.yAxis[0]!.type).toBe('category');
    expect(state.yAxis[0]!.data).toEqual(['RUNNING', 'IDLE', 'SETUP', 'ERROR', 'MAINTENANCE']);
    for (const [, y] of state.series[0]!.data) expect(state.yAxis[0]!.data).toContain(y);

    await waitFor(
      'the remaining life',
      async () => ((await chartPoints(page, 'dash-chart-rul')) > 1 ? true : undefined),
      120_000,
    );
    const rul = (await chartOption(page, 'dash-chart-rul'))!;
    expect(rul.yAxis[0]).toMatchObject({ min: 0, max: 120, interval: 30 });
    expect(rul.title[0]!.text).toMatch(/min; 120: no drift/);
    for (const [, y] of rul.series[0]!.data) expect(y).toBeLessThanOrEqual(120);

    // One zone on every page: the tables' UTC, named under each time axis, clear of its tick labels.
    for (const id of ['dash-chart-temperature', 'dash-chart-state', 'dash-chart-rul']) {
      const option = (await chartOption(page, id))!;
      expect(option.useUTC, id).toBe(true);
      expect(option.xAxis[0]!.name, id).toBe('time (UTC)');
      expect(option.xAxis[0]!.nameGap, id).toBeGreaterThanOrEqual(20);
    }
    await shot(page, 'machine-charts-1024');
  }, 300_000);

  it('confirms each fault click in the tab that clicked and shows the running faults until clear ends them', async () => {
    const page = await newTab();
    const other = await newTab();
    await open(page, 'faults');
    await open(other, 'faults');
    const target = 'line-03/pump-03';
    const running = (on: Page) =>
      on.locator(`[data-running="energy_spike"][data-machine="${target}"]`).count();
    await page.locator(`[data-fault="energy_spike"][data-machine="${target}"]`).waitFor({ timeout: 20_000 });
    // A click that lands while the page's connection is still being set up is lost: the user sees no
    // confirmation and clicks again.
    for (let attempt = 1; ; attempt++) {
      await page.locator(`[data-fault="energy_spike"][data-machine="${target}"]`).click();
      try {
        await expect
          .poll(() => page.locator('body').innerText(), { timeout: 5000 })
          .toContain('Sent: start energy spike on line-03 / pump-03');
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
    // Every viewer sees it run (from the fault events the edge sends); only the one who clicked got the notice.
    for (const on of [page, other]) await expect.poll(() => running(on), { timeout: 40_000 }).toBe(1);
    expect(await running(page)).toBe(1);
    expect(await page.locator(`[data-running][data-machine="${target}"]`).innerText()).toMatch(
      /running since \d\d:\d\d:\d\d UTC/,
    );
    expect(await other.locator('body').innerText()).not.toContain('Sent: start energy spike');
    await shot(page, 'faults-running');
    await page.locator(`[data-fault="clear"][data-machine="${target}"]`).click();
    await expect
      .poll(() => page.locator('body').innerText(), { timeout: 5000 })
      .toContain('Sent: clear every fault of line-03 / pump-03');
    await expect.poll(() => running(page), { timeout: 40_000 }).toBe(0);
  }, 120_000);
});

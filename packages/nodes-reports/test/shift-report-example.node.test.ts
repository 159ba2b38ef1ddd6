// The first example in the Node-RED runtime. Its schedule: its inject ticks every 5 minutes of the server's clock
// and its switch passes the ticks at the ends of machine-sim's shifts in UTC, whatever the server's time zone.
// The whole flow, with a real QuestDB and a real SMTP server: GET /report and the mailed and saved report.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  collect,
  coreNode,
  freePort,
  nodeRedTestHelper,
  startQuestDb,
  telemetryPoint,
  until,
  type QuestDb,
} from '@plantwire/testkit';
import { startSmtpSink, type SmtpSink } from './fixtures/smtp.js';
import { TelemetryWriter } from '@plantwire/node-red-questdb';

const require = createRequire(import.meta.url);
const helper = nodeRedTestHelper();
const example = JSON.parse(
  readFileSync(new URL('../examples/01 - Scheduled shift report.json', import.meta.url), 'utf8'),
) as { id: string; type: string; crontab?: string; wires?: string[][]; [key: string]: any }[];

describe('example "01 - Scheduled shift report": the schedule', () => {
  beforeAll(() => helper.startServer());
  afterEach(async () => {
    vi.useRealTimers();
    await helper.unload();
  });
  afterAll(() => helper.stopServer());

  it('ticks every 5 minutes into a switch on the UTC time', () => {
    const tick = example.find((node) => node.id === 'pr-tick')!;
    expect(tick.crontab).toBe('*/5 * * * *');
    expect(tick.wires).toEqual([['pr-shift-end']]);
    expect(example.find((node) => node.id === 'pr-shift-end')!.wires).toEqual([['pr-report']]);
    // No other scheduled inject: each of them would run in the server's local time.
    const scheduled = example.filter((node) => node.type === 'inject' && node.crontab);
    expect(scheduled.map((node) => node.id)).toEqual(['pr-tick']);
  });

  it('passes 06:05, 14:05 and 22:05 UTC, and no other tick', async () => {
    const shiftEnd = example.find((node) => node.id === 'pr-shift-end')!;
    await helper.load(coreNode('function/10-switch'), [
      { ...shiftEnd, wires: [['report']] },
      { id: 'report', type: 'helper', z: 'pr-tab' },
    ]);
    const passed = collect(helper, 'report');
    const node = helper.getNode('pr-shift-end')!;
    // Only Date is faked: Node-RED's own timers run as usual. The switch evaluates its JSONata asynchronously, so
    // each tick is given time to pass before the clock moves on.
    vi.useFakeTimers({ toFake: ['Date'] });
    const ticks = ['05:55', '06:00', '06:05', '06:10', '14:05', '21:05', '22:05', '23:05'];
    for (const time of ticks) {
      vi.setSystemTime(new Date(`2026-01-05T${time}:00.004Z`));
      node.receive({ payload: time });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    vi.useRealTimers();
    await until('the shift ends', () => passed.length === 3, 5_000);
    expect(passed.map((msg) => msg.payload)).toEqual(['06:05', '14:05', '22:05']);
  });
});

describe('example "01 - Scheduled shift report": the whole flow, with QuestDB and an SMTP server', () => {
  let questdb: QuestDb;
  let smtp: SmtpSink;
  let workDir: string;
  // The test helper gives the http in node an express app no server listens on: this one serves it.
  let web: http.Server | undefined;
  let httpNode: http.RequestListener | undefined;
  const captureHttpNode = (RED: { httpNode: http.RequestListener }) => {
    httpNode = RED.httpNode;
  };

  // node-red-node-test-helper loads the catch node's module once for every catch node in the flow, and the
  // second registration throws "catch already registered": this example has two (the report's, GET /report's).
  const autoloaded = (helper as unknown as { _nodeModules: Record<string, (red: object) => unknown> })
    ._nodeModules;
  const originalCatch = autoloaded.catch!;

  beforeAll(async () => {
    const registered = new WeakSet<object>();
    autoloaded.catch = (red) => {
      if (registered.has(red)) return undefined;
      registered.add(red);
      return originalCatch(red);
    };
    smtp = await startSmtpSink();
    questdb = await startQuestDb();
    // Two machines, a sample every 10 minutes over the last 16 hours: the last shift (8 h, ended up to 8 h
    // ago) is covered whenever the test runs.
    const now = Date.now();
    const points = Array.from({ length: 96 }, (_, i) =>
      ['cnc-01', 'press-01'].flatMap((machine) => [
        telemetryPoint(now - i * 600_000, { line: 'line-01', machine, metric: 'state', value: 1 }),
        telemetryPoint(now - i * 600_000, { line: 'line-01', machine, metric: 'temperature', value: 60 }),
      ]),
    ).flat();
    const writer = new TelemetryWriter({ url: questdb.httpUrl });
    await writer.write(points);
    await writer.close();
    await questdb.waitForWal('plantwire_telemetry');
    await helper.startServer();
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((resolve) => (web ? web.close(resolve) : resolve(undefined)));
    web = undefined;
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    autoloaded.catch = originalCatch;
    await helper.stopServer();
    await questdb?.stop();
    await smtp?.stop();
  });

  /** The example as a user imports it; only QuestDB's and the mail server's addresses point here. */
  async function load(questDbUrl = questdb.httpUrl): Promise<string> {
    workDir = mkdtempSync(join(tmpdir(), 'plantwire-shift-report-'));
    helper.settings({ ...helper.settings(), fileWorkingDirectory: workDir });
    const flow = example.map((node) => {
      if (node.id === 'pr-db') return { ...node, url: questDbUrl };
      if (node.type === 'e-mail') return { ...node, port: String(smtp.port) };
      return node;
    });
    await helper.load(
      [
        captureHttpNode,
        require('@plantwire/node-red-questdb/dist/nodes/questdb-config/questdb-config.js'),
        require('../dist/nodes/plant-report/plant-report.js'),
        require('node-red-node-email/61-email.js'),
        ...[
          'common/20-inject',
          'common/21-debug',
          'function/10-switch',
          'function/15-change',
          'network/21-httpin',
          'storage/10-file',
        ].map(coreNode),
      ],
      flow,
    );
    web = http.createServer(httpNode);
    await new Promise<void>((resolve) => web!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  }

  it('GET /report answers the last shift as JSON', async () => {
    const url = await load();
    const response = await fetch(`${url}/report`, { signal: AbortSignal.timeout(30_000) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const report = (await response.json()) as { sections: { id: string; rows: unknown[] }[] };
    expect(report.sections.length).toBeGreaterThan(0);
  });

  it('GET /report?format=csv answers it as CSV', async () => {
    const url = await load();
    const response = await fetch(`${url}/report?format=csv`, { signal: AbortSignal.timeout(30_000) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(/^inline; filename="plant-report_.*\.csv"$/);
    expect(await response.text()).toContain('cnc-01');
  });

  it('GET /report answers 503 with the reason when QuestDB is unreachable, instead of leaving the browser waiting', async () => {
    const url = await load(`http://127.0.0.1:${await freePort()}`);
    const response = await fetch(`${url}/report`, { signal: AbortSignal.timeout(30_000) });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: expect.stringMatching(/plant-report: the report failed: QuestDB unavailable/),
    });
  });

  it('"last shift now" saves the PDF in reports/ of the file working directory and mails it', async () => {
    await load();
    helper.getNode('pr-now')!.receive({});
    await until('the mail', () => smtp.mails().length > 0, 30_000);
    const mail = smtp.mails()[0]!;
    expect(mail.envelopeTo).toEqual(['shift-lead@example.com']);
    // A sender: with no login the email node has no user to send as, and a mail without From is refused or
    // filed as spam by most relays.
    expect(mail.from).toBe('plantwire@example.com');
    const pdf = mail.attachments[0]!.filename!;
    expect(pdf).toMatch(/^plant-report_acme_plant-1_.*\.pdf$/);
    // Relative to Node-RED's fileWorkingDirectory (or the folder it was started from), not its user directory.
    await until('the file', () => existsSync(join(workDir, 'reports', pdf)), 10_000);
  });
});

// plant-report inside Node-RED with the questdb-config node of @plantwire/node-red-questdb: a report from a real
// QuestDB (one small hand-made machine), every failure path ending in an error a Catch node sees, and a report
// mailed by the stock email node (as the shift report example does) to a real SMTP server.
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
const configNode = require('@plantwire/node-red-questdb/dist/nodes/questdb-config/questdb-config.js');
const reportNode = require('../dist/nodes/plant-report/plant-report.js');
const emailNode = require('node-red-node-email/61-email.js');
const catchNode = coreNode('common/25-catch');
const helper = nodeRedTestHelper();

const FROM = Date.UTC(2026, 0, 5, 6);
const minute = (i: number) => FROM + i * 60_000;

function flow(url: string, report: Record<string, unknown> = {}, extra: Record<string, unknown>[] = []) {
  return [
    { id: 'db', type: 'questdb-config', url, requestTimeoutS: '2' },
    {
      id: 'report',
      type: 'plant-report',
      server: 'db',
      tenant: 'acme',
      plant: 'plant-1',
      format: 'json',
      wires: [['out', ...extra.map((n) => n.id)]],
      ...report,
    },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: ['report'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
    ...extra,
  ];
}

describe('plant-report inside Node-RED', () => {
  let questdb: QuestDb;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    questdb = await startQuestDb();
    // cnc-01, one sample a minute for an hour: RUNNING 45 min, IDLE 10, MAINTENANCE 5; 80 good parts, 4 scrap.
    const points = Array.from({ length: 60 }, (_, i) => [
      telemetryPoint(minute(i), {
        line: 'line-01',
        machine: 'cnc-01',
        metric: 'state',
        value: i < 45 ? 1 : i < 55 ? 2 : 5,
      }),
      telemetryPoint(minute(i), {
        line: 'line-01',
        machine: 'cnc-01',
        metric: 'units_good',
        value: Math.round((i * 80) / 59),
      }),
      telemetryPoint(minute(i), {
        line: 'line-01',
        machine: 'cnc-01',
        metric: 'scrap_quality',
        value: i < 30 ? 0 : 4,
      }),
      telemetryPoint(minute(i), { line: 'line-01', machine: 'cnc-01', metric: 'energy', value: i * 0.25 }),
    ]).flat();
    const writer = new TelemetryWriter({ url: questdb.httpUrl });
    await writer.write(points);
    await writer.close();
    await questdb.waitForWal('plantwire_telemetry');
    await helper.startServer();
  });
  afterEach(() => helper.unload());
  afterAll(async () => {
    await helper.stopServer();
    await questdb?.stop();
    await smtp?.stop();
  });

  it('builds the report for msg.period: a Buffer with file name and MIME type', async () => {
    await helper.load([configNode, reportNode, catchNode], flow(questdb.httpUrl));
    const out = collect(helper, 'out');
    helper.getNode('report')!.receive({ period: { from: new Date(FROM).toISOString(), to: minute(60) } });
    await until('the report', () => out.length === 1, 20_000);
    const msg = out[0];
    expect(Buffer.isBuffer(msg.payload)).toBe(true);
    expect(msg.filename).toBe('plant-report_acme_plant-1_2026-01-05T0600Z.json');
    expect(msg.contentType).toBe('application/json');
    expect(msg.headers).toBeUndefined();
    const report = JSON.parse(msg.payload.toString());
    // Hand-computed: A = 45 / (60 - 5) = 81.8 %; run time 45/60 x 59 min = 44.25 min; ideal 2/min -> 88.5 parts;
    // made 80 + 4 = 84 -> P = 94.9 %; Q = 80/84 = 95.2 %; OEE = 0.8182 x 0.9492 x 0.9524 = 74.0 %.
    expect(report.sections.find((s: any) => s.id === 'oee_machines').rows).toEqual([
      {
        line: 'line-01',
        machine: 'cnc-01',
        availability: 81.8,
        performance: 94.9,
        quality: 95.2,
        oee: 74,
        good: 80,
        scrap: 4,
        run_min: 44.3,
      },
    ]);
    expect(report.sections.find((s: any) => s.id === 'energy').rows[0]).toMatchObject({ kwh: 14.8 });
    expect(msg.topic).toBe('Shift report: plant-1, 2026-01-05 06:00 to 2026-01-05 07:00 UTC');
    expect(msg.description).toContain('OEE % (mean of machines): 74');
    expect(msg.report).toEqual(report);
  });

  it('takes ideal rates a script wrote as an object, not as JSON text', async () => {
    await helper.load([configNode, reportNode, catchNode], flow(questdb.httpUrl, { idealRates: { cnc: 4 } }));
    const out = collect(helper, 'out');
    helper.getNode('report')!.receive({ period: { from: FROM, to: minute(60) } });
    await until('the report', () => out.length === 1, 20_000);
    // Twice the default ideal rate (2/min): 177 parts in 44.25 min of run time, of which 84 were made.
    expect(out[0].report.sections.find((s: any) => s.id === 'oee_machines').rows[0]).toMatchObject({
      performance: 47.5,
    });
  });

  it('mails a PDF report through the stock email node', async () => {
    const email = {
      id: 'mail',
      type: 'e-mail',
      server: '127.0.0.1',
      port: String(smtp.port),
      secure: false,
      tls: false,
      authtype: 'NONE',
      name: 'shift-lead@example.com',
    };
    await helper.load(
      [configNode, reportNode, catchNode, emailNode],
      flow(questdb.httpUrl, { format: 'pdf' }, [email]),
      {
        mail: { userid: 'plantwire@example.com' },
      },
    );
    helper.getNode('report')!.receive({ period: { from: FROM, to: minute(60) } });
    await until('the mail', () => smtp.mails().length > 0, 20_000);
    const mail = smtp.mails()[0]!;
    expect(mail.subject).toBe('Shift report: plant-1, 2026-01-05 06:00 to 2026-01-05 07:00 UTC');
    expect(mail.text).toContain('OEE % (mean of machines): 74');
    expect(mail.attachments).toEqual([
      expect.objectContaining({
        filename: 'plant-report_acme_plant-1_2026-01-05T0600Z.pdf',
        contentType: 'application/pdf',
      }),
    ]);
  });

  it('all formats: one query, one message per file', async () => {
    await helper.load([configNode, reportNode, catchNode], flow(questdb.httpUrl, { format: 'all' }));
    const out = collect(helper, 'out');
    helper.getNode('report')!.receive({ period: { from: FROM, to: minute(60) } });
    await until('four files', () => out.length === 4, 20_000);
    expect(out.map((m) => [m.filename.split('.').pop(), m.contentType, m.payload.length > 0])).toEqual([
      ['pdf', 'application/pdf', true],
      ['xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', true],
      ['csv', 'text/csv; charset=utf-8', true],
      ['json', 'application/json', true],
    ]);
    expect(new Set(out.map((m) => m._msgid)).size).toBe(1);
  });

  it('bad msg.period or msg.format: an error for Catch, nothing sent', async () => {
    await helper.load([configNode, reportNode, catchNode], flow(questdb.httpUrl));
    const out = collect(helper, 'out');
    const caught = collect(helper, 'caught');
    const node = helper.getNode('report')!;
    node.receive({ period: 'month' });
    node.receive({ period: { from: 'yesterday', to: 1 } });
    node.receive({ period: { from: minute(10), to: minute(5) } });
    node.receive({ format: 'docx' });
    await until('four errors', () => caught.length === 4);
    expect(caught.map((m) => m.error.message)).toEqual([
      expect.stringMatching(/plant-report: msg\.period must be one of shift, day, week, given/),
      expect.stringMatching(/msg\.period\.from must be epoch ms or an ISO date \(got "yesterday"\)/),
      expect.stringMatching(/msg\.period\.to must be after msg\.period\.from/),
      expect.stringMatching(/msg\.format must be one of pdf, xlsx, csv, json/),
    ]);
    expect(out).toEqual([]);
  });

  it('QuestDB unreachable or the table missing: the report fails with the reason', async () => {
    const port = await freePort();
    await helper.load([configNode, reportNode, catchNode], flow(`http://127.0.0.1:${port}`));
    const caught = collect(helper, 'caught');
    helper.getNode('report')!.receive({ period: 'day' });
    await until('the error', () => caught.length === 1, 20_000);
    expect(caught[0].error.message).toMatch(/plant-report: the report failed: QuestDB unavailable/);
    await helper.unload();
    await helper.load([configNode, reportNode, catchNode], flow(questdb.httpUrl, { table: 'no_such_table' }));
    const caught2 = collect(helper, 'caught');
    helper.getNode('report')!.receive({ period: 'week' });
    await until('the error', () => caught2.length === 1, 20_000);
    expect(caught2[0].error.message).toMatch(/plant-report: the report failed: .*table does not exist/);
  });

  it('refuses a missing tenant, a bad ideal rate and a missing server at deploy', async () => {
    for (const [config, reason] of [
      [{ tenant: 'acme corp' }, /give the tenant the report is for/],
      [{ idealRates: '{"cnc": 0}' }, /ideal rate of "cnc" must be a positive number/],
      [{ server: '' }, /choose a QuestDB server/],
    ] as const) {
      await helper.load([configNode, reportNode, catchNode], flow(questdb.httpUrl, config));
      const caught = collect(helper, 'caught');
      helper.getNode('report')!.receive({});
      await until('the error', () => caught.length === 1);
      expect(helper.logged(20).join('\n')).toMatch(reason);
      await helper.unload();
    }
  });
});

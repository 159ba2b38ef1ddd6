// alarm-notify inside Node-RED, between the real threshold-alarm and the stock nodes it is made for: the email
// node (node-red-node-email) sending to a real SMTP server in its own process, and the http request node
// calling a local SMS webhook shaped like Twilio's.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { collect, coreNode, nodeRedTestHelper, sleep, telemetryPoint, until } from '@plantwire/testkit';
import { startSmsWebhook, type SmsWebhook } from './fixtures/sms.js';
import { startSmtpSink, type SmtpSink } from './fixtures/smtp.js';

const require = createRequire(import.meta.url);
const alarmNotify = require('../dist/nodes/alarm-notify/alarm-notify.js');
const thresholdAlarm = require('@plantwire/node-red-rules/dist/nodes/threshold-alarm/threshold-alarm.js');
const emailNode = require('node-red-node-email/61-email.js');
const httpRequest = coreNode('network/21-httprequest');
const catchNode = coreNode('common/25-catch');
const helper = nodeRedTestHelper();

let smtp: SmtpSink;
let sms: SmsWebhook;
let userDir: string;

const ROUTES = [
  { minPriority: 'high', email: ['lead@example.com'], sms: ['+15550100'] },
  { minPriority: 'low', email: ['maintenance@example.com'] },
  { escalation: true, email: ['manager@example.com'], sms: ['+15550199'] },
];
const SMS_PATH = '/2010-04-01/Accounts/AC0123/Messages.json';
const RULES = [
  {
    name: 'temp-high',
    match: 'temperature',
    mode: 'above',
    warning: 80,
    critical: 90,
    priority: { warning: 'medium', critical: 'critical' },
  },
];

function flow(notify: Record<string, unknown> = {}) {
  return [
    {
      id: 'alarm',
      type: 'threshold-alarm',
      key: 'tenant/plant/line/machine/metric',
      rules: JSON.stringify(RULES),
      chatterCount: '0',
      wires: [['notify'], []],
    },
    {
      id: 'notify',
      type: 'alarm-notify',
      routes: JSON.stringify(ROUTES),
      digestMin: '0.05',
      escalateMin: '0.05',
      cooldownMin: '10',
      smsUrl: `http://127.0.0.1:${sms.port}${SMS_PATH}`,
      smsFrom: '+15550123',
      tenant: 'acme',
      plant: 'plant-1',
      wires: [['email', 'emails'], ['sms']],
      ...notify,
    },
    {
      id: 'email',
      type: 'e-mail',
      server: '127.0.0.1',
      port: String(smtp.port),
      secure: false,
      tls: false,
      authtype: 'NONE',
      name: '',
    },
    {
      id: 'sms',
      type: 'http request',
      method: 'use',
      ret: 'txt',
      url: '',
      authType: 'basic',
      wires: [['smsAnswers']],
    },
    { id: 'emails', type: 'helper' },
    { id: 'smsAnswers', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: ['notify'], uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

async function load(notify: Record<string, unknown> = {}) {
  await helper.load([thresholdAlarm, alarmNotify, emailNode, httpRequest, catchNode], flow(notify), {
    email: { userid: 'plantwire@example.com' },
    sms: { user: 'AC0123', password: 'twilio-secret' },
  });
  return {
    alarm: helper.getNode('alarm')!,
    notify: helper.getNode('notify')!,
    emails: collect(helper, 'emails'),
    caught: collect(helper, 'caught'),
  };
}

const temperature = (machine: string, value: number, line = 'line-01') =>
  telemetryPoint(Date.now(), { machine, line, value });
const mailsFor = (machine: string) =>
  smtp.mails().filter((m) => m.subject.includes(machine) || m.text.includes(machine));

describe('alarm-notify inside Node-RED, with a real SMTP server and an SMS webhook', () => {
  beforeAll(async () => {
    smtp = await startSmtpSink();
    sms = await startSmsWebhook();
    await helper.startServer();
  });
  afterAll(async () => {
    await helper.stopServer();
    await sms.stop();
    await smtp.stop();
  });
  beforeEach(() => {
    userDir = mkdtempSync(join(tmpdir(), 'plantwire-notify-'));
    helper.settings({ userDir });
  });
  afterEach(async () => {
    await helper.unload();
    rmSync(userDir, { recursive: true, force: true });
  });

  it('a critical alarm is mailed and texted at once; unacknowledged, it escalates', async () => {
    const { alarm } = await load();
    const sent = Date.now();
    alarm.receive({ payload: [temperature('cnc-11', 95)] });
    await until(
      'the critical mail',
      () => mailsFor('cnc-11').some((m) => m.subject.startsWith('[CRITICAL]')),
      10_000,
    );
    const critical = mailsFor('cnc-11').find((m) => m.subject.startsWith('[CRITICAL]'))!;
    expect(critical.envelopeTo.sort()).toEqual(['lead@example.com', 'maintenance@example.com']);
    expect(critical.from).toContain('plantwire@example.com');
    expect(critical.subject).toContain('plant-1/line-01/cnc-11');
    expect(critical.text).toContain('Alarm: acme/plant-1/line-01/cnc-11/temperature:temp-high:critical');
    expect(critical.receivedAt - sent).toBeLessThan(2_500); // well before the digest (3 s) is due
    await until('the SMS request', () => sms.requests.some((r) => r.form.Body?.includes('cnc-11')), 10_000);
    const text = sms.requests.find((r) => r.form.Body!.includes('cnc-11'))!;
    expect(text).toMatchObject({
      method: 'POST',
      url: SMS_PATH,
      authorization: `Basic ${Buffer.from('AC0123:twilio-secret').toString('base64')}`,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(text.form).toMatchObject({ To: '+15550100', From: '+15550123' });
    expect(text.form.Body).toMatch(/^CRITICAL plant-1\/line-01\/cnc-11: /);

    // Nobody acknowledges it: 3 s later the escalation reaches the manager too, by mail and SMS.
    await until(
      'the escalation',
      () => mailsFor('cnc-11').some((m) => m.subject.startsWith('[ESCALATION]')),
      15_000,
    );
    const escalation = mailsFor('cnc-11').find((m) => m.subject.startsWith('[ESCALATION]'))!;
    expect(escalation.envelopeTo).toContain('manager@example.com');
    expect(escalation.text).toContain('Nobody has acknowledged this alarm within 0.05 minutes');
    await until('the escalation SMS', () => sms.requests.some((r) => r.form.To === '+15550199'), 10_000);
    // The warning level of the same reading went into the digest, to maintenance only (lead hears high and up).
    await until(
      'the digest',
      () => mailsFor('cnc-11').some((m) => m.subject.startsWith('[Plantwire] Digest')),
      15_000,
    );
    const digest = mailsFor('cnc-11').find((m) => m.subject.startsWith('[Plantwire] Digest'))!;
    expect(digest.envelopeTo).toEqual(['maintenance@example.com']);
  });

  it('a redeploy keeps what is pending: the escalation and the digest still go out', async () => {
    let run = await load({ digestMin: '60' });
    run.alarm.receive({ payload: [temperature('cnc-15', 95)] });
    await until(
      'the critical mail',
      () => mailsFor('cnc-15').some((m) => m.subject.startsWith('[CRITICAL]')),
      10_000,
    );
    await helper.unload(); // the warning waits for the digest, the critical for its escalation (3 s)
    expect(existsSync(join(userDir, 'plantwire-notify', 'notify.json'))).toBe(true);

    run = await load({ digestMin: '60' });
    await until(
      'the escalation after the redeploy',
      () => mailsFor('cnc-15').some((m) => m.subject.startsWith('[ESCALATION]')),
      15_000,
    );
    run.notify.receive({ control: 'digest' });
    await until(
      'the digest kept across the redeploy',
      () => mailsFor('cnc-15').some((m) => m.subject.startsWith('[Plantwire] Digest')),
      10_000,
    );
    expect(mailsFor('cnc-15').filter((m) => m.subject.startsWith('[CRITICAL]'))).toHaveLength(1);
  });

  it('an acknowledged critical alarm does not escalate', async () => {
    const { alarm } = await load();
    alarm.receive({ payload: [temperature('cnc-12', 95)] });
    await until(
      'the critical mail',
      () => mailsFor('cnc-12').some((m) => m.subject.startsWith('[CRITICAL]')),
      10_000,
    );
    alarm.receive({
      control: { command: 'ack', alarm: 'acme/plant-1/line-01/cnc-12/temperature:temp-high:critical' },
    });
    await sleep(5_000);
    expect(mailsFor('cnc-12').filter((m) => m.subject.startsWith('[ESCALATION]'))).toEqual([]);
  });

  it('a burst of 200 warnings becomes one digest', async () => {
    const { alarm, emails } = await load();
    const start = Date.now();
    const points = Array.from({ length: 200 }, (_, i) =>
      temperature(`press-${String(i).padStart(3, '0')}`, 85, 'line-02'),
    );
    alarm.receive({ payload: points });
    await until('the digest', () => smtp.mails().some((m) => m.text.includes('press-000')), 15_000);
    await sleep(4_000); // a second digest period: nothing more may come
    const burst = smtp.mails().filter((m) => /press-\d{3}/.test(m.text));
    // maintenance hears of all 200 in one mail. The flood summary threshold-alarm adds is high: sent at once (to
    // the shift lead, who hears high and up, and to maintenance), not in the digest.
    expect(burst).toHaveLength(1);
    expect(burst[0]!.subject).toMatch(/^\[Plantwire\] Digest: 200 events \(200 medium\) since /);
    expect(burst[0]!.envelopeTo).toEqual(['maintenance@example.com']);
    const lead = smtp
      .mails()
      .filter((m) => m.receivedAt >= start && m.envelopeTo.includes('lead@example.com'))
      .map((m) => m.text);
    // Still flooding after the escalation time (3 s here): escalated, as an unanswered high alarm is.
    expect(lead).toEqual([
      expect.stringContaining('alarm flood: 10 alarms within 600 s'),
      expect.stringMatching(
        /^Nobody has acknowledged this alarm[^]*Alarm: flood\nWhere: acme \/ plant-1 \/ line-02/,
      ),
    ]);
    expect(burst[0]!.text).toContain('... and 100 more');
    expect(emails.map((m) => m.notification.kind).sort()).toEqual(['alarm', 'digest', 'escalation']);
  });

  it('a shelved alarm sends nothing', async () => {
    const { alarm } = await load();
    alarm.receive({ payload: [temperature('cnc-13', 60)] }); // the series (and its alarms) exist
    await sleep(200);
    for (const level of ['warning', 'critical'])
      alarm.receive({
        control: {
          command: 'shelve',
          alarm: `acme/plant-1/line-01/cnc-13/temperature:temp-high:${level}`,
          minutes: 30,
        },
      });
    await sleep(200);
    alarm.receive({ payload: [temperature('cnc-13', 99)] });
    await sleep(5_000); // past a digest period and an escalation time
    expect(mailsFor('cnc-13')).toEqual([]);
    expect(sms.requests.filter((r) => r.form.Body?.includes('cnc-13'))).toEqual([]);
  });

  it('refuses what is not an alarm event, naming it, and takes the rest', async () => {
    const { notify, caught } = await load();
    notify.receive({
      payload: [
        {
          id: 'cnc-14/temperature:temp-high:critical',
          key: 'cnc-14/temperature',
          rule: 'temp-high',
          level: 'critical',
          state: 'active-unack',
          previous: 'normal',
          priority: 'critical',
          value: 95,
          limit: 90,
          ts: Date.now(),
          message: 'cnc-14 hot',
        },
        { hello: 'world' },
      ],
    });
    await until('the error', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(
      /alarm-notify: 1 of 2 events refused \(the rest were taken\); event 1: not a plant event/,
    );
    await until('the critical mail', () => mailsFor('cnc-14').length > 0, 10_000);
  });

  it('takes routes a script wrote as an array, not as JSON text', async () => {
    const { alarm } = await load({ routes: ROUTES });
    alarm.receive({ payload: [temperature('cnc-16', 95)] });
    await until(
      'the critical mail',
      () => mailsFor('cnc-16').some((m) => m.subject.startsWith('[CRITICAL]')),
      10_000,
    );
    const critical = mailsFor('cnc-16').find((m) => m.subject.startsWith('[CRITICAL]'))!;
    expect(critical.envelopeTo.sort()).toEqual(['lead@example.com', 'maintenance@example.com']);
  });

  it('refuses bad settings at deploy, naming the setting, and answers each message with an error', async () => {
    const { notify, caught } = await load({ routes: '[{"email": ["not an address"]}]' });
    notify.receive({ payload: [] });
    await until('the error', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/alarm-notify/);
    expect(helper.logged(20).join('\n')).toMatch(
      /alarm-notify: routes\[0\]\.email: "not an address" is not an email address/,
    );
  });

  it('refuses SMS routes without a webhook URL', async () => {
    await load({ smsUrl: '' });
    expect(helper.logged(20).join('\n')).toMatch(/routes name SMS numbers: give the SMS webhook URL/);
  });

  it('a default threshold-alarm wired to a default alarm-notify mails a critical breach at once: events name their tenant and plant', async () => {
    // Both nodes as the editor makes them (its example rule, without its 10 s on-delay), only the mail server set.
    const rules = [
      { name: 'temp-high', match: 'temperature', mode: 'above', warning: 80, critical: 90, deadband: 2 },
    ];
    await helper.load(
      [thresholdAlarm, alarmNotify, emailNode, catchNode],
      [
        { id: 'alarm', type: 'threshold-alarm', rules: JSON.stringify(rules), wires: [['notify'], []] },
        { id: 'notify', type: 'alarm-notify', wires: [['email'], []] },
        { ...flow().find((n) => n.id === 'email')!, wires: [] },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
      { email: { userid: 'plantwire@example.com' } },
    );
    const caught = collect(helper, 'caught');
    const notify = helper.getNode('notify') as any;
    const sent = Date.now();
    helper.getNode('alarm')!.receive({ payload: [temperature('cnc-31', 95)] });
    // The critical level is priority high: sent at once, not in the 15-minute digest.
    await until('the mail of the critical level', () => mailsFor('cnc-31').length > 0, 10_000);
    const mail = mailsFor('cnc-31')[0]!;
    expect(mail.receivedAt - sent).toBeLessThan(5_000);
    expect(mail.envelopeTo.sort()).toEqual(['maintenance@example.com', 'shift-lead@example.com']);
    expect(mail.subject).toContain('plant-1/line-01/cnc-31');
    expect(mail.text).toContain('cnc-31/temperature:temp-high:critical');
    expect(caught).toEqual([]);
    expect(notify.error.called).toBe(false);
  });
});

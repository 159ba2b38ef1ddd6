// The second example as shipped, inside Node-RED: its inject nodes must make real alarms, and those alarms real
// mail (to a real SMTP server in its own process, in place of the relay on port 25) and SMS (to a local webhook
// shaped like Twilio's, in place of api.twilio.com).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, coreNode, nodeRedTestHelper, until } from '@plantwire/testkit';
import { startSmsWebhook, type SmsWebhook } from './fixtures/sms.js';
import { startSmtpSink, type SmtpSink } from './fixtures/smtp.js';

const require = createRequire(import.meta.url);
const alarmNotify = require('../dist/nodes/alarm-notify/alarm-notify.js');
const thresholdAlarm = require('@plantwire/node-red-rules/dist/nodes/threshold-alarm/threshold-alarm.js');
const emailNode = require('node-red-node-email/61-email.js');
const helper = nodeRedTestHelper();
const example = JSON.parse(
  readFileSync(new URL('../examples/02 - Alarm notifications.json', import.meta.url), 'utf8'),
) as Record<string, any>[];

let smtp: SmtpSink;
let sms: SmsWebhook;

/** The example as a user imports it; only the mail server and the SMS URL point here, and probes listen. */
async function load() {
  const flow = example.map((node) => {
    if (node.id === 'an-mail') return { ...node, port: String(smtp.port) };
    if (node.id === 'an-notify')
      return {
        ...node,
        smsUrl: node.smsUrl.replace('https://api.twilio.com', `http://127.0.0.1:${sms.port}`),
      };
    if (node.id === 'an-alarm') return { ...node, wires: [[...node.wires[0], 'alarms'], node.wires[1]] };
    return node;
  });
  flow.push({ id: 'alarms', type: 'helper', z: 'an-tab' });
  flow.push({ id: 'caught', type: 'helper', z: 'an-tab' });
  const catcher = flow.find((node) => node.id === 'an-catch')!;
  catcher.wires = [[...catcher.wires[0], 'caught']];
  await helper.load(
    [
      thresholdAlarm,
      alarmNotify,
      emailNode,
      coreNode('common/20-inject'),
      coreNode('function/15-change'),
      coreNode('common/21-debug'),
      coreNode('common/25-catch'),
      coreNode('network/21-httprequest'),
    ],
    flow,
    { 'an-sms': { user: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX', password: 'auth-token' } },
  );
  return { alarms: collect(helper, 'alarms'), caught: collect(helper, 'caught') };
}

/** Presses an inject node's button, as the editor does. */
const press = (id: string) => helper.getNode(id)!.receive({});

describe('example "02 - Alarm notifications"', () => {
  beforeAll(async () => {
    smtp = await startSmtpSink();
    sms = await startSmsWebhook();
    await helper.startServer();
  });
  afterEach(() => helper.unload());
  afterAll(async () => {
    await helper.stopServer();
    await sms.stop();
    await smtp?.stop();
  });

  it('the critical button raises an alarm that is mailed and texted at once', async () => {
    const { alarms, caught } = await load();
    press('an-critical');
    await until('the alarm event', () => alarms.length > 0 || caught.length > 0, 10_000);
    expect(caught.map((msg) => msg.error.message)).toEqual([]);
    expect(alarms[0].payload).toContainEqual(
      expect.objectContaining({ id: 'line-01/cnc-01/temperature:temp-high:critical', state: 'active-unack' }),
    );
    await until(
      'the critical mail',
      () => smtp.mails().some((m) => m.subject.startsWith('[CRITICAL]') && m.subject.includes('cnc-01')),
      10_000,
    );
    const mail = smtp.mails().find((m) => m.subject.startsWith('[CRITICAL]'))!;
    expect(mail.envelopeTo.sort()).toEqual(['maintenance@example.com', 'shift-lead@example.com']);
    // A sender: with no login the email node has no user to send as, and a mail without From is refused or
    // filed as spam by most relays.
    expect(mail.from).toBe('plantwire@example.com');
    await until('the SMS', () => sms.requests.some((r) => r.form.Body?.includes('cnc-01')), 10_000);
    expect(sms.requests.find((r) => r.form.Body!.includes('cnc-01'))?.form).toMatchObject({
      To: '+15550100',
      From: '+15550123',
    });
  });

  it('the warnings button fills the digest, which the digest button sends', async () => {
    const { alarms, caught } = await load();
    press('an-warnings');
    await until('the alarm events', () => alarms.length > 0 || caught.length > 0, 10_000);
    expect(caught.map((msg) => msg.error.message)).toEqual([]);
    press('an-digest');
    await until(
      'the digest',
      () =>
        smtp.mails().some((m) => m.subject.startsWith('[Plantwire] Digest') && m.text.includes('press-02')),
      10_000,
    );
    const digest = smtp.mails().find((m) => m.subject.startsWith('[Plantwire] Digest'))!;
    expect(digest.envelopeTo).toEqual(['maintenance@example.com']);
    for (const machine of ['cnc-02', 'press-01', 'press-02']) expect(digest.text).toContain(machine);
  });
});

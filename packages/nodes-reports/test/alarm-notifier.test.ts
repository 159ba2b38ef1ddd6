import { describe, expect, it } from 'vitest';
import type { PlantEvent } from '@plantwire/node-red-questdb';
import { AlarmNotifier, type NotifierOptions } from '../src/core/alarm-notifier.js';
import { emailMessage, smsMessages } from '../src/core/notification-messages.js';
import { notifyEvents } from '../src/core/notify-input.js';
import { parseRoutes, recipientsFor } from '../src/core/notify-routes.js';

const MIN = 60_000;
const routes = parseRoutes(
  JSON.stringify([
    { line: 'line-01', minPriority: 'high', email: ['l1@x.io'], sms: ['+15550101'] },
    { line: 'line-02', minPriority: 'high', email: ['l2@x.io'] },
    { minPriority: 'low', email: ['all@x.io'] },
    { escalation: true, email: ['boss@x.io'] },
  ]),
);
const options: NotifierOptions = {
  routes,
  immediatePriority: 'critical',
  digestMinutes: 15,
  cooldownMinutes: 10,
  escalateMinutes: 5,
  anomalyPriority: 'low',
};

function alarm(name: string, state: string, priority = 'critical', line = 'line-01'): PlantEvent {
  return {
    ts: 0,
    id: name,
    tenant: 'acme',
    plant: 'p1',
    line,
    machine: 'cnc-01',
    kind: 'alarm',
    name,
    state,
    priority,
    value: 95,
    message: `${name} ${state}`,
  };
}

describe('routes', () => {
  it('match by place and priority; escalation routes only for escalations', () => {
    const where = { tenant: 'acme', plant: 'p1', line: 'line-01' };
    expect(recipientsFor(routes, where, 'critical')).toEqual({
      email: ['l1@x.io', 'all@x.io'],
      sms: ['+15550101'],
    });
    expect(recipientsFor(routes, where, 'medium')).toEqual({ email: ['all@x.io'], sms: [] });
    expect(recipientsFor(routes, where, 'diagnostic')).toEqual({ email: [], sms: [] });
    expect(recipientsFor(routes, where, 'critical', true).email).toContain('boss@x.io');
  });

  it('refuse what is not a route, saying where', () => {
    expect(() => parseRoutes('{')).toThrow(/routes must be a JSON array/);
    expect(() => parseRoutes('[{"email": "a@b.c", "who": 1}]')).toThrow(/routes\[0\]: unknown field "who"/);
    expect(() => parseRoutes('[{"email": ["a@b.c"], "minPriority": "urgent"}]')).toThrow(
      /minPriority must be one of/,
    );
    expect(() => parseRoutes('[{"sms": ["call me"]}]')).toThrow(/"call me" is not a phone number/);
    expect(() => parseRoutes('[{"line": "l1"}]')).toThrow(/names nobody/);
  });
});

describe('AlarmNotifier', () => {
  it('sends a critical at once, holds lower priorities for the digest, and one digest per recipient', () => {
    const notifier = new AlarmNotifier({ ...options, escalateMinutes: 0 }, 0);
    const now = notifier.accept(
      [
        alarm('a1', 'active-unack'),
        alarm('w1', 'active-unack', 'medium'),
        alarm('h2', 'active-unack', 'high', 'line-02'),
      ],
      0,
    );
    expect(now).toHaveLength(1);
    expect(now[0]).toMatchObject({ kind: 'alarm', email: ['l1@x.io', 'all@x.io'], sms: ['+15550101'] });
    expect(notifier.due(14 * MIN)).toEqual([]);
    const digests = notifier.due(15 * MIN);
    expect(digests.map((d) => [d.email, d.events.map((e) => e.name)])).toEqual([
      [['all@x.io'], ['w1', 'h2']],
      [['l2@x.io'], ['h2']],
    ]);
    expect(notifier.due(30 * MIN)).toEqual([]); // nothing pending, nothing sent
  });

  it('a burst after a quiet spell is one digest, a digest period after its first event', () => {
    const notifier = new AlarmNotifier({ ...options, escalateMinutes: 0 }, 0);
    notifier.accept([alarm('w1', 'active-unack', 'low')], 40 * MIN);
    expect(notifier.nextDue()).toBe(55 * MIN);
    expect(notifier.due(40 * MIN)).toEqual([]);
    notifier.accept([alarm('w2', 'active-unack', 'low'), alarm('w3', 'active-unack', 'low')], 42 * MIN);
    expect(notifier.nextDue()).toBe(55 * MIN);
    expect(notifier.due(55 * MIN).map((n) => n.events.map((e) => e.name))).toEqual([['w1', 'w2', 'w3']]);
    // Sent and quiet again: the next one starts a new period.
    notifier.accept([alarm('w4', 'active-unack', 'low')], 80 * MIN);
    expect(notifier.nextDue()).toBe(95 * MIN);
  });

  it('a restored empty digest, its due time long past, still gathers the next burst for a period', () => {
    const before = new AlarmNotifier(options, 0);
    const after = new AlarmNotifier(options, 40 * MIN);
    after.restore(JSON.parse(JSON.stringify(before.snapshot(MIN))));
    after.accept([alarm('w1', 'active-unack', 'low')], 40 * MIN);
    expect(after.nextDue()).toBe(55 * MIN);
  });

  it('a cooldown per alarm; quiet states drop the digest entry and the escalation', () => {
    const notifier = new AlarmNotifier(options, 0);
    expect(notifier.accept([alarm('a1', 'active-unack')], 0)).toHaveLength(1);
    expect(notifier.accept([alarm('a1', 'active-unack')], 9 * MIN)).toHaveLength(0);
    expect(notifier.counts.cooledDown).toBe(1);
    notifier.accept(
      [alarm('w1', 'active-unack', 'low'), alarm('w1', 'shelved', 'low'), alarm('a1', 'suppressed')],
      9 * MIN,
    );
    expect(notifier.due(16 * MIN)).toEqual([]); // no escalation, no digest
    expect(notifier.accept([alarm('a1', 'active-unack')], 11 * MIN)).toHaveLength(1);
  });

  it('escalates an unacknowledged critical once; an acknowledgement stops it', () => {
    const notifier = new AlarmNotifier({ ...options, digestMinutes: 60 }, 0);
    notifier.accept([alarm('a1', 'active-unack'), alarm('a2', 'active-unack')], 0);
    notifier.accept([alarm('a2', 'active-ack')], 2 * MIN);
    expect(notifier.awaitingAck).toBe(1);
    expect(notifier.nextDue()).toBe(5 * MIN);
    const [escalation] = notifier.due(5 * MIN);
    expect(escalation).toMatchObject({
      kind: 'escalation',
      events: [expect.objectContaining({ name: 'a1' })],
    });
    expect(escalation!.email).toEqual(['l1@x.io', 'all@x.io', 'boss@x.io']);
    expect(notifier.due(20 * MIN)).toEqual([]);
  });

  it('an activation within the cooldown, after an acknowledgement, is not announced but still escalates', () => {
    const notifier = new AlarmNotifier({ ...options, digestMinutes: 60 }, 0);
    expect(notifier.accept([alarm('a1', 'active-unack')], 0)).toHaveLength(1);
    notifier.accept([alarm('a1', 'active-ack')], 1 * MIN);
    notifier.accept([alarm('a1', 'normal')], 2 * MIN);
    expect(notifier.accept([alarm('a1', 'active-unack')], 3 * MIN)).toEqual([]); // within the cooldown
    expect(notifier.awaitingAck).toBe(1);
    expect(notifier.nextDue()).toBe(8 * MIN);
    expect(notifier.due(8 * MIN).map((n) => [n.kind, n.events.map((e) => e.name)])).toEqual([
      ['escalation', ['a1']],
    ]);
    // An escalation armed stays as it is: a re-announcement within the cooldown neither delays nor repeats it.
    notifier.accept([alarm('a2', 'active-unack')], 10 * MIN);
    notifier.accept([alarm('a2', 'active-unack')], 12 * MIN);
    expect(notifier.nextDue()).toBe(15 * MIN);
    expect(notifier.due(15 * MIN)).toHaveLength(1);
    expect(notifier.nextDue()).toBe(Infinity);
  });

  it('re-alarms (still active) neither put an escalation off nor escalate an activation twice, a restart included', () => {
    // A re-alarm every 7 minutes, between the cooldown (5) and the escalation time (10).
    const notifier = new AlarmNotifier(
      { ...options, cooldownMinutes: 5, escalateMinutes: 10, digestMinutes: 60 },
      0,
    );
    expect(notifier.accept([alarm('a1', 'active-unack')], 0)).toHaveLength(1);
    expect(notifier.accept([alarm('a1', 'active-unack')], 7 * MIN)).toHaveLength(1); // announced again
    expect(notifier.nextDue()).toBe(10 * MIN);
    expect(notifier.due(10 * MIN).map((n) => n.kind)).toEqual(['escalation']);
    notifier.accept([alarm('a1', 'active-unack')], 14 * MIN);
    const after = new AlarmNotifier(
      { ...options, cooldownMinutes: 5, escalateMinutes: 10, digestMinutes: 60 },
      15 * MIN,
    );
    after.restore(JSON.parse(JSON.stringify(notifier.snapshot(15 * MIN))));
    after.accept([alarm('a1', 'active-unack')], 21 * MIN);
    expect(after.nextDue()).toBe(Infinity);
    // Acknowledged, then active again: a new activation, which escalates.
    after.accept([alarm('a1', 'active-ack')], 22 * MIN);
    after.accept([alarm('a1', 'active-unack')], 30 * MIN);
    expect(after.nextDue()).toBe(40 * MIN);
  });

  it('a snapshot through JSON restores the pending digest, the escalations and the cooldowns', () => {
    const before = new AlarmNotifier(options, 0);
    before.accept([alarm('a1', 'active-unack'), alarm('w1', 'active-unack', 'medium')], 0);
    before.accept([alarm('a2', 'active-unack')], 1 * MIN);
    before.accept([alarm('a2', 'active-ack')], 2 * MIN);
    const saved = JSON.parse(JSON.stringify(before.snapshot(3 * MIN)));

    // A restart 3 minutes later: same due times, same cooldowns.
    const after = new AlarmNotifier(options, 3 * MIN);
    after.restore(saved);
    expect(after.counts.pending).toBe(1);
    expect(after.awaitingAck).toBe(1);
    expect(after.nextDue()).toBe(5 * MIN);
    expect(after.accept([alarm('a2', 'active-unack')], 4 * MIN)).toEqual([]); // a2 still cools down
    expect(after.due(5 * MIN).map((n) => [n.kind, n.events.map((e) => e.name)])).toEqual([
      ['escalation', ['a1']],
    ]);
    const later = after.due(15 * MIN);
    expect(later.map((n) => [n.kind, n.events.map((e) => e.name)])).toEqual([
      ['escalation', ['a2']], // its activation at 4 min, unacknowledged
      ['digest', ['w1']],
    ]);
  });

  it('restores under its own settings: escalations off stay off, a shorter digest period applies at once', () => {
    const before = new AlarmNotifier(options, 0);
    before.accept([alarm('a1', 'active-unack'), alarm('w1', 'active-unack', 'medium')], 0);
    const after = new AlarmNotifier({ ...options, escalateMinutes: 0, digestMinutes: 2 }, MIN);
    after.restore(before.snapshot(MIN));
    expect(after.awaitingAck).toBe(0);
    expect(after.nextDue()).toBe(3 * MIN);
  });

  it('refuses what is not its snapshot, changing nothing', () => {
    const notifier = new AlarmNotifier(options, 0);
    for (const bad of [null, {}, { version: 2 }, { version: 1, nextDigest: 0, digest: {}, alarms: [] }])
      expect(() => notifier.restore(bad)).toThrow('not an alarm-notify state (version 1)');
    expect(notifier.counts.pending).toBe(0);
    expect(notifier.nextDue()).toBe(Infinity);
  });

  it('anomalies take the anomaly priority', () => {
    const notifier = new AlarmNotifier({ ...options, anomalyPriority: 'critical' }, 0);
    const { events } = notifyEvents(
      [
        {
          tenant: 'acme',
          plant: 'p1',
          line: 'line-01',
          machine: 'cnc-01',
          metric: 'vibration',
          value: 9,
          score: 0.97,
          anomaly: true,
          ts: 1_767_225_600_000,
        },
      ],
      { tenant: '', plant: '' },
    );
    expect(notifier.accept(events, 0)).toMatchObject([{ kind: 'alarm', priority: 'critical' }]);
  });
});

describe('messages', () => {
  it('a digest of a flood of 200,000 events is written (its summary does not overflow the stack)', () => {
    const events = Array.from({ length: 200_000 }, (_, i) => ({
      ...alarm(`w${i}`, 'active-unack', 'medium'),
      ts: i + 1,
    }));
    const digest = emailMessage(
      { kind: 'digest', priority: 'medium', events, email: ['all@x.io'], sms: [] },
      5,
    );
    expect(digest.topic).toBe('[Plantwire] Digest: 200000 events (200000 medium) since 00:00:00 UTC');
  });

  it('email for the email node; one Twilio-shaped form POST per number', () => {
    const notifier = new AlarmNotifier(options, 0);
    const [n] = notifier.accept([alarm('a1', 'active-unack')], 0);
    const email = emailMessage(n!, 5);
    expect(email).toMatchObject({
      to: 'l1@x.io, all@x.io',
      topic: '[CRITICAL] p1/line-01/cnc-01: a1 active-unack',
      priority: 'high',
    });
    expect(email.payload).toContain('Where: acme / p1 / line-01 / cnc-01');
    const [sms] = smsMessages(n!, { url: 'http://127.0.0.1:1/sms', from: '+1555' }, 5);
    expect(sms).toMatchObject({
      method: 'POST',
      url: 'http://127.0.0.1:1/sms',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(Object.fromEntries(new URLSearchParams(sms!.payload))).toEqual({
      To: '+15550101',
      From: '+1555',
      Body: 'CRITICAL p1/line-01/cnc-01: a1 active-unack',
    });
  });

  it('the default tenant and plant fill in only what an event lacks', () => {
    const base = {
      rule: 'r',
      level: 'critical',
      previous: 'normal',
      priority: 'critical',
      value: 1,
      limit: 0,
      ts: 1_767_225_600_000,
      message: '',
    };
    const { events, rejected } = notifyEvents(
      [
        { ...base, id: 'm/t:r:critical', key: 'cnc-01/temperature', state: 'active-unack' },
        { ...base, id: 'x', key: 'other/p9/l/cnc-02/temperature', state: 'active-unack' },
        'junk',
      ],
      { tenant: 'acme', plant: 'p1' },
    );
    expect(events.map((e) => `${e.tenant}/${e.plant}/${e.machine}`).sort()).toEqual([
      'acme/p1/cnc-01',
      'other/p9/cnc-02',
    ]);
    expect(rejected).toEqual([{ index: 2, reason: expect.stringMatching(/an event must be an object/) }]);
  });
});

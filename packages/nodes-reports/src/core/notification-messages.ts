// Notifications as the messages the stock nodes take: node-red-node-email's (msg.to, msg.topic as the subject,
// msg.payload as the text) and http request's for an SMS webhook shaped like Twilio's Messages API (a form POST
// of To, From and Body; the http request node holds the account's credentials as basic authentication).
import type { PlantEvent } from '@plantwire/node-red-questdb';
import type { Notification } from './alarm-notifier.js';
import { PRIORITIES } from './notify-routes.js';

export interface EmailMessage {
  to: string;
  topic: string;
  payload: string;
  priority: 'high' | 'normal';
  notification: { kind: Notification['kind']; priority: string; events: PlantEvent[] };
}

export interface SmsMessage {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  payload: string;
  topic: string;
}

export interface SmsSettings {
  url: string;
  from: string;
}

/** Digest emails list this many events, then say how many more there were. */
const DIGEST_LINES = 100;
/** Longer SMS bodies are cut (Twilio takes 1,600 characters; phones split past 160). */
const SMS_MAX = 320;

export function emailMessage(notification: Notification, escalateMinutes: number): EmailMessage {
  const { kind, priority, events } = notification;
  return {
    to: notification.email.join(', '),
    topic: subject(notification, escalateMinutes),
    payload: body(notification, escalateMinutes),
    priority: kind === 'digest' ? 'normal' : 'high',
    notification: { kind, priority, events },
  };
}

/** One request per phone number. */
export function smsMessages(
  notification: Notification,
  settings: SmsSettings,
  escalateMinutes: number,
): SmsMessage[] {
  const text = cut(smsText(notification, escalateMinutes), SMS_MAX);
  return notification.sms.map((to) => ({
    method: 'POST',
    url: settings.url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ To: to, From: settings.from, Body: text }).toString(),
    topic: notification.kind,
  }));
}

function subject(notification: Notification, escalateMinutes: number): string {
  const first = notification.events[0]!;
  switch (notification.kind) {
    case 'alarm':
      return `[${first.kind === 'anomaly' ? 'ANOMALY' : notification.priority.toUpperCase()}] ${place(first)}: ${headline(first)}`;
    case 'escalation':
      return `[ESCALATION] unacknowledged for ${escalateMinutes} min: ${place(first)}: ${headline(first)}${more(notification.events)}`;
    case 'digest':
      return `[Plantwire] Digest: ${summary(notification.events)}`;
  }
}

function body(notification: Notification, escalateMinutes: number): string {
  const { events } = notification;
  if (notification.kind === 'digest') {
    const lines = events.slice(0, DIGEST_LINES).map(line);
    if (events.length > DIGEST_LINES) lines.push(`... and ${events.length - DIGEST_LINES} more`);
    return `${summary(events)}\n\n${lines.join('\n')}\n`;
  }
  const intro =
    notification.kind === 'escalation'
      ? `Nobody has acknowledged ${events.length === 1 ? 'this alarm' : 'these alarms'} within ${escalateMinutes} minutes.\n\n`
      : '';
  return intro + events.map(details).join('\n') + '\n';
}

function smsText(notification: Notification, escalateMinutes: number): string {
  const first = notification.events[0]!;
  switch (notification.kind) {
    case 'alarm':
      return `${notification.priority.toUpperCase()} ${place(first)}: ${headline(first)}`;
    case 'escalation':
      return `ESCALATION (unacked ${escalateMinutes} min) ${place(first)}: ${headline(first)}${more(notification.events)}`;
    case 'digest':
      return `Plantwire digest: ${summary(notification.events)}`;
  }
}

function details(event: PlantEvent): string {
  return [
    `${event.kind === 'anomaly' ? 'Anomaly' : 'Alarm'}: ${event.name}`,
    `Where: ${[event.tenant, event.plant, event.line, event.machine].filter(Boolean).join(' / ')}`,
    `Priority: ${event.priority || 'none'}`,
    `State: ${event.state}`,
    `Value: ${event.value ?? 'none'}`,
    `Time: ${new Date(event.ts).toISOString()}`,
    `Message: ${event.message}`,
  ].join('\n');
}

function line(event: PlantEvent): string {
  return `${new Date(event.ts).toISOString()}  ${(event.priority || event.kind).padEnd(10)} ${place(event)}  ${headline(event)}`;
}

/** "200 alarms (3 high, 197 medium) since 06:10:00 UTC". */
function summary(events: readonly PlantEvent[]): string {
  const byPriority = new Map<string, number>();
  for (const event of events) {
    const label = event.kind === 'anomaly' ? 'anomaly' : event.priority || 'none';
    byPriority.set(label, (byPriority.get(label) ?? 0) + 1);
  }
  const order = (label: string) => -PRIORITIES.indexOf(label as never);
  const parts = [...byPriority].sort((a, b) => order(a[0]) - order(b[0])).map(([p, n]) => `${n} ${p}`);
  // A loop, not Math.min(...): spreading a flood of events overflows the stack.
  const since = new Date(events.reduce((min, e) => Math.min(min, e.ts), Infinity))
    .toISOString()
    .slice(11, 19);
  return `${events.length} ${events.length === 1 ? 'event' : 'events'} (${parts.join(', ')}) since ${since} UTC`;
}

function place(event: PlantEvent): string {
  return [event.plant, event.line, event.machine].filter(Boolean).join('/');
}

function headline(event: PlantEvent): string {
  return event.message || `${event.name} ${event.state}`;
}

function more(events: readonly PlantEvent[]): string {
  return events.length > 1 ? ` (+${events.length - 1} more)` : '';
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

// Who is told what and when about alarms: immediate priorities at once, the rest in a digest N minutes after the
// first of them, a cooldown per alarm, nothing for shelved/suppressed/out-of-service alarms, and an escalation
// when an immediate alarm is still unacknowledged after M minutes. Pure: the caller gives the clock.
import type { PlantEvent } from '@plantwire/node-red-questdb';
import {
  PRIORITIES,
  rank,
  recipientsFor,
  type Priority,
  type Recipients,
  type Route,
} from './notify-routes.js';

export interface NotifierOptions {
  routes: Route[];
  /** This priority and above are sent at once (and escalate); the rest go into the digest. */
  immediatePriority: Priority;
  /** A digest goes out this long after its first event. */
  digestMinutes: number;
  /** A second announcement of the same alarm within this long is not sent, though it still escalates (0: off). */
  cooldownMinutes: number;
  /** An immediate alarm still unacknowledged this long after it was sent is escalated (0: off). */
  escalateMinutes: number;
  /** The priority of anomaly-detect's flagged points (they carry none). */
  anomalyPriority: Priority;
}

export type NotificationKind = 'alarm' | 'digest' | 'escalation';

export interface Notification extends Recipients {
  kind: NotificationKind;
  /** The highest priority among the events. */
  priority: Priority;
  events: PlantEvent[];
}

export interface NotifierCounts {
  sent: number;
  digested: number;
  pending: number;
  cooledDown: number;
  quiet: number;
  escalated: number;
}

/** Alarm states in which nobody is told anything (ISA-18.2: the operator took the alarm out of view). */
const QUIET = new Set(['shelved', 'suppressed', 'out-of-service']);
/** States that are an acknowledgement (or a return to normal after one): the escalation is off. */
const ACKNOWLEDGED = new Set(['active-ack', 'normal']);

/**
 * What a restart must not lose: the pending digest and when it is due, the escalations still to come, and the
 * cooldowns still running (an alarm announced just before the restart is not announced again).
 */
export interface NotifierSnapshot {
  version: 1;
  nextDigest: number;
  digest: PlantEvent[];
  alarms: { key: string; lastSent: number; escalateAt?: number; event?: PlantEvent; escalated?: true }[];
}

interface Tracked {
  lastSent: number;
  /** When this alarm escalates unless acknowledged; NaN: it does not. */
  escalateAt: number;
  event?: PlantEvent;
  /** Its activation has escalated: a re-alarm of it does not escalate again. */
  escalated: boolean;
}

export class AlarmNotifier {
  private readonly alarms = new Map<string, Tracked>();
  private digest: PlantEvent[] = [];
  /** When the pending digest goes out; set by its first event. */
  private nextDigest: number;
  readonly counts: NotifierCounts = {
    sent: 0,
    digested: 0,
    pending: 0,
    cooledDown: 0,
    quiet: 0,
    escalated: 0,
  };

  constructor(
    readonly options: NotifierOptions,
    now: number,
  ) {
    this.nextDigest = now + options.digestMinutes * 60_000;
  }

  /** Takes events as they come; answers what is to be sent at once. */
  accept(events: readonly PlantEvent[], now: number): Notification[] {
    const immediate: PlantEvent[] = [];
    for (const event of events) {
      const key = alarmKey(event);
      const tracked = this.alarms.get(key) ?? { lastSent: -Infinity, escalateAt: NaN, escalated: false };
      this.alarms.set(key, tracked);
      if (QUIET.has(event.state)) {
        this.counts.quiet++;
        this.endActivation(tracked);
        this.digest = this.digest.filter((pending) => alarmKey(pending) !== key);
        continue;
      }
      if (ACKNOWLEDGED.has(event.state)) this.endActivation(tracked);
      if (!isAnnouncement(event)) continue;
      const isImmediate = rank(this.priorityOf(event)) >= rank(this.options.immediatePriority);
      const escalates = isImmediate && this.options.escalateMinutes > 0 && event.kind === 'alarm';
      if (now - tracked.lastSent < this.options.cooldownMinutes * 60_000) {
        this.counts.cooledDown++;
        // The cooldown holds back only the announcement: an activation still escalates when nobody acknowledges it.
        if (escalates && event.state === 'active-unack') this.armEscalation(tracked, event, now);
        continue;
      }
      tracked.lastSent = now;
      if (isImmediate) {
        immediate.push(event);
        if (escalates) this.armEscalation(tracked, event, now);
      } else {
        // A digest period starts with its first event, so a burst after a quiet spell is one digest, not its
        // first event at once (a due time long past) and the rest a period later.
        if (this.digest.length === 0) this.nextDigest = now + this.options.digestMinutes * 60_000;
        this.digest.push(event);
        this.counts.digested++;
      }
    }
    this.counts.pending = this.digest.length;
    return this.group(immediate, 'alarm');
  }

  /** What is due by `now`: escalations, and the digest when its time has come (or `flush`). */
  due(now: number, flush = false): Notification[] {
    const escalations: PlantEvent[] = [];
    for (const tracked of this.alarms.values()) {
      if (!(tracked.escalateAt <= now) || !tracked.event) continue;
      tracked.escalateAt = NaN;
      tracked.escalated = true;
      escalations.push(tracked.event);
      this.counts.escalated++;
    }
    const out = this.group(escalations, 'escalation');
    if (this.digest.length > 0 && (flush || now >= this.nextDigest)) {
      out.push(...this.group(this.digest, 'digest'));
      this.digest = [];
      this.counts.pending = 0;
    }
    return out;
  }

  /** The next time `due` has something to do. */
  nextDue(): number {
    let next = this.digest.length > 0 ? this.nextDigest : Infinity;
    for (const tracked of this.alarms.values()) if (tracked.escalateAt < next) next = tracked.escalateAt;
    return next;
  }

  /** How many alarms wait for acknowledgement before they escalate. */
  get awaitingAck(): number {
    let count = 0;
    for (const tracked of this.alarms.values()) if (tracked.escalateAt === tracked.escalateAt) count++;
    return count;
  }

  snapshot(now: number): NotifierSnapshot {
    const cooldownMs = this.options.cooldownMinutes * 60_000;
    const alarms: NotifierSnapshot['alarms'] = [];
    for (const [key, tracked] of this.alarms) {
      const escalates = tracked.escalateAt === tracked.escalateAt;
      if (!escalates && !tracked.escalated && !(now - tracked.lastSent < cooldownMs)) continue;
      alarms.push({
        key,
        lastSent: tracked.lastSent,
        ...(escalates && { escalateAt: tracked.escalateAt, event: tracked.event }),
        ...(tracked.escalated && { escalated: true as const }),
      });
    }
    return { version: 1, nextDigest: this.nextDigest, digest: this.digest, alarms };
  }

  /** Takes up a snapshot's state (under this notifier's settings); throws, changing nothing, on anything else. */
  restore(state: unknown): void {
    const snapshot = state as Partial<NotifierSnapshot> | null;
    if (
      snapshot?.version !== 1 ||
      typeof snapshot.nextDigest !== 'number' ||
      !Array.isArray(snapshot.digest) ||
      !Array.isArray(snapshot.alarms)
    )
      throw new Error('not an alarm-notify state (version 1)');
    this.digest = [...snapshot.digest];
    this.counts.pending = this.digest.length;
    // A digest period shortened meanwhile applies at once.
    this.nextDigest = Math.min(snapshot.nextDigest, this.nextDigest);
    const escalates = this.options.escalateMinutes > 0;
    for (const { key, lastSent, escalateAt, event, escalated } of snapshot.alarms) {
      this.alarms.set(key, {
        lastSent,
        escalateAt: escalates && escalateAt !== undefined && event ? escalateAt : NaN,
        event,
        escalated: escalated === true,
      });
    }
  }

  priorityOf(event: PlantEvent): Priority {
    return event.kind === 'anomaly' || !PRIORITIES.includes(event.priority as Priority)
      ? this.options.anomalyPriority
      : (event.priority as Priority);
  }

  /**
   * Arms the escalation of an activation, once: a re-alarm of it (threshold-alarm's "still active") neither moves
   * an escalation armed (a re-alarm period shorter than the escalation time would put it off for ever) nor makes
   * a second one.
   */
  private armEscalation(tracked: Tracked, event: PlantEvent, now: number): void {
    if (tracked.escalated || !Number.isNaN(tracked.escalateAt)) return;
    tracked.escalateAt = now + this.options.escalateMinutes * 60_000;
    tracked.event = event;
  }

  /** Acknowledged, back to normal or masked: no escalation for this activation, and the next one may escalate. */
  private endActivation(tracked: Tracked): void {
    tracked.escalateAt = NaN;
    tracked.escalated = false;
  }

  /**
   * An immediate alarm: one notification to the routes of its place and priority. A digest or escalation: each
   * recipient gets one notification with every event meant for them; recipients with the same events share it.
   */
  private group(events: readonly PlantEvent[], kind: NotificationKind): Notification[] {
    const notifications: Notification[] = [];
    if (kind === 'alarm') {
      for (const event of events) {
        const to = recipientsFor(this.options.routes, event, this.priorityOf(event));
        if (to.email.length > 0 || to.sms.length > 0)
          notifications.push({ kind, priority: this.priorityOf(event), events: [event], ...to });
      }
    } else {
      const perRecipient = new Map<string, number[]>();
      events.forEach((event, i) => {
        const to = recipientsFor(this.options.routes, event, this.priorityOf(event), kind === 'escalation');
        for (const address of [...to.email.map((a) => `email:${a}`), ...to.sms.map((n) => `sms:${n}`)]) {
          const list = perRecipient.get(address) ?? [];
          list.push(i);
          perRecipient.set(address, list);
        }
      });
      const byEvents = new Map<string, Notification>();
      for (const [address, indices] of perRecipient) {
        const key = indices.join(',');
        let notification = byEvents.get(key);
        if (!notification) {
          const picked = indices.map((i) => events[i]!);
          const priority = picked
            .map((e) => this.priorityOf(e))
            .reduce((a, b) => (rank(b) > rank(a) ? b : a));
          notification = { kind, priority, events: picked, email: [], sms: [] };
          byEvents.set(key, notification);
          notifications.push(notification);
        }
        const [channel, to] = [
          address.slice(0, address.indexOf(':')),
          address.slice(address.indexOf(':') + 1),
        ];
        notification[channel as 'email' | 'sms'].push(to);
      }
    }
    this.counts.sent += notifications.length;
    return notifications;
  }
}

/** An alarm's identity across nodes: its id within its tenant and plant; an anomaly's series. */
function alarmKey(event: PlantEvent): string {
  return event.kind === 'anomaly'
    ? `anomaly/${event.tenant}/${event.plant}/${event.line}/${event.machine}/${event.name}`
    : `alarm/${event.tenant}/${event.plant}/${event.name}`;
}

/** A new activation or a re-announcement (threshold-alarm's re-alarm), a flood, or a flagged anomaly. */
function isAnnouncement(event: PlantEvent): boolean {
  return event.kind === 'anomaly' || event.state === 'active-unack' || event.state === 'flood';
}

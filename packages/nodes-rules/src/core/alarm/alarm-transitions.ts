// The ISA-18.2 transitions of alarms, and the events they announce: activation (with chattering alarms shelved
// automatically), return to normal, re-alarm, and leaving a mask. Keeps the current list (every alarm that is
// not normal) and the alarms with something due.
import type { Alarm, AlarmEvent, AlarmState } from './alarm.js';
import { FloodWatch } from './flood.js';

export interface ChatterLimits {
  /** Activations within the window that shelve an alarm (0: off). */
  count: number;
  windowMs: number;
  shelveMs: number;
}

export class AlarmTransitions {
  /** Alarms that are not normal: the current list. */
  readonly current = new Set<Alarm>();
  /** Alarms with something due (a delay, a shelve end, a re-alarm); cleaned lazily. */
  readonly timed = new Set<Alarm>();
  readonly flood: FloodWatch;
  private events: AlarmEvent[] = [];
  private listChanged = false;

  constructor(
    readonly chatter: ChatterLimits,
    flood: { count: number; windowMs: number },
  ) {
    this.flood = new FloodWatch(flood.count, flood.windowMs, (event) => this.events.push(event));
  }

  /** Events since the last call, oldest first. */
  takeEvents(): AlarmEvent[] {
    const events = this.events;
    if (events.length > 0) this.events = [];
    return events;
  }

  /** True once after the current list changed. */
  takeListChanged(): boolean {
    const changed = this.listChanged;
    this.listChanged = false;
    return changed;
  }

  /** Alarms taken back from a snapshot: listed without an event, and checked for what falls due. */
  restored(alarms: readonly Alarm[]): void {
    for (const alarm of alarms) {
      if (alarm.state !== 'normal') this.current.add(alarm);
      this.timed.add(alarm);
    }
    this.listChanged = true;
  }

  /** The condition became `active` (or not) at `ts`, `lag` behind the alarm's own event time (see Alarm.pendingLag). */
  change(alarm: Alarm, active: boolean, ts: number, lag: number): void {
    const before = alarm.state;
    alarm.active = active;
    alarm.pendingDue = NaN;
    if (!active) return this.announce(alarm, before, ts, alarm.describe('returned to normal'));
    alarm.activeSince = ts;
    alarm.announcedAt = ts;
    alarm.announcedLag = lag;
    alarm.acked = false;
    if (alarm.spec.reAlarmMs > 0) this.timed.add(alarm);
    if (alarm.masked) return this.announce(alarm, before, ts, '');
    if (this.chatter.count > 0) {
      const activations = alarm.activations;
      activations.push(ts);
      while (activations.length > 0 && activations[0]! <= ts - this.chatter.windowMs) activations.shift();
      if (activations.length >= this.chatter.count) {
        alarm.activations = [];
        alarm.shelvedUntil = ts + lag + this.chatter.shelveMs; // in the alarm's own event time
        this.timed.add(alarm);
        const reason = `chattering: ${activations.length} activations within ${this.chatter.windowMs / 1000} s; shelved for ${this.chatter.shelveMs / 60_000} min`;
        return this.announce(alarm, before, ts, reason);
      }
    }
    this.announce(alarm, before, ts, alarm.describe('active'));
    if (this.flood.count > 0) this.flood.activation(ts, alarm.place());
  }

  /** Still active after its re-alarm time: announced again, to be acknowledged again. */
  reAlarm(alarm: Alarm, ts: number): void {
    const before = alarm.state;
    alarm.acked = false;
    alarm.announcedAt = ts;
    const minutes = Math.round((ts - alarm.activeSince) / 60_000);
    this.announce(alarm, before, ts, alarm.describe(`still active after ${minutes} min`), undefined, true);
  }

  /** Leaves shelved / suppressed / out of service: an alarm still active must be acknowledged again. */
  unmask(alarm: Alarm, clear: () => void, ts: number, reason: string, by?: string): void {
    const before = alarm.state;
    clear();
    if (!alarm.masked) {
      alarm.acked = !alarm.active;
      if (alarm.active) {
        alarm.announcedAt = ts;
        alarm.announcedLag = 0;
        // tick() let go of it while masked: its re-alarm period starts again now.
        if (alarm.spec.reAlarmMs > 0) this.timed.add(alarm);
      }
    }
    this.announce(alarm, before, ts, alarm.active ? `${reason}; ${alarm.describe('active')}` : reason, by);
  }

  /** Emits an event when the visible state changed (or always, when `force`), and keeps the current list. */
  announce(alarm: Alarm, before: AlarmState, ts: number, message: string, by?: string, force = false): void {
    const state = alarm.state;
    if (state === before && !force) return;
    alarm.changedAt = ts;
    if (message) alarm.message = message;
    if (state === 'normal') this.current.delete(alarm);
    else this.current.add(alarm);
    this.listChanged = true;
    const event: AlarmEvent = {
      id: alarm.id,
      key: alarm.key,
      ...alarm.place(),
      rule: alarm.spec.rule,
      level: alarm.spec.level,
      state,
      previous: before,
      priority: alarm.spec.priority,
      value: alarm.value,
      limit: alarm.limit,
      ts,
      message: alarm.message,
    };
    if (by !== undefined) event.by = by;
    this.events.push(event);
  }

  /** The alarm is gone (its series forgotten): nothing of it stays listed or due. */
  drop(alarm: Alarm): void {
    this.timed.delete(alarm);
    this.current.delete(alarm);
  }
}

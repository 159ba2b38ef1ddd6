// The alarm engine (ISA-18.2 / IEC 62682): points in, alarm events and the current list out. Conditions go
// through deadband and on/off delays here; what operators see follows alarm-transitions.ts and
// alarm-commands.ts; series-index.ts holds the series and their alarms. Time is event time: the points' ts,
// carried forward by an injected clock between points, so delays and shelving expire without new points and
// under fake timers.
import { describeValue, MAX_TS_MS, MIN_TS_MS, normaliseTs } from '@plantwire/telemetry';
import { keyFieldProblem, type KeyFields } from '../series-key.js';
import type { Alarm, AlarmEvent, AlarmState } from './alarm.js';
import { applyCommand, checkCommand } from './alarm-commands.js';
import { restoreSnapshot, takeSnapshot, type AlarmSnapshot } from './alarm-snapshot.js';
import { AlarmTransitions } from './alarm-transitions.js';
import {
  compileRules,
  type CompiledRules,
  type CompositeSpec,
  type Level,
  type LimitSpec,
  type Priority,
  PRIORITIES,
} from './rules.js';
import { SeriesIndex, type Series } from './series-index.js';

/** What the engine reads of a telemetry point (schema v1 points fit). */
export interface AlarmPoint {
  ts: number;
  value: number;
  machine: string;
  metric: string;
  line?: string;
  plant?: string;
  tenant?: string;
  unit?: string;
}

/** A row of the current alarm list: every alarm that is not normal. */
export interface AlarmListEntry {
  id: string;
  key: string;
  rule: string;
  level: Level;
  state: AlarmState;
  priority: Priority;
  value: number;
  limit: number;
  /** When the condition last became active (0 if never). */
  activeSince: number;
  /** When the state last changed. */
  changedAt: number;
  /** When a shelve ends (0 if not shelved). */
  shelvedUntil: number;
  message: string;
}

export interface AlarmEngineOptions {
  rules: unknown;
  key?: KeyFields;
  /** Auto-shelve an alarm that activates `count` times within `windowS` seconds (count 0: off). */
  chatter?: { count: number; windowS: number; shelveMinutes: number };
  /** One summary event when `count` alarms activate within `windowS` seconds (count 0: off). */
  flood?: { count: number; windowS: number };
  maxShelveMinutes?: number;
  /**
   * Most series held (default 100,000). At the cap, quiet series (every alarm normal, nothing pending) are
   * forgotten, oldest first, and come back afresh with their next point; when none is quiet, points of new
   * series are refused. Series that match no rule are never held.
   */
  maxSeries?: number;
  /** Told when the series cap is reached (at most once a minute). */
  warn?: (message: string) => void;
  /** Wall clock in ms (Date.now by default); moves event time forward between points. */
  clock?: () => number;
}

export interface AlarmCounts {
  unacknowledged: number;
  active: number;
  shelved: number;
  suppressed: number;
  outOfService: number;
}

// Read once: a CommonJS build reaches imported bindings through getters, too slow for a per-point test.
const EARLIEST_TS = MIN_TS_MS;
const LATEST_TS = MAX_TS_MS;

const PRIORITY_RANK = Object.fromEntries(PRIORITIES.map((p, i) => [p, i])) as Record<Priority, number>;

export class AlarmEngine {
  readonly rules: CompiledRules;
  private readonly keyName: KeyFields;
  private readonly transitions: AlarmTransitions;
  private readonly index: SeriesIndex;
  private readonly clock: () => number;
  private anchorTs = NaN;
  private anchorClock = 0;
  /** The clock during evaluate(): read once per call, not per point. */
  private evaluateClock = 0;
  private readonly maxShelveMinutes: number;

  constructor(options: AlarmEngineOptions) {
    this.keyName = options.key ?? 'machine/metric';
    this.rules = compileRules(options.rules, this.keyName);
    // Looked up on each call, so fake timers installed after construction are followed too.
    this.clock = options.clock ?? (() => Date.now());
    const chatter = options.chatter ?? { count: 0, windowS: 60, shelveMinutes: 30 };
    const flood = options.flood ?? { count: 0, windowS: 600 };
    this.maxShelveMinutes = options.maxShelveMinutes ?? 1440;
    for (const [name, value] of Object.entries({
      'chatter count': chatter.count,
      'chatter window': chatter.windowS,
      'chatter shelve minutes': chatter.shelveMinutes,
      'flood count': flood.count,
      'flood window': flood.windowS,
      'max shelve minutes': this.maxShelveMinutes,
    })) {
      if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of 0 or more`);
    }
    const maxSeries = options.maxSeries ?? 100_000;
    if (!Number.isInteger(maxSeries) || maxSeries < 1)
      throw new Error(`max series must be a whole number of 1 or more (got ${options.maxSeries})`);
    this.transitions = new AlarmTransitions(
      { count: chatter.count, windowMs: chatter.windowS * 1000, shelveMs: chatter.shelveMinutes * 60_000 },
      { count: flood.count, windowMs: flood.windowS * 1000 },
    );
    this.index = new SeriesIndex(this.rules, this.transitions, {
      maxSeries,
      chatterWindowMs: chatter.windowS * 1000,
      clock: this.clock,
      warn: options.warn ?? (() => {}),
    });
  }

  /** Event time now: the newest point's ts plus the wall-clock time since it arrived. */
  now(clock = this.clock()): number {
    return Number.isNaN(this.anchorTs) ? clock : this.anchorTs + (clock - this.anchorClock);
  }

  /**
   * An alarm's own event time: its newest point's ts plus the clock since then (`now` until it has seen one).
   * Each series runs on its own clock, so a machine whose clock is ahead, or a backlog of old points while live
   * data flows, does not cut another series' delays short or make its re-alarms fall due all at once.
   */
  private alarmNow(alarm: Alarm, clock: number, now: number): number {
    return Number.isNaN(alarm.seenTs) ? now : alarm.seenTs + (clock - alarm.seenClock);
  }

  /**
   * Evaluates one point or an array of points (the fast path). A point that cannot be evaluated (not an object,
   * value not a finite number, a bad ts or key field) is skipped and reported to `refuse` with the reason;
   * the others are evaluated all the same.
   */
  evaluate(points: unknown, refuse?: (index: number, reason: string) => void): void {
    const list = (Array.isArray(points) ? points : [points]) as unknown[];
    this.evaluateClock = this.clock();
    let newest = -Infinity;
    for (let i = 0; i < list.length; i++) {
      const point = list[i] as AlarmPoint;
      let ts = NaN;
      let series: Series | undefined;
      // The common case in one expression; anything unusual (an ISO ts, a refusal) goes the slow way.
      if (
        typeof point === 'object' &&
        point !== null &&
        typeof point.value === 'number' &&
        Number.isFinite(point.value) &&
        typeof (ts = point.ts) === 'number' &&
        ts >= EARLIEST_TS &&
        ts <= LATEST_TS &&
        (series = this.index.find(point)) !== undefined
      ) {
        this.evaluatePoint(point, series, ts, point.value);
      } else {
        ts = this.admit(point, i, refuse);
        if (Number.isNaN(ts)) continue;
        this.evaluatePoint(point, this.index.find(point)!, ts, point.value);
      }
      if (ts > newest) newest = ts;
    }
    if (newest > -Infinity && !(newest <= this.anchorTs)) {
      this.anchorTs = newest;
      this.anchorClock = this.evaluateClock;
    }
  }

  /** Applies whatever is due now, each alarm on its own event time (delays, shelve ends, re-alarms, the end of a flood). */
  tick(): void {
    const clock = this.clock();
    const now = this.now(clock);
    const transitions = this.transitions;
    for (const alarm of transitions.timed) {
      const alarmNow = this.alarmNow(alarm, clock, now);
      let due = false;
      if (!Number.isNaN(alarm.pendingDue)) {
        if (alarmNow - alarm.pendingLag >= alarm.pendingDue)
          transitions.change(alarm, !alarm.active, alarm.pendingDue, alarm.pendingLag);
        else due = true;
      }
      if (alarm.shelvedUntil > 0) {
        if (alarmNow >= alarm.shelvedUntil) {
          const at = alarm.shelvedUntil;
          transitions.unmask(alarm, () => (alarm.shelvedUntil = 0), at, 'shelve expired');
        } else due = true;
      }
      const reAlarmMs = alarm.spec.reAlarmMs;
      if (reAlarmMs > 0 && alarm.active && !alarm.masked) {
        // Periods missed while nothing ran (a long gap, a backlog catching up) make one re-alarm, not a burst.
        const periods = Math.floor((alarmNow - alarm.announcedLag - alarm.announcedAt) / reAlarmMs);
        if (periods >= 1) transitions.reAlarm(alarm, alarm.announcedAt + periods * reAlarmMs);
        due = true;
      }
      if (!due) transitions.timed.delete(alarm);
    }
    transitions.flood.tick(now);
  }

  /** When the next thing falls due, in the event time of now(), or undefined; a timer should call tick() then. */
  nextDueAt(): number | undefined {
    const clock = this.clock();
    const now = this.now(clock);
    let next = Infinity;
    for (const alarm of this.transitions.timed) {
      let due = Infinity;
      if (alarm.pendingDue + alarm.pendingLag < due) due = alarm.pendingDue + alarm.pendingLag;
      if (alarm.shelvedUntil > 0 && alarm.shelvedUntil < due) due = alarm.shelvedUntil;
      if (alarm.spec.reAlarmMs > 0 && alarm.active && !alarm.masked) {
        due = Math.min(due, alarm.announcedAt + alarm.announcedLag + alarm.spec.reAlarmMs);
      }
      // From the alarm's own event time to now()'s: the same wait.
      if (due !== Infinity) next = Math.min(next, due - this.alarmNow(alarm, clock, now) + now);
    }
    next = Math.min(next, this.transitions.flood.nextDueAt());
    return next === Infinity ? undefined : next;
  }

  /** Checks a command completely, then applies it; a bad command throws and changes nothing. Returns how many alarms changed. */
  command(input: unknown): number {
    const alarms = this.index.alarms;
    const command = checkCommand(input, alarms, this.maxShelveMinutes);
    const clock = this.clock();
    const now = this.now(clock);
    const targets = command.alarm === '*' ? [...alarms.values()] : [alarms.get(command.alarm)!];
    let changed = 0;
    for (const alarm of targets) {
      if (applyCommand(alarm, command, this.alarmNow(alarm, clock, now), this.transitions)) changed++;
    }
    return changed;
  }

  /** Events since the last call, oldest first. */
  takeEvents(): AlarmEvent[] {
    return this.transitions.takeEvents();
  }

  /** True once after the current alarm list changed. */
  takeListChanged(): boolean {
    return this.transitions.takeListChanged();
  }

  /** Every alarm that is not normal, highest priority first, then newest change first. */
  list(): AlarmListEntry[] {
    return [...this.transitions.current]
      .sort(
        (a, b) =>
          PRIORITY_RANK[b.spec.priority] - PRIORITY_RANK[a.spec.priority] || b.changedAt - a.changedAt,
      )
      .map((alarm) => ({
        id: alarm.id,
        key: alarm.key,
        rule: alarm.spec.rule,
        level: alarm.spec.level,
        state: alarm.state,
        priority: alarm.spec.priority,
        value: alarm.value,
        limit: alarm.limit,
        activeSince: alarm.activeSince,
        changedAt: alarm.changedAt,
        shelvedUntil: alarm.shelvedUntil,
        message: alarm.message,
      }));
  }

  counts(): AlarmCounts {
    const counts = { unacknowledged: 0, active: 0, shelved: 0, suppressed: 0, outOfService: 0 };
    for (const alarm of this.transitions.current) {
      const state = alarm.state;
      if (state === 'active-unack' || state === 'rtn-unack') counts.unacknowledged++;
      if (state === 'active-unack' || state === 'active-ack') counts.active++;
      else if (state === 'shelved') counts.shelved++;
      else if (state === 'suppressed') counts.suppressed++;
      else if (state === 'out-of-service') counts.outOfService++;
    }
    return counts;
  }

  /** Every known alarm id (alarms exist once a point of a matching series has been seen, or were restored). */
  ids(): string[] {
    return [...this.index.alarms.keys()];
  }

  /** The state worth keeping across a restart (see alarm-snapshot.ts). */
  snapshot(): AlarmSnapshot {
    return takeSnapshot(this.index.alarms.values(), this.keyName);
  }

  /** Takes back a snapshot without announcing anything (quiet start; see alarm-snapshot.ts). */
  restore(snapshot: AlarmSnapshot): { restored: number; dropped: number } {
    return restoreSnapshot(snapshot, {
      keyName: this.keyName,
      index: this.index,
      transitions: this.transitions,
      now: this.now(),
    });
  }

  /** A point off the fast path: its ts in ms if it can be evaluated, or NaN after telling `refuse` why not. */
  private admit(point: AlarmPoint, index: number, refuse?: (index: number, reason: string) => void): number {
    const reason = (why: string) => {
      refuse?.(index, why);
      return NaN;
    };
    if (typeof point !== 'object' || point === null) {
      return reason(`a point must be an object (got ${describeValue(point)})`);
    }
    let ts: number;
    try {
      ts = normaliseTs(point.ts); // an ISO-8601 string, or a clear reason
    } catch (error) {
      return reason((error as Error).message);
    }
    if (typeof point.value !== 'number' || !Number.isFinite(point.value)) {
      return reason(`value must be a finite number (got ${describeValue(point.value)})`);
    }
    if (this.index.find(point) === undefined) {
      return reason(
        keyFieldProblem(point as unknown as Record<string, unknown>, this.rules.keyFields) ??
          `series cap of ${this.index.maxSeries} reached and no series is quiet enough to forget; a new series is not evaluated`,
      );
    }
    return ts;
  }

  private evaluatePoint(point: AlarmPoint, series: Series, ts: number, value: number): void {
    let rate = NaN;
    if (series.hasRate) {
      if (ts > series.prevTs) {
        rate = (value - series.prevValue) / (ts - series.prevTs);
        series.prevTs = ts;
        series.prevValue = value;
      } else if (Number.isNaN(series.prevTs)) {
        series.prevTs = ts;
        series.prevValue = value;
      }
    }
    // Where the point is, kept by each alarm it feeds as it comes (checked when an event is made).
    const tenant = point.tenant;
    const plant = point.plant;
    const line = point.line;
    const limits = series.limits;
    for (let i = 0; i < limits.length; i++) {
      const alarm = limits[i]!;
      const spec = alarm.spec as LimitSpec;
      let x = value;
      if (spec.rateFactor !== 0) {
        if (Number.isNaN(rate)) continue;
        x = rate * spec.rateFactor;
      }
      if (point.unit !== undefined) alarm.unit = point.unit;
      alarm.tenant = tenant;
      alarm.plant = plant;
      alarm.line = line;
      this.checkLimit(alarm, spec, x, ts);
    }
    const feeds = series.feeds;
    for (let i = 0; i < feeds.length; i++) {
      const feed = feeds[i]!;
      feed.alarm.inputs[feed.index] = value;
      feed.alarm.tenant = tenant;
      feed.alarm.plant = plant;
      feed.alarm.line = line;
      this.checkComposite(feed.alarm, feed.index, ts);
    }
  }

  private checkLimit(alarm: Alarm, spec: LimitSpec, value: number, ts: number): void {
    let x = value;
    if (spec.rateFactor !== 0)
      x = spec.direction === 'fall' ? -x : spec.direction === 'either' ? Math.abs(x) : x;
    // The deadband widens only the limit the active alarm crossed: it delays the return to normal, and a value
    // near the other limit of an `outside` band is still normal.
    const highBand = alarm.active && alarm.limit === spec.high ? spec.deadband : 0;
    const lowBand = alarm.active && alarm.limit === spec.low ? spec.deadband : 0;
    alarm.value = value;
    if (x > spec.high - highBand) {
      alarm.limit = spec.high;
      this.step(alarm, true, ts);
    } else if (x < spec.low + lowBand) {
      alarm.limit = spec.low;
      this.step(alarm, true, ts);
    } else this.step(alarm, false, ts);
  }

  private checkComposite(alarm: Alarm, trigger: number, ts: number): void {
    const spec = alarm.spec as CompositeSpec;
    let holds = !spec.any;
    for (let i = 0; i < spec.conditions.length; i++) {
      const input = alarm.inputs[i]!;
      if (Number.isNaN(input)) {
        if (spec.any) continue;
        return; // AND with an input not seen yet: no decision
      }
      const condition = spec.conditions[i]!;
      const band = alarm.active ? condition.deadband : 0;
      const met = Number.isNaN(condition.above)
        ? input < condition.below + band
        : input > condition.above - band;
      if (spec.any && met) holds = true;
      else if (!spec.any && !met) holds = false;
    }
    const condition = spec.conditions[trigger]!;
    alarm.value = alarm.inputs[trigger]!;
    alarm.limit = Number.isNaN(condition.above) ? condition.below : condition.above;
    this.step(alarm, holds, ts);
  }

  /** A condition reading at `ts`: changes the alarm at once, or after its on/off delay has run without a break. */
  private step(alarm: Alarm, condition: boolean, ts: number): void {
    // A point behind the alarm's own time (a late point, a device clock stepped back) keeps that time, and what
    // it starts runs on the clock from its arrival.
    let lag = 0;
    if (ts < alarm.seenTs) lag = this.alarmNow(alarm, this.evaluateClock, NaN) - ts;
    else {
      alarm.seenTs = ts;
      alarm.seenClock = this.evaluateClock;
    }
    if (condition === alarm.active) {
      alarm.pendingDue = NaN;
      return;
    }
    const delay = condition ? alarm.spec.onDelayMs : alarm.spec.offDelayMs;
    if (delay === 0) return this.transitions.change(alarm, condition, ts, lag);
    if (Number.isNaN(alarm.pendingDue)) {
      alarm.pendingDue = ts + delay;
      alarm.pendingLag = lag;
      this.transitions.timed.add(alarm);
    } else if (ts >= alarm.pendingDue)
      this.transitions.change(alarm, condition, alarm.pendingDue, alarm.pendingLag);
  }
}

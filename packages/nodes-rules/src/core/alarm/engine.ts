// The alarm state machine (ISA-18.2 / IEC 62682): one alarm per rule, level and series (or machine, for
// composite rules). Conditions go through deadband and on/off delays; what operators see goes through
// acknowledgement, shelving, suppression and out-of-service. Time is event time: the points' ts, carried forward
// by an injected clock between points, so delays and shelving expire without new points and under fake timers.
import { describeValue, isIdentifier, MAX_TS_MS, MIN_TS_MS, normaliseTs } from '@plantwire/telemetry';
import { keyFieldProblem, type KeyFields } from '../series-key.js';
import {
  compileRules,
  type CompiledRules,
  type CompositeSpec,
  type Level,
  type LimitSpec,
  type Priority,
  PRIORITIES,
} from './rules.js';

export const ALARM_STATES = [
  'normal',
  'active-unack',
  'active-ack',
  'rtn-unack',
  'shelved',
  'suppressed',
  'out-of-service',
] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

export const ALARM_COMMANDS = [
  'ack',
  'shelve',
  'unshelve',
  'suppress',
  'unsuppress',
  'disable',
  'enable',
] as const;
export type AlarmCommandName = (typeof ALARM_COMMANDS)[number];

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

export interface AlarmEvent {
  id: string;
  key: string;
  rule: string;
  level: Level;
  state: AlarmState | 'flood';
  previous: AlarmState | 'flood';
  priority: Priority;
  value: number;
  limit: number;
  ts: number;
  message: string;
  by?: string;
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

export interface AlarmCommand {
  command: AlarmCommandName;
  /** An alarm id, or '*' for every alarm. */
  alarm: string;
  /** shelve only: how long, 0 < minutes <= maxShelveMinutes. */
  minutes?: number;
  /** Who asked (kept in the event, for the audit trail). */
  by?: string;
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

/** The persisted form: enough to come back after a restart without announcing anything again. */
export interface AlarmSnapshot {
  version: 1;
  key: string;
  alarms: AlarmRecord[];
}

interface AlarmRecord {
  id: string;
  key: string;
  composite: boolean;
  active: boolean;
  acked: boolean;
  outOfService: boolean;
  suppressed: boolean;
  shelvedUntil: number;
  value: number;
  limit: number;
  unit: string;
  activeSince: number;
  announcedAt: number;
  changedAt: number;
  activations: number[];
  message: string;
}

export class AlarmCommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlarmCommandError';
  }
}

// Read once: a CommonJS build reaches imported bindings through getters, too slow for a per-point test.
const EARLIEST_TS = MIN_TS_MS;
const LATEST_TS = MAX_TS_MS;
const isKeyPart = isIdentifier;

const PRIORITY_RANK = Object.fromEntries(PRIORITIES.map((p, i) => [p, i])) as Record<Priority, number>;

class Alarm {
  active = false;
  acked = true;
  outOfService = false;
  suppressed = false;
  /** Shelved until this event time; 0 = not shelved. */
  shelvedUntil = 0;
  value = NaN;
  limit = NaN;
  unit = '';
  activeSince = 0;
  announcedAt = 0;
  changedAt = 0;
  /** When the pending change (to !active) takes effect; NaN = none. */
  pendingDue = NaN;
  /** The newest ts of this alarm's points and the clock when it came: its own event time runs on from there. */
  seenTs = NaN;
  seenClock = 0;
  activations: number[] = [];
  message = '';
  /** Composite rules: the latest value of each condition's metric (NaN = not seen yet). */
  readonly inputs: Float64Array;

  constructor(
    readonly id: string,
    readonly key: string,
    readonly spec: LimitSpec | CompositeSpec,
    readonly composite: boolean,
  ) {
    this.inputs = new Float64Array(composite ? (spec as CompositeSpec).conditions.length : 0).fill(NaN);
  }

  get masked(): boolean {
    return this.outOfService || this.suppressed || this.shelvedUntil > 0;
  }

  get state(): AlarmState {
    if (this.outOfService) return 'out-of-service';
    if (this.suppressed) return 'suppressed';
    if (this.shelvedUntil > 0) return 'shelved';
    if (this.active) return this.acked ? 'active-ack' : 'active-unack';
    return this.acked ? 'normal' : 'rtn-unack';
  }
}

interface Series {
  key: string;
  /** The machine whose composite alarms this series feeds, if any. */
  machine: Machine | undefined;
  limits: Alarm[];
  /** Composite alarms fed by this series, with the index of the condition it feeds. */
  feeds: { alarm: Alarm; index: number }[];
  hasRate: boolean;
  prevTs: number;
  prevValue: number;
}

/** A machine's composite alarms, and how many held series feed them. */
interface Machine {
  key: string;
  alarms: Alarm[];
  feeders: number;
}

/** The series of a point that matches no rule: evaluated as nothing, never held. */
const NO_RULES: Series = {
  key: '',
  machine: undefined,
  limits: [],
  feeds: [],
  hasRate: false,
  prevTs: NaN,
  prevValue: NaN,
};

const METRIC_VERDICTS = 1024; // metrics known to match no rule, remembered by name (cleared when full)
const CAP_SWEEP_SHARE = 0.1; // a sweep at the cap forgets up to this share of the cap, so sweeps stay rare
const CAP_RETRY_MS = 1000; // after a sweep that found nothing quiet, new series are refused this long unscanned
const CAP_WARNING_MS = 60_000;

export class AlarmEngine {
  readonly rules: CompiledRules;
  private readonly keyName: KeyFields;
  private readonly series = new Map<string, Series>();
  /** The same series, reached field by field (machine, then metric): no key string is built per point. */
  private readonly seriesTree = new Map<string, unknown>();
  private readonly machines = new Map<string, Machine>();
  private readonly alarms = new Map<string, Alarm>();
  /** Metrics no rule can match, whatever the machine: their points skip the rule matching. */
  private readonly metricsWithoutRules = new Set<string>();
  /** Alarms that are not normal: the current list. */
  private readonly current = new Set<Alarm>();
  /** Alarms with something due (a delay, a shelve end, a re-alarm); cleaned lazily. */
  private readonly timed = new Set<Alarm>();
  private events: AlarmEvent[] = [];
  private listChanged = false;
  private readonly clock: () => number;
  private anchorTs = NaN;
  private anchorClock = 0;
  /** The clock during evaluate(): read once per call, not per point. */
  private evaluateClock = 0;
  private readonly chatter: { count: number; windowMs: number; shelveMs: number };
  private readonly flood: { count: number; windowMs: number };
  private readonly maxShelveMinutes: number;
  private floodTimes: number[] = [];
  private flooding = false;
  private floodTotal = 0;
  private readonly maxSeries: number;
  private readonly warn: (message: string) => void;
  private sweepAfter = -Infinity;
  private warnAfter = -Infinity;
  private forgotten = 0;
  private refusedNew = 0;

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
    this.chatter = {
      count: chatter.count,
      windowMs: chatter.windowS * 1000,
      shelveMs: chatter.shelveMinutes * 60_000,
    };
    this.flood = { count: flood.count, windowMs: flood.windowS * 1000 };
    this.maxSeries = options.maxSeries ?? 100_000;
    if (!Number.isInteger(this.maxSeries) || this.maxSeries < 1)
      throw new Error(`max series must be a whole number of 1 or more (got ${options.maxSeries})`);
    this.warn = options.warn ?? (() => {});
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
        (series = this.findSeries(point)) !== undefined
      ) {
        this.evaluatePoint(point, series, ts, point.value);
      } else {
        ts = this.admit(point, i, refuse);
        if (Number.isNaN(ts)) continue;
        this.evaluatePoint(point, this.findSeries(point)!, ts, point.value);
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
    for (const alarm of this.timed) {
      const alarmNow = this.alarmNow(alarm, clock, now);
      let due = false;
      if (!Number.isNaN(alarm.pendingDue)) {
        if (alarmNow >= alarm.pendingDue) this.change(alarm, !alarm.active, alarm.pendingDue);
        else due = true;
      }
      if (alarm.shelvedUntil > 0) {
        if (alarmNow >= alarm.shelvedUntil) {
          const at = alarm.shelvedUntil;
          this.unmask(alarm, () => (alarm.shelvedUntil = 0), at, 'shelve expired');
        } else due = true;
      }
      const reAlarmMs = alarm.spec.reAlarmMs;
      if (reAlarmMs > 0 && alarm.active && !alarm.masked) {
        // Periods missed while nothing ran (a long gap, a backlog catching up) make one re-alarm, not a burst.
        const periods = Math.floor((alarmNow - alarm.announcedAt) / reAlarmMs);
        if (periods >= 1) this.reAlarm(alarm, alarm.announcedAt + periods * reAlarmMs);
        due = true;
      }
      if (!due) this.timed.delete(alarm);
    }
    if (this.flooding) {
      this.trimFlood(now);
      if (this.floodTimes.length < this.flood.count) this.endFlood(now);
    }
  }

  /** When the next thing falls due, in the event time of now(), or undefined; a timer should call tick() then. */
  nextDueAt(): number | undefined {
    const clock = this.clock();
    const now = this.now(clock);
    let next = Infinity;
    for (const alarm of this.timed) {
      let due = Infinity;
      if (alarm.pendingDue < due) due = alarm.pendingDue;
      if (alarm.shelvedUntil > 0 && alarm.shelvedUntil < due) due = alarm.shelvedUntil;
      if (alarm.spec.reAlarmMs > 0 && alarm.active && !alarm.masked) {
        due = Math.min(due, alarm.announcedAt + alarm.spec.reAlarmMs);
      }
      // From the alarm's own event time to now()'s: the same wait.
      if (due !== Infinity) next = Math.min(next, due - this.alarmNow(alarm, clock, now) + now);
    }
    if (this.flooding && this.floodTimes.length > 0)
      next = Math.min(next, this.floodTimes[0]! + this.flood.windowMs);
    return next === Infinity ? undefined : next;
  }

  /** Checks a command completely, then applies it; a bad command throws and changes nothing. Returns how many alarms changed. */
  command(input: unknown): number {
    const command = this.checkCommand(input);
    const clock = this.clock();
    const globalNow = this.now(clock);
    const targets = command.alarm === '*' ? [...this.alarms.values()] : [this.alarms.get(command.alarm)!];
    const by = command.by;
    const suffix = by ? ` by ${by}` : '';
    let changed = 0;
    for (const alarm of targets) {
      const before = alarm.state;
      const now = this.alarmNow(alarm, clock, globalNow);
      switch (command.command) {
        case 'ack':
          if (alarm.masked || alarm.acked) continue;
          alarm.acked = true;
          this.announce(alarm, before, now, `acknowledged${suffix}`, by);
          break;
        case 'shelve':
          alarm.shelvedUntil = now + command.minutes! * 60_000;
          this.timed.add(alarm);
          this.announce(alarm, before, now, `shelved for ${command.minutes} min${suffix}`, by, true);
          break;
        case 'unshelve':
          if (alarm.shelvedUntil === 0) continue;
          this.unmask(alarm, () => (alarm.shelvedUntil = 0), now, `unshelved${suffix}`, by);
          break;
        case 'suppress':
          if (alarm.suppressed) continue;
          alarm.suppressed = true;
          this.announce(alarm, before, now, `suppressed${suffix}`, by);
          break;
        case 'unsuppress':
          if (!alarm.suppressed) continue;
          this.unmask(alarm, () => (alarm.suppressed = false), now, `unsuppressed${suffix}`, by);
          break;
        case 'disable':
          if (alarm.outOfService) continue;
          alarm.outOfService = true;
          this.announce(alarm, before, now, `out of service${suffix}`, by);
          break;
        case 'enable':
          if (!alarm.outOfService) continue;
          this.unmask(alarm, () => (alarm.outOfService = false), now, `back in service${suffix}`, by);
          break;
      }
      changed++;
    }
    return changed;
  }

  /** Events since the last call, oldest first. */
  takeEvents(): AlarmEvent[] {
    const events = this.events;
    if (events.length > 0) this.events = [];
    return events;
  }

  /** True once after the current alarm list changed. */
  takeListChanged(): boolean {
    const changed = this.listChanged;
    this.listChanged = false;
    return changed;
  }

  /** Every alarm that is not normal, highest priority first, then newest change first. */
  list(): AlarmListEntry[] {
    return [...this.current]
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
    for (const alarm of this.current) {
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
    return [...this.alarms.keys()];
  }

  /** The state worth keeping across a restart: every alarm that is not plainly normal. */
  snapshot(): AlarmSnapshot {
    const alarms: AlarmRecord[] = [];
    for (const alarm of this.alarms.values()) {
      if (alarm.state === 'normal' && alarm.activations.length === 0) continue;
      alarms.push({
        id: alarm.id,
        key: alarm.key,
        composite: alarm.composite,
        active: alarm.active,
        acked: alarm.acked,
        outOfService: alarm.outOfService,
        suppressed: alarm.suppressed,
        shelvedUntil: alarm.shelvedUntil,
        value: alarm.value,
        limit: alarm.limit,
        unit: alarm.unit,
        activeSince: alarm.activeSince,
        announcedAt: alarm.announcedAt,
        changedAt: alarm.changedAt,
        activations: alarm.activations,
        message: alarm.message,
      });
    }
    return { version: 1, key: this.keyName, alarms };
  }

  /**
   * Takes back a snapshot without announcing anything (quiet start): alarms that were active stay active and
   * are re-checked by the next points. A delay that was running is not kept: it starts again from fresh points
   * rather than firing on a reading from before the restart. Alarms of rules that no longer exist are dropped.
   */
  restore(snapshot: AlarmSnapshot): { restored: number; dropped: number } {
    if (snapshot?.version !== 1 || !Array.isArray(snapshot.alarms))
      throw new Error('not an alarm state snapshot (version 1)');
    if (snapshot.key !== this.keyName) return { restored: 0, dropped: snapshot.alarms.length };
    let restored = 0;
    for (const record of snapshot.alarms) {
      // Only keys made of identifiers can belong to an alarm: anything else in the file is skipped (dropped).
      if (typeof record?.id !== 'string' || typeof record.key !== 'string') continue;
      if (!record.key.split('/').every(isIdentifier)) continue;
      const candidates = record.composite
        ? this.machineFor(record.key).alarms
        : (this.seriesFor(record.key.split('/'))?.limits ?? []);
      const alarm = candidates.find((candidate) => candidate.id === record.id);
      if (!alarm) continue;
      alarm.active = record.active;
      alarm.acked = record.acked;
      alarm.outOfService = record.outOfService;
      alarm.suppressed = record.suppressed;
      alarm.shelvedUntil = record.shelvedUntil;
      alarm.value = record.value ?? NaN;
      alarm.limit = record.limit ?? NaN;
      alarm.unit = record.unit ?? '';
      alarm.activeSince = record.activeSince;
      // A restart does not count as time without an answer: the re-alarm clock starts again now.
      alarm.announcedAt = Math.max(record.announcedAt, this.now());
      alarm.changedAt = record.changedAt;
      alarm.activations = record.activations ?? [];
      alarm.message = record.message ?? '';
      if (alarm.state !== 'normal') this.current.add(alarm);
      this.timed.add(alarm);
      restored++;
    }
    this.listChanged = true;
    return { restored, dropped: snapshot.alarms.length - restored };
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
    if (this.findSeries(point) === undefined) {
      return reason(
        keyFieldProblem(point as unknown as Record<string, unknown>, this.rules.keyFields) ??
          `series cap of ${this.maxSeries} reached and no series is quiet enough to forget; a new series is not evaluated`,
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
      this.checkLimit(alarm, spec, x, ts);
    }
    const feeds = series.feeds;
    for (let i = 0; i < feeds.length; i++) {
      const feed = feeds[i]!;
      feed.alarm.inputs[feed.index] = value;
      this.checkComposite(feed.alarm, feed.index, ts);
    }
  }

  private checkLimit(alarm: Alarm, spec: LimitSpec, value: number, ts: number): void {
    let x = value;
    if (spec.rateFactor !== 0)
      x = spec.direction === 'fall' ? -x : spec.direction === 'either' ? Math.abs(x) : x;
    // The deadband widens the limit only while the alarm is active: it delays the return to normal.
    const band = alarm.active ? spec.deadband : 0;
    alarm.value = value;
    if (x > spec.high - band) {
      alarm.limit = spec.high;
      this.step(alarm, true, ts);
    } else if (x < spec.low + band) {
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
    if (!(ts < alarm.seenTs)) {
      alarm.seenTs = ts;
      alarm.seenClock = this.evaluateClock;
    }
    if (condition === alarm.active) {
      alarm.pendingDue = NaN;
      return;
    }
    const delay = condition ? alarm.spec.onDelayMs : alarm.spec.offDelayMs;
    if (delay === 0) return this.change(alarm, condition, ts);
    if (Number.isNaN(alarm.pendingDue)) {
      alarm.pendingDue = ts + delay;
      this.timed.add(alarm);
    } else if (ts >= alarm.pendingDue) this.change(alarm, condition, alarm.pendingDue);
  }

  private change(alarm: Alarm, active: boolean, ts: number): void {
    const before = alarm.state;
    alarm.active = active;
    alarm.pendingDue = NaN;
    if (!active) return this.announce(alarm, before, ts, this.describe(alarm, 'returned to normal'));
    alarm.activeSince = ts;
    alarm.announcedAt = ts;
    alarm.acked = false;
    if (alarm.spec.reAlarmMs > 0) this.timed.add(alarm);
    if (alarm.masked) return this.announce(alarm, before, ts, '');
    if (this.chatter.count > 0) {
      const activations = alarm.activations;
      activations.push(ts);
      while (activations.length > 0 && activations[0]! <= ts - this.chatter.windowMs) activations.shift();
      if (activations.length >= this.chatter.count) {
        alarm.activations = [];
        alarm.shelvedUntil = ts + this.chatter.shelveMs;
        this.timed.add(alarm);
        const reason = `chattering: ${activations.length} activations within ${this.chatter.windowMs / 1000} s; shelved for ${this.chatter.shelveMs / 60_000} min`;
        return this.announce(alarm, before, ts, reason);
      }
    }
    this.announce(alarm, before, ts, this.describe(alarm, 'active'));
    if (this.flood.count > 0) this.countFlood(ts);
  }

  private reAlarm(alarm: Alarm, ts: number): void {
    const before = alarm.state;
    alarm.acked = false;
    alarm.announcedAt = ts;
    const minutes = Math.round((ts - alarm.activeSince) / 60_000);
    this.announce(
      alarm,
      before,
      ts,
      this.describe(alarm, `still active after ${minutes} min`),
      undefined,
      true,
    );
  }

  /** Leaves shelved / suppressed / out of service: an alarm still active must be acknowledged again. */
  private unmask(alarm: Alarm, clear: () => void, ts: number, reason: string, by?: string): void {
    const before = alarm.state;
    clear();
    if (!alarm.masked) {
      alarm.acked = !alarm.active;
      if (alarm.active) alarm.announcedAt = ts;
    }
    this.announce(
      alarm,
      before,
      ts,
      alarm.active ? `${reason}; ${this.describe(alarm, 'active')}` : reason,
      by,
    );
  }

  /** Emits an event when the visible state changed (or always, when `force`), and keeps the current list. */
  private announce(
    alarm: Alarm,
    before: AlarmState,
    ts: number,
    message: string,
    by?: string,
    force = false,
  ): void {
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

  private describe(alarm: Alarm, what: string): string {
    const spec = alarm.spec;
    if (spec.message) {
      return spec.message.replace(/\{(key|rule|level|value|limit|unit|state)\}/g, (_, name: string) => {
        if (name === 'key') return alarm.key;
        if (name === 'rule') return spec.rule;
        if (name === 'level') return spec.level;
        if (name === 'value') return round(alarm.value);
        if (name === 'limit') return round(alarm.limit);
        if (name === 'unit') return alarm.unit;
        return what;
      });
    }
    const unit = alarm.unit ? ` ${alarm.unit}` : '';
    if (alarm.composite) {
      const composite = spec as CompositeSpec;
      const parts = composite.conditions.map((c, i) => {
        const input = alarm.inputs[i]!;
        return Number.isNaN(c.above)
          ? `${c.metric} ${round(input)} < ${c.below}`
          : `${c.metric} ${round(input)} > ${c.above}`;
      });
      return `${alarm.key} ${spec.rule} ${what}: ${parts.join(composite.any ? ' OR ' : ' AND ')}`;
    }
    const limit = spec as LimitSpec;
    const rate = limit.rateFactor !== 0 ? `/${limit.rateFactor === 1000 ? 's' : 'min'}` : '';
    const side = limit.mode === 'rate' ? 'rate' : alarm.limit === limit.low ? 'below' : 'above';
    return `${alarm.key} ${spec.level} ${what}: ${round(alarm.value)}${unit}${rate} (${side} ${round(alarm.limit)}${rate})`;
  }

  private countFlood(ts: number): void {
    this.floodTimes.push(ts);
    if (this.flooding) {
      this.floodTotal++;
      return;
    }
    this.trimFlood(ts);
    if (this.floodTimes.length < this.flood.count) return;
    this.flooding = true;
    this.floodTotal = this.floodTimes.length;
    this.events.push(
      this.floodEvent(
        'flood',
        'normal',
        ts,
        `alarm flood: ${this.floodTimes.length} alarms within ${this.flood.windowMs / 1000} s`,
      ),
    );
  }

  private endFlood(ts: number): void {
    this.flooding = false;
    this.events.push(
      this.floodEvent('normal', 'flood', ts, `alarm flood over: ${this.floodTotal} alarms in all`),
    );
  }

  private trimFlood(now: number): void {
    const cutoff = now - this.flood.windowMs;
    let drop = 0;
    while (drop < this.floodTimes.length && this.floodTimes[drop]! <= cutoff) drop++;
    if (drop > 0) this.floodTimes.splice(0, drop);
  }

  private floodEvent(
    state: 'flood' | 'normal',
    previous: 'flood' | 'normal',
    ts: number,
    message: string,
  ): AlarmEvent {
    return {
      id: 'flood',
      key: '*',
      rule: 'flood',
      level: 'critical',
      state,
      previous,
      priority: 'high',
      value: this.floodTimes.length,
      limit: this.flood.count,
      ts,
      message,
    };
  }

  private checkCommand(input: unknown): AlarmCommand {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new AlarmCommandError(
        `a command must be an object such as {"command": "ack", "alarm": "<id>" or "*"} (got ${JSON.stringify(input)})`,
      );
    }
    const command = input as Record<string, unknown>;
    if (!ALARM_COMMANDS.includes(command.command as AlarmCommandName)) {
      throw new AlarmCommandError(
        `unknown command ${JSON.stringify(command.command)}: use ${ALARM_COMMANDS.join(', ')}`,
      );
    }
    if (typeof command.alarm !== 'string' || command.alarm === '') {
      throw new AlarmCommandError(`${String(command.command)} needs alarm: an alarm id or "*" for all`);
    }
    if (command.alarm !== '*' && !this.alarms.has(command.alarm)) {
      throw new AlarmCommandError(
        `no alarm with id ${JSON.stringify(command.alarm)} (${this.alarms.size} alarms known)`,
      );
    }
    if (command.command === 'shelve') {
      const minutes = command.minutes;
      if (typeof minutes !== 'number' || !(minutes > 0 && minutes <= this.maxShelveMinutes)) {
        throw new AlarmCommandError(
          `shelve needs minutes: a number above 0 and at most ${this.maxShelveMinutes} (got ${JSON.stringify(minutes)})`,
        );
      }
    }
    if (command.by !== undefined && (typeof command.by !== 'string' || command.by.length > 64)) {
      throw new AlarmCommandError('by must be a string of at most 64 characters (who sent the command)');
    }
    return command as unknown as AlarmCommand;
  }

  /**
   * The series of a point, through the tree of names already checked; undefined when a key field is bad or the
   * series cap leaves no room.
   */
  private findSeries(point: AlarmPoint): Series | undefined {
    const fields = this.rules.keyFields;
    let level: Map<string, unknown> | undefined = this.seriesTree;
    // The default key (machine/metric) skips the generic walk: a monomorphic property read is much faster.
    if (fields.length === 2) level = level.get(point.machine) as Map<string, unknown> | undefined;
    else {
      for (let i = 0; i < fields.length - 1 && level !== undefined; i++) {
        level = level.get(point[fields[i] as keyof AlarmPoint] as string) as Map<string, unknown> | undefined;
      }
    }
    return (level?.get(point.metric) as Series | undefined) ?? this.addSeries(point);
  }

  /** First sight of a series: its key fields are checked, then it joins the tree if any rule applies. */
  private addSeries(point: AlarmPoint): Series | undefined {
    const fields = this.rules.keyFields;
    for (let i = 0; i < fields.length; i++)
      if (!isKeyPart(point[fields[i] as keyof AlarmPoint])) return undefined;
    if (this.metricsWithoutRules.has(point.metric)) return NO_RULES;
    const parts = fields.map((field) => point[field as keyof AlarmPoint]) as string[];
    const series = this.seriesFor(parts);
    if (series === undefined || series === NO_RULES) return series;
    let level = this.seriesTree;
    for (let i = 0; i < parts.length - 1; i++) {
      let next = level.get(parts[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(parts[i]!, next);
      }
      level = next;
    }
    level.set(point.metric, series);
    return series;
  }

  /**
   * The series for a key, with an alarm per matching rule and level, made on first sight; NO_RULES (not held)
   * when no rule applies; undefined when the cap is reached and no series is quiet enough to forget.
   */
  private seriesFor(parts: readonly string[]): Series | undefined {
    const key = parts.join('/');
    let series = this.series.get(key);
    if (series) return series;
    const limitRules = this.rules.limits.filter((rule) => rule.match(parts));
    const metric = parts[parts.length - 1]!;
    const machineParts = parts.slice(0, -1);
    const fed = this.rules.composites.some(
      (rule) => rule.spec.conditions.some((c) => c.metric === metric) && rule.match(machineParts),
    );
    if (limitRules.length === 0 && !fed) {
      if (!this.rules.limits.some((rule) => rule.match.last(metric)) && !this.feedsAnyComposite(metric)) {
        if (this.metricsWithoutRules.size >= METRIC_VERDICTS) this.metricsWithoutRules.clear();
        this.metricsWithoutRules.add(metric);
      }
      return NO_RULES;
    }
    if (this.series.size >= this.maxSeries && !this.forgetQuiet()) return undefined;
    series = { key, machine: undefined, limits: [], feeds: [], hasRate: false, prevTs: NaN, prevValue: NaN };
    for (const rule of limitRules) {
      for (const spec of rule.specs) {
        series.limits.push(this.register(new Alarm(`${key}:${spec.rule}:${spec.level}`, key, spec, false)));
        if (spec.rateFactor !== 0) series.hasRate = true;
      }
    }
    if (fed) {
      const machine = this.machineFor(machineParts.join('/'));
      for (const alarm of machine.alarms) {
        (alarm.spec as CompositeSpec).conditions.forEach((condition, index) => {
          if (condition.metric === metric) series!.feeds.push({ alarm, index });
        });
      }
      series.machine = machine;
      machine.feeders++;
    }
    this.series.set(key, series);
    return series;
  }

  private feedsAnyComposite(metric: string): boolean {
    return this.rules.composites.some((rule) => rule.spec.conditions.some((c) => c.metric === metric));
  }

  /** A machine's composite alarms, made on first sight; held only when a composite rule applies to it. */
  private machineFor(machineKey: string): Machine {
    let machine = this.machines.get(machineKey);
    if (machine) return machine;
    const segments = machineKey.split('/');
    const alarms = this.rules.composites
      .filter((rule) => rule.match(segments))
      .map(({ spec }) =>
        this.register(new Alarm(`${machineKey}:${spec.rule}:${spec.level}`, machineKey, spec, true)),
      );
    machine = { key: machineKey, alarms, feeders: 0 };
    if (alarms.length > 0) this.machines.set(machineKey, machine);
    return machine;
  }

  /** At the series cap: forgets quiet series, oldest first; false when none was quiet. */
  private forgetQuiet(): boolean {
    const clock = this.clock();
    let forgotten = 0;
    if (clock >= this.sweepAfter) {
      const target = Math.max(1, Math.ceil(this.maxSeries * CAP_SWEEP_SHARE));
      for (const series of this.series.values()) {
        if (!this.isQuiet(series)) continue;
        this.forget(series);
        if (++forgotten >= target) break;
      }
      if (forgotten === 0) this.sweepAfter = clock + CAP_RETRY_MS;
    }
    this.forgotten += forgotten;
    if (forgotten === 0) this.refusedNew++;
    if (clock >= this.warnAfter) {
      this.warnAfter = clock + CAP_WARNING_MS;
      const refused = this.refusedNew > 0 ? `; ${this.refusedNew} new series refused, none being quiet` : '';
      this.warn(
        `series cap of ${this.maxSeries} reached: ${this.forgotten} quiet series forgotten (they start afresh with their next point)${refused}`,
      );
      this.forgotten = 0;
      this.refusedNew = 0;
    }
    return forgotten > 0;
  }

  /** Nothing to lose: every alarm of the series (and of the composite alarms it feeds) is normal and idle. */
  private isQuiet(series: Series): boolean {
    for (const alarm of series.limits) if (!this.isIdle(alarm)) return false;
    for (const feed of series.feeds) if (!this.isIdle(feed.alarm)) return false;
    return true;
  }

  private isIdle(alarm: Alarm): boolean {
    if (alarm.state !== 'normal' || !Number.isNaN(alarm.pendingDue)) return false;
    const last = alarm.activations[alarm.activations.length - 1];
    return last === undefined || last <= alarm.seenTs - this.chatter.windowMs;
  }

  private forget(series: Series): void {
    this.series.delete(series.key);
    for (const alarm of series.limits) this.unregister(alarm);
    const machine = series.machine;
    if (machine !== undefined && --machine.feeders === 0 && machine.alarms.every((a) => this.isIdle(a))) {
      this.machines.delete(machine.key);
      for (const alarm of machine.alarms) this.unregister(alarm);
    }
    // Out of the tree, with the branches it leaves empty.
    const parts = series.key.split('/');
    const path: Map<string, unknown>[] = [this.seriesTree];
    for (let i = 0; i < parts.length - 1; i++) {
      const next = path[i]!.get(parts[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) return; // restored, and no point of it since: never in the tree
      path.push(next);
    }
    for (let i = parts.length - 1; i >= 0; i--) {
      path[i]!.delete(parts[i]!);
      if (i > 0 && path[i]!.size > 0) break;
    }
  }

  private unregister(alarm: Alarm): void {
    this.alarms.delete(alarm.id);
    this.timed.delete(alarm);
    this.current.delete(alarm);
  }

  private register(alarm: Alarm): Alarm {
    this.alarms.set(alarm.id, alarm);
    return alarm;
  }
}

function round(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 1000) / 1000) : String(value);
}

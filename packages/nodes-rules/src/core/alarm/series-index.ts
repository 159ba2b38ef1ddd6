// The series the alarm engine holds, found per point without building a key string, and their alarms, made on
// first sight. Bounded: at the cap, quiet series are forgotten (oldest first), or new series are refused.
import { isIdentifier } from '@plantwire/telemetry';
import { Alarm } from './alarm.js';
import type { AlarmTransitions } from './alarm-transitions.js';
import type { CompiledRules, CompositeSpec } from './rules.js';

/** What the index reads of a point: its key fields. */
export interface SeriesPoint {
  machine: string;
  metric: string;
  line?: string;
  plant?: string;
  tenant?: string;
}

export interface Series {
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
export interface Machine {
  key: string;
  alarms: Alarm[];
  feeders: number;
}

export interface SeriesIndexOptions {
  maxSeries: number;
  /** Activations within this window still count for chattering: a series with one is not quiet. */
  chatterWindowMs: number;
  clock: () => number;
  /** Told when the cap is reached (at most once a minute). */
  warn: (message: string) => void;
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

export class SeriesIndex {
  /** Every alarm of the held series and machines, by id. */
  readonly alarms = new Map<string, Alarm>();
  readonly maxSeries: number;
  private readonly series = new Map<string, Series>();
  /** The same series, reached field by field (machine, then metric): no key string is built per point. */
  private readonly tree = new Map<string, unknown>();
  private readonly machines = new Map<string, Machine>();
  /** Metrics no rule can match, whatever the machine: their points skip the rule matching. */
  private readonly metricsWithoutRules = new Set<string>();
  private readonly chatterWindowMs: number;
  private readonly clock: () => number;
  private readonly warn: (message: string) => void;
  private sweepAfter = -Infinity;
  private warnAfter = -Infinity;
  private forgotten = 0;
  private refusedNew = 0;

  constructor(
    private readonly rules: CompiledRules,
    private readonly transitions: AlarmTransitions,
    options: SeriesIndexOptions,
  ) {
    this.maxSeries = options.maxSeries;
    this.chatterWindowMs = options.chatterWindowMs;
    this.clock = options.clock;
    this.warn = options.warn;
  }

  /**
   * The series of a point, through the tree of names already checked; undefined when a key field is bad or the
   * series cap leaves no room.
   */
  find(point: SeriesPoint): Series | undefined {
    const fields = this.rules.keyFields;
    let level: Map<string, unknown> | undefined = this.tree;
    // The default key (machine/metric) skips the generic walk: a monomorphic property read is much faster.
    if (fields.length === 2) level = level.get(point.machine) as Map<string, unknown> | undefined;
    else {
      for (let i = 0; i < fields.length - 1 && level !== undefined; i++) {
        level = level.get(point[fields[i] as keyof SeriesPoint] as string) as
          Map<string, unknown> | undefined;
      }
    }
    return (level?.get(point.metric) as Series | undefined) ?? this.add(point);
  }

  /**
   * The series for a key, with an alarm per matching rule and level, made on first sight; NO_RULES (not held)
   * when no rule applies; undefined when the cap is reached and no series is quiet enough to forget.
   */
  seriesFor(parts: readonly string[]): Series | undefined {
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

  /** A machine's composite alarms, made on first sight; held only when a composite rule applies to it. */
  machineFor(machineKey: string): Machine {
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

  /** First sight of a series: its key fields are checked, then it joins the tree if any rule applies. */
  private add(point: SeriesPoint): Series | undefined {
    const fields = this.rules.keyFields;
    for (let i = 0; i < fields.length; i++)
      if (!isIdentifier(point[fields[i] as keyof SeriesPoint])) return undefined;
    if (this.metricsWithoutRules.has(point.metric)) return NO_RULES;
    const parts = fields.map((field) => point[field as keyof SeriesPoint]) as string[];
    const series = this.seriesFor(parts);
    if (series === undefined || series === NO_RULES) return series;
    let level = this.tree;
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

  private feedsAnyComposite(metric: string): boolean {
    return this.rules.composites.some((rule) => rule.spec.conditions.some((c) => c.metric === metric));
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
    return last === undefined || last <= alarm.seenTs - this.chatterWindowMs;
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
    const path: Map<string, unknown>[] = [this.tree];
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

  private register(alarm: Alarm): Alarm {
    this.alarms.set(alarm.id, alarm);
    return alarm;
  }

  private unregister(alarm: Alarm): void {
    this.alarms.delete(alarm.id);
    this.transitions.drop(alarm);
  }
}

// One alarm (ISA-18.2 / IEC 62682): one rule, level and series (or machine, for composite rules). What it holds,
// the state an operator sees, and the text it shows.
import { formatReading, isIdentifier } from '@plantwire/telemetry';
import type { CompositeSpec, Level, LimitSpec, Priority } from './rules.js';

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

export interface AlarmEvent {
  id: string;
  key: string;
  /**
   * Where the alarm is, when known: the tenant, plant and line of the newest point that fed it (for a composite
   * rule, the newest point of its machine; for a flood summary, what every alarm of the flood shares). Left out
   * when unknown, so a reader (alarm-notify, telemetry-validate) takes them from the key or its own settings.
   */
  tenant?: string;
  plant?: string;
  line?: string;
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

export class Alarm {
  active = false;
  acked = true;
  outOfService = false;
  suppressed = false;
  /** Shelved until this event time; 0 = not shelved. */
  shelvedUntil = 0;
  value = NaN;
  limit = NaN;
  unit = '';
  /**
   * Where its newest point came from, as the point said it (checked only when an event is made: this is set per
   * point, which must stay cheap); see place().
   */
  tenant: unknown = undefined;
  plant: unknown = undefined;
  line: unknown = undefined;
  activeSince = 0;
  announcedAt = 0;
  changedAt = 0;
  /** When the pending change (to !active) takes effect; NaN = none. */
  pendingDue = NaN;
  /**
   * How far behind this alarm's own event time the point that started the pending change (or the announcement)
   * was: its delay (or re-alarm period) runs on the clock from that point. A device clock stepped back is then
   * no time already passed; 0 for points in order.
   */
  pendingLag = 0;
  announcedLag = 0;
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

  /** The tenant, plant and line its newest point named, those that are identifiers (for an event or a snapshot). */
  place(): { tenant?: string; plant?: string; line?: string } {
    const place: { tenant?: string; plant?: string; line?: string } = {};
    if (isIdentifier(this.tenant)) place.tenant = this.tenant;
    if (isIdentifier(this.plant)) place.plant = this.plant;
    if (isIdentifier(this.line)) place.line = this.line;
    return place;
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

  /** The alarm's message for `what` happened: the rule's template, or the values and limits it crossed. */
  describe(what: string): string {
    const spec = this.spec;
    if (spec.message) {
      return spec.message.replace(/\{(key|rule|level|value|limit|unit|state)\}/g, (_, name: string) => {
        if (name === 'key') return this.key;
        if (name === 'rule') return spec.rule;
        if (name === 'level') return spec.level;
        if (name === 'value') return formatReading(this.value);
        if (name === 'limit') return formatReading(this.limit);
        if (name === 'unit') return this.unit;
        return what;
      });
    }
    const unit = this.unit ? ` ${this.unit}` : '';
    if (this.composite) {
      const composite = spec as CompositeSpec;
      const parts = composite.conditions.map((c, i) => {
        const input = this.inputs[i]!;
        return Number.isNaN(c.above)
          ? `${c.metric} ${formatReading(input)} < ${c.below}`
          : `${c.metric} ${formatReading(input)} > ${c.above}`;
      });
      return `${this.key} ${spec.rule} ${what}: ${parts.join(composite.any ? ' OR ' : ' AND ')}`;
    }
    const limit = spec as LimitSpec;
    const rate = limit.rateFactor !== 0 ? `/${limit.rateFactor === 1000 ? 's' : 'min'}` : '';
    const side = limit.mode === 'rate' ? 'rate' : this.limit === limit.low ? 'below' : 'above';
    return `${this.key} ${spec.level} ${what}: ${formatReading(this.value)}${unit}${rate} (limit: ${side} ${formatReading(this.limit)}${rate})`;
  }
}

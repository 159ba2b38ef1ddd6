// Alarm floods (ISA-18.2: more alarms than an operator can handle): one summary event when `count` alarms
// activate within a window, and one when the rate falls below it again, instead of a flag on every alarm.
import type { AlarmEvent } from './alarm.js';

/** Where an activation was (a field left out: unknown). */
export interface Place {
  tenant?: string;
  plant?: string;
  line?: string;
}

const PLACE_FIELDS = ['tenant', 'plant', 'line'] as const;

export class FloodWatch {
  private times: number[] = [];
  /** The place of each activation in `times`. */
  private places: Place[] = [];
  /** What every activation of the flood that began shared: carried by its start and end events. */
  private shared: Partial<Place> = {};
  private flooding = false;
  private total = 0;

  constructor(
    /** Activations within the window that make a flood (0: off). */
    readonly count: number,
    private readonly windowMs: number,
    private readonly emit: (event: AlarmEvent) => void,
  ) {}

  /** An alarm activated at `ts`. */
  activation(ts: number, place: Place): void {
    this.times.push(ts);
    this.places.push(place);
    if (this.flooding) {
      this.total++;
      return;
    }
    this.trim(ts);
    if (this.times.length < this.count) return;
    this.flooding = true;
    this.total = this.times.length;
    this.shared = {};
    for (const field of PLACE_FIELDS) {
      const first = this.places[0]![field];
      if (first !== undefined && this.places.every((place) => place[field] === first))
        this.shared[field] = first;
    }
    this.emit(
      this.event(
        'flood',
        'normal',
        ts,
        `alarm flood: ${this.times.length} alarms within ${this.windowMs / 1000} s`,
      ),
    );
  }

  /** Ends a flood whose rate has fallen below the count by `now`. */
  tick(now: number): void {
    if (!this.flooding) return;
    this.trim(now);
    if (this.times.length >= this.count) return;
    this.flooding = false;
    this.emit(this.event('normal', 'flood', now, `alarm flood over: ${this.total} alarms in all`));
  }

  /** When a flood could end next (the oldest activation leaves the window), or Infinity. */
  nextDueAt(): number {
    return this.flooding && this.times.length > 0 ? this.times[0]! + this.windowMs : Infinity;
  }

  private trim(now: number): void {
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop < this.times.length && this.times[drop]! <= cutoff) drop++;
    if (drop > 0) {
      this.times.splice(0, drop);
      this.places.splice(0, drop);
    }
  }

  private event(
    state: 'flood' | 'normal',
    previous: 'flood' | 'normal',
    ts: number,
    message: string,
  ): AlarmEvent {
    return {
      id: 'flood',
      key: '*',
      ...this.shared,
      rule: 'flood',
      level: 'critical',
      state,
      previous,
      priority: 'high',
      value: this.times.length,
      limit: this.count,
      ts,
      message,
    };
  }
}

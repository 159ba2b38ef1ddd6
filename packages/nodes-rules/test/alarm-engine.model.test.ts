import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALARM_COMMANDS, type AlarmCommandName } from '../src/core/alarm/alarm-commands.js';
import { AlarmEngine } from '../src/core/alarm/alarm-engine.js';
import type { AlarmEvent, AlarmState } from '../src/core/alarm/alarm.js';
import type { RuleInput } from '../src/core/alarm/rules.js';

// Model-based property test: random points and operator commands against the real engine, checked against a
// small model of the ISA-18.2 state machine. One series, two alarms (warning and critical), no delays: what a
// point does depends only on its value, so the model needs no clock beyond shelve ends.
type Op =
  | { kind: 'point'; value: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'command'; command: AlarmCommandName; all: boolean; warning: boolean; minutes: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('point' as const), value: fc.integer({ min: 70, max: 100 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.integer({ min: 0, max: 12 * 60_000 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('command' as const),
      command: fc.constantFrom(...ALARM_COMMANDS),
      all: fc.boolean(),
      warning: fc.boolean(),
      minutes: fc.integer({ min: 1, max: 10 }),
    }),
  },
);

const KEY = 'cnc-01/temperature';
const LIMITS = { warning: 80, critical: 90 } as const;

/** ISA-18.2's unmasked states by condition / acknowledged. */
const ISA_STATES: Record<string, AlarmState> = {
  'false/true': 'normal',
  'true/false': 'active-unack',
  'true/true': 'active-ack',
  'false/false': 'rtn-unack',
};

/** One alarm as ISA-18.2 describes it. */
class ModelAlarm {
  active = false;
  acked = true;
  shelvedUntil = 0;
  suppressed = false;
  outOfService = false;

  constructor(
    readonly id: string,
    readonly limit: number,
    readonly deadband: number,
  ) {}

  get masked(): boolean {
    return this.outOfService || this.suppressed || this.shelvedUntil > 0;
  }

  /** The strongest mask wins; unmasked, the condition and the acknowledgement say it (ISA_STATES). */
  get state(): AlarmState {
    if (!this.masked) return ISA_STATES[`${this.active}/${this.acked}`]!;
    return this.outOfService ? 'out-of-service' : this.suppressed ? 'suppressed' : 'shelved';
  }

  /** The condition follows the value whatever the mask; a new activation always needs an acknowledgement. */
  point(value: number): void {
    const condition = value > this.limit - (this.active ? this.deadband : 0);
    if (condition && !this.active) this.acked = false;
    this.active = condition;
  }

  /** ack of active-unack -> active-ack, of rtn-unack -> normal; a masked alarm takes no ack. */
  ack(): void {
    if (!this.masked) this.acked = true;
  }

  /** The last mask gone: an alarm still active must be acknowledged again, one that is not is normal. */
  unmask(clear: () => void): void {
    const wasMasked = this.masked;
    clear();
    if (wasMasked && !this.masked) this.acked = !this.active;
  }
}

function check(ops: Op[], deadband: number): void {
  let now = 1_767_225_600_000;
  const rule = { name: 'temp-high', match: '*/temperature', mode: 'above', ...LIMITS, deadband } as RuleInput;
  const engine = new AlarmEngine({ rules: [rule], clock: () => now });
  const model = (['warning', 'critical'] as const).map(
    (level) => new ModelAlarm(`${KEY}:temp-high:${level}`, LIMITS[level], deadband),
  );
  let seen = false; // the alarms exist once the series has sent a point

  for (const step of ops) {
    const before = model.map((alarm) => alarm.state);
    /** Alarms whose event must be sent even without a change of state (a shelve is always recorded). */
    const recorded = new Set<string>();
    switch (step.kind) {
      case 'point':
        engine.evaluate({ ts: now, machine: 'cnc-01', metric: 'temperature', value: step.value });
        seen = true;
        for (const alarm of model) alarm.point(step.value);
        break;
      case 'advance':
        now += step.ms;
        engine.tick();
        for (const alarm of model) {
          if (alarm.shelvedUntil > 0 && now >= alarm.shelvedUntil)
            alarm.unmask(() => (alarm.shelvedUntil = 0));
        }
        break;
      case 'command': {
        if (!seen) {
          expect(engine.command({ command: step.command, alarm: '*', minutes: step.minutes })).toBe(0);
          break;
        }
        const targets = step.all ? model : [model[step.warning ? 0 : 1]!];
        engine.command({
          command: step.command,
          alarm: step.all ? '*' : targets[0]!.id,
          minutes: step.minutes,
        });
        for (const alarm of targets) {
          switch (step.command) {
            case 'ack':
              alarm.ack();
              break;
            case 'shelve':
              alarm.shelvedUntil = now + step.minutes * 60_000;
              recorded.add(alarm.id);
              break;
            case 'unshelve':
              alarm.unmask(() => (alarm.shelvedUntil = 0));
              break;
            case 'suppress':
              alarm.suppressed = true;
              break;
            case 'unsuppress':
              alarm.unmask(() => (alarm.suppressed = false));
              break;
            case 'disable':
              alarm.outOfService = true;
              break;
            case 'enable':
              alarm.unmask(() => (alarm.outOfService = false));
              break;
          }
        }
        break;
      }
    }

    const events = engine.takeEvents();
    const expected: Pick<AlarmEvent, 'id' | 'previous' | 'state'>[] = [];
    model.forEach((alarm, i) => {
      if (alarm.state !== before[i] || recorded.has(alarm.id))
        expected.push({ id: alarm.id, previous: before[i]!, state: alarm.state });
    });
    // Exactly the changes the model makes, each with the state before it as `previous` (one event per alarm at
    // most; the two alarms' events come in whatever order they fell due).
    const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
    expect(events.map(({ id, previous, state }) => ({ id, previous, state })).sort(byId)).toEqual(
      expected.sort(byId),
    );
    for (const event of events) {
      // No event repeats a state, except the record of a shelve command (renewed, or under a stronger mask).
      if (event.state === event.previous) expect(recorded.has(event.id)).toBe(true);
      // A masked alarm never announces: a point only moves its hidden condition.
      if (step.kind === 'point')
        expect(['shelved', 'suppressed', 'out-of-service']).not.toContain(event.previous);
    }
    const listed = new Map(engine.list().map((entry) => [entry.id, entry.state]));
    for (const alarm of model) expect(listed.get(alarm.id) ?? 'normal').toBe(alarm.state);
  }
}

describe('AlarmEngine against an ISA-18.2 model', () => {
  it('follows the model for random points, commands and time, without a deadband', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => check(ops, 0)),
      { numRuns: 500 },
    );
  });

  it('and with a deadband, which holds an active alarm until the value is clear of it', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => check(ops, 5)),
      { numRuns: 500 },
    );
  });
});

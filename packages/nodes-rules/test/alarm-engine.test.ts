import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AlarmCommandError } from '../src/core/alarm/alarm-commands.js';
import { AlarmEngine, type AlarmEngineOptions, type AlarmPoint } from '../src/core/alarm/alarm-engine.js';
import { AlarmConfigError, type RuleInput } from '../src/core/alarm/rules.js';

const T0 = 1_767_225_600_000;
const ID = 'cnc-01/temperature:temp-high:critical';

// Fake timers drive the engine's default clock (Date.now): time only moves when a test says so.
beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** An engine on the (fake) wall clock; points are stamped with the current time unless they say otherwise. */
function setup(rules: RuleInput[], options: Partial<AlarmEngineOptions> = {}) {
  const engine = new AlarmEngine({ rules, ...options });
  const point = (value: number, over: Partial<AlarmPoint> = {}): AlarmPoint => ({
    ts: Date.now(),
    machine: 'cnc-01',
    metric: 'temperature',
    value,
    unit: 'degC',
    ...over,
  });
  return {
    engine,
    /** Sends points at the current time (clock + 0) and returns the events they caused. */
    send(...points: (number | AlarmPoint)[]) {
      engine.evaluate(points.map((p) => (typeof p === 'number' ? point(p) : p)));
      return engine.takeEvents();
    },
    advance(ms: number) {
      vi.advanceTimersByTime(ms);
      engine.tick();
      return engine.takeEvents();
    },
    point,
    state: (id = ID) => engine.list().find((entry) => entry.id === id)?.state ?? 'normal',
  };
}

const above: RuleInput = { name: 'temp-high', match: '*/temperature', mode: 'above', critical: 90 };

type Step = number | { command: string; alarm?: string; minutes?: number } | { advance: number };

// Every ISA-18.2 transition: the steps that lead up to it, then the step under test and what it must produce.
const transitions: { from: string; to: string; before: Step[]; step: Step; rules?: RuleInput[] }[] = [
  { from: 'normal', to: 'active-unack', before: [50], step: 95 },
  { from: 'active-unack', to: 'active-ack', before: [95], step: { command: 'ack' } },
  { from: 'active-ack', to: 'normal', before: [95, { command: 'ack' }], step: 50 },
  { from: 'active-unack', to: 'rtn-unack', before: [95], step: 50 },
  { from: 'rtn-unack', to: 'normal', before: [95, 50], step: { command: 'ack' } },
  { from: 'rtn-unack', to: 'active-unack', before: [95, 50], step: 96 },
  { from: 'normal', to: 'shelved', before: [50], step: { command: 'shelve', minutes: 10 } },
  { from: 'active-unack', to: 'shelved', before: [95], step: { command: 'shelve', minutes: 10 } },
  {
    from: 'active-ack',
    to: 'shelved',
    before: [95, { command: 'ack' }],
    step: { command: 'shelve', minutes: 10 },
  },
  { from: 'rtn-unack', to: 'shelved', before: [95, 50], step: { command: 'shelve', minutes: 10 } },
  {
    from: 'shelved',
    to: 'active-unack',
    before: [95, { command: 'shelve', minutes: 10 }],
    step: { command: 'unshelve' },
  },
  {
    from: 'shelved',
    to: 'normal',
    before: [95, { command: 'shelve', minutes: 10 }, 50],
    step: { command: 'unshelve' },
  },
  {
    from: 'shelved',
    to: 'normal',
    before: [50, { command: 'shelve', minutes: 1 }],
    step: { advance: 60_000 },
  },
  {
    from: 'shelved',
    to: 'active-unack',
    before: [50, { command: 'shelve', minutes: 1 }, 95],
    step: { advance: 60_000 },
  },
  { from: 'normal', to: 'suppressed', before: [50], step: { command: 'suppress' } },
  { from: 'active-unack', to: 'suppressed', before: [95], step: { command: 'suppress' } },
  {
    from: 'suppressed',
    to: 'active-unack',
    before: [50, { command: 'suppress' }, 95],
    step: { command: 'unsuppress' },
  },
  {
    from: 'suppressed',
    to: 'normal',
    before: [95, { command: 'suppress' }, 50],
    step: { command: 'unsuppress' },
  },
  { from: 'normal', to: 'out-of-service', before: [50], step: { command: 'disable' } },
  {
    from: 'active-ack',
    to: 'out-of-service',
    before: [95, { command: 'ack' }],
    step: { command: 'disable' },
  },
  {
    from: 'shelved',
    to: 'out-of-service',
    before: [50, { command: 'shelve', minutes: 5 }],
    step: { command: 'disable' },
  },
  {
    from: 'out-of-service',
    to: 'active-unack',
    before: [50, { command: 'disable' }, 95],
    step: { command: 'enable' },
  },
  {
    from: 'out-of-service',
    to: 'normal',
    before: [95, { command: 'disable' }, 50],
    step: { command: 'enable' },
  },
  {
    from: 'active-ack',
    to: 'active-unack',
    before: [95, { command: 'ack' }],
    step: { advance: 5 * 60_000 },
    rules: [{ ...above, reAlarmMin: 5 } as RuleInput],
  },
];

describe('AlarmEngine: ISA-18.2 transitions', () => {
  it.each(transitions.map((t) => [`${t.from} -> ${t.to} on ${JSON.stringify(t.step)}`, t]))('%s', (_, t) => {
    const alarm = setup(t.rules ?? [above]);
    const apply = (step: Step) => {
      if (typeof step === 'number') return alarm.send(step);
      if ('advance' in step) return alarm.advance(step.advance);
      alarm.engine.command({ alarm: ID, ...step });
      return alarm.engine.takeEvents();
    };
    // The first point makes the alarm exist; commands need it.
    for (const step of t.before) apply(step);
    expect(alarm.state()).toBe(t.from);
    const events = apply(t.step);
    expect(alarm.state()).toBe(t.to);
    expect(events.at(-1)).toMatchObject({ id: ID, state: t.to, previous: t.from, key: 'cnc-01/temperature' });
  });

  it('emits events of the documented shape and keeps the current list', () => {
    const alarm = setup([above]);
    const [event] = alarm.send(95.5);
    expect(event).toEqual({
      id: ID,
      key: 'cnc-01/temperature',
      rule: 'temp-high',
      level: 'critical',
      state: 'active-unack',
      previous: 'normal',
      priority: 'high',
      value: 95.5,
      limit: 90,
      ts: T0,
      message: 'cnc-01/temperature critical active: 95.5 degC (limit: above 90)',
    });
    expect(alarm.engine.list()).toMatchObject([{ id: ID, state: 'active-unack', activeSince: T0 }]);
    expect(alarm.engine.takeListChanged()).toBe(true);
    expect(alarm.send(96)).toEqual([]); // still active: nothing new
    expect(alarm.engine.takeListChanged()).toBe(false);
    // Back under the limit: the text names the rule's limit as a limit, not as where the value is.
    expect(alarm.send(61.90912)).toMatchObject([
      {
        state: 'rtn-unack',
        message: 'cnc-01/temperature critical returned to normal: 61.909 degC (limit: above 90)',
      },
    ]);
  });

  it('records who acknowledged, and acks every alarm with "*"', () => {
    const alarm = setup([{ ...above, warning: 80 } as RuleInput]);
    alarm.send(95, alarm.point(95, { machine: 'cnc-02' }));
    expect(alarm.engine.command({ command: 'ack', alarm: '*', by: 'operator-7' })).toBe(4 / 2 + 2);
    const events = alarm.engine.takeEvents();
    expect(events.map((e) => [e.id, e.state, e.by])).toEqual([
      ['cnc-01/temperature:temp-high:warning', 'active-ack', 'operator-7'],
      ['cnc-01/temperature:temp-high:critical', 'active-ack', 'operator-7'],
      ['cnc-02/temperature:temp-high:warning', 'active-ack', 'operator-7'],
      ['cnc-02/temperature:temp-high:critical', 'active-ack', 'operator-7'],
    ]);
    expect(events[0]!.message).toBe('acknowledged by operator-7');
  });

  it('tracks the condition while shelved, silently, and announces what holds when the shelve ends', () => {
    const alarm = setup([above]);
    alarm.send(50);
    alarm.engine.command({ command: 'shelve', alarm: ID, minutes: 1 });
    alarm.engine.takeEvents();
    expect(alarm.send(95)).toEqual([]);
    expect(alarm.send(50)).toEqual([]);
    expect(alarm.send(97)).toEqual([]);
    expect(alarm.engine.nextDueAt()).toBe(T0 + 60_000);
    const [event] = alarm.advance(60_000);
    expect(event).toMatchObject({ state: 'active-unack', previous: 'shelved', ts: T0 + 60_000 });
    expect(event!.message).toMatch(/^shelve expired; /);
  });
});

describe('AlarmEngine: modes and levels', () => {
  it('raises warning and critical as separate alarms with their own priorities', () => {
    const alarm = setup([
      {
        name: 'temp',
        match: 'temperature',
        mode: 'above',
        warning: 80,
        critical: 90,
        priority: { critical: 'critical' },
      },
    ]);
    expect(alarm.send(85).map((e) => [e.level, e.priority, e.state])).toEqual([
      ['warning', 'medium', 'active-unack'],
    ]);
    expect(alarm.send(91).map((e) => [e.level, e.priority, e.state])).toEqual([
      ['critical', 'critical', 'active-unack'],
    ]);
    expect(alarm.engine.list().map((e) => e.level)).toEqual(['critical', 'warning']); // highest priority first
  });

  it('below and outside a band', () => {
    const alarm = setup([
      { name: 'low', match: 'pressure', mode: 'below', warning: 2 },
      { name: 'band', match: 'temperature', mode: 'outside', warning: [10, 90] },
    ]);
    const pressure = (value: number) => alarm.point(value, { metric: 'pressure', unit: 'bar' });
    expect(alarm.send(pressure(1.5))).toMatchObject([{ rule: 'low', limit: 2, state: 'active-unack' }]);
    expect(alarm.send(5)).toMatchObject([{ rule: 'band', limit: 10, state: 'active-unack' }]);
    expect(alarm.send(50)).toMatchObject([{ rule: 'band', state: 'rtn-unack' }]);
    expect(alarm.send(95)).toMatchObject([{ rule: 'band', limit: 90, state: 'active-unack' }]);
  });

  it('rate of change per second and per minute, rising, falling or either way', () => {
    const alarm = setup([
      { name: 'fast', match: 'temperature', mode: 'rate', warning: 2, per: 's' },
      { name: 'falling', match: 'pressure', mode: 'rate', warning: 30, per: 'min', direction: 'fall' },
    ]);
    const at = (s: number, value: number, metric = 'temperature') =>
      alarm.point(value, { ts: T0 + s * 1000, metric });
    expect(alarm.send(at(0, 50), at(1, 51))).toEqual([]); // 1/s
    expect(alarm.send(at(2, 54))).toMatchObject([
      { rule: 'fast', value: 3, limit: 2, state: 'active-unack' },
    ]);
    expect(alarm.send(at(3, 54))).toMatchObject([{ rule: 'fast', state: 'rtn-unack' }]);
    expect(alarm.send(at(4, 50))).toMatchObject([{ rule: 'fast', value: -4, state: 'active-unack' }]); // either way
    alarm.send(at(3, 0)); // backwards in time: ignored for the rate
    expect(alarm.send(at(5, 50))).toMatchObject([{ state: 'rtn-unack' }]);
    // pressure: rising 60/min does nothing, falling 60/min alarms
    expect(alarm.send(at(0, 10, 'pressure'), at(1, 11, 'pressure'))).toEqual([]);
    expect(alarm.send(at(2, 10, 'pressure'))).toMatchObject([
      { rule: 'falling', value: -60, state: 'active-unack' },
    ]);
  });

  it('matches series patterns from the right, with globs, and a longer key for line patterns', () => {
    const alarm = setup([{ name: 'cnc', match: 'cnc-*/temperature', mode: 'above', warning: 80 }]);
    expect(alarm.send(alarm.point(85, { machine: 'press-01' }))).toEqual([]);
    expect(alarm.send(alarm.point(85, { machine: 'cnc-07' }))).toHaveLength(1);
    const lines = setup([{ name: 'l1', match: 'line-01/*/temperature', mode: 'above', warning: 80 }], {
      key: 'line/machine/metric',
    });
    expect(lines.send(lines.point(85, { line: 'line-02' }))).toEqual([]);
    expect(lines.send(lines.point(85, { line: 'line-01' }))).toMatchObject([
      { id: 'line-01/cnc-01/temperature:l1:warning', key: 'line-01/cnc-01/temperature' },
    ]);
    expect(() => setup([{ name: 'l1', match: 'line-01/*/temperature', mode: 'above', warning: 80 }])).toThrow(
      /has 3 segments but the key has 2/,
    );
  });

  it('composite AND / OR conditions within one machine', () => {
    const alarm = setup([
      {
        name: 'bearing',
        all: [
          { metric: 'temperature', above: 80 },
          { metric: 'vibration', above: 7 },
        ],
      },
      {
        name: 'stopped',
        level: 'warning',
        any: [
          { metric: 'speed', below: 10 },
          { metric: 'power', below: 0.5 },
        ],
      },
    ]);
    const vib = (value: number, machine = 'cnc-01') => alarm.point(value, { metric: 'vibration', machine });
    expect(alarm.send(85)).toEqual([]); // vibration not seen yet
    expect(alarm.send(vib(5))).toEqual([]);
    expect(alarm.send(vib(8, 'cnc-02'))).toEqual([]); // another machine
    const [event] = alarm.send(vib(7.5));
    expect(event).toMatchObject({ id: 'cnc-01:bearing:critical', key: 'cnc-01', value: 7.5, limit: 7 });
    expect(event!.message).toBe('cnc-01 bearing active: temperature 85 > 80 AND vibration 7.5 > 7');
    expect(alarm.send(70)).toMatchObject([{ state: 'rtn-unack', value: 70, limit: 80 }]);
    expect(alarm.send(alarm.point(5, { metric: 'speed' }))).toMatchObject([
      { id: 'cnc-01:stopped:warning', state: 'active-unack' },
    ]);
  });

  it('fills a message template', () => {
    const alarm = setup([
      { ...above, message: '{key} too hot ({state}): {value} {unit} > {limit}' } as RuleInput,
    ]);
    expect(alarm.send(95)[0]!.message).toBe('cnc-01/temperature too hot (active): 95 degC > 90');
  });
});

describe('AlarmEngine: deadband, delays, re-alarm', () => {
  it('an absolute deadband delays only the return to normal', () => {
    const alarm = setup([{ ...above, deadband: 2 } as RuleInput]);
    expect(alarm.send(90.5)).toHaveLength(1); // activation is not delayed by the deadband
    expect(alarm.send(89)).toEqual([]); // inside the deadband: still active
    expect(alarm.send(88.5)).toEqual([]);
    expect(alarm.send(87.9)).toMatchObject([{ state: 'rtn-unack' }]);
    expect(alarm.send(89.9)).toEqual([]); // below the setpoint: no new activation
  });

  it('a deadband on both sides of a band, and per condition of a composite rule', () => {
    const alarm = setup([
      { name: 'band', match: 'temperature', mode: 'outside', warning: [10, 90], deadband: 1 },
      {
        name: 'hot-and-shaking',
        all: [
          { metric: 'temperature', above: 80, deadband: 5 },
          { metric: 'vibration', above: 7 },
        ],
      },
    ]);
    const vibration = (value: number) => alarm.point(value, { metric: 'vibration' });
    expect(alarm.send(9.5)).toMatchObject([{ rule: 'band', state: 'active-unack' }]);
    expect(alarm.send(10.5)).toEqual([]); // within 1 of the low limit
    expect(alarm.send(11.5)).toMatchObject([{ rule: 'band', state: 'rtn-unack' }]);
    alarm.send(vibration(8));
    expect(alarm.send(85)).toMatchObject([{ rule: 'hot-and-shaking', state: 'active-unack' }]);
    expect(alarm.send(76)).toEqual([]); // temperature within its condition's deadband
    expect(alarm.send(74)).toMatchObject([{ rule: 'hot-and-shaking', state: 'rtn-unack' }]);
  });

  it('outside a band, the deadband widens only the limit that was crossed', () => {
    const alarm = setup([
      { name: 'band', match: 'temperature', mode: 'outside', warning: [10, 90], deadband: 5 },
    ]);
    expect(alarm.send(95)).toMatchObject([{ state: 'active-unack', limit: 90 }]);
    expect(alarm.send(86)).toEqual([]); // within 5 of the high limit
    expect(alarm.send(12)).toMatchObject([{ state: 'rtn-unack' }]); // near the low limit, but inside the band
    expect(alarm.send(5)).toMatchObject([{ state: 'active-unack', limit: 10 }]);
    expect(alarm.send(14)).toEqual([]); // within 5 of the low limit
    expect(alarm.send(88)).toMatchObject([{ state: 'rtn-unack' }]);
    // Straight across the band: still active, now on the low limit and its deadband.
    alarm.send(95);
    expect(alarm.send(5)).toEqual([]);
    expect(alarm.engine.list()[0]!.limit).toBe(10);
    expect(alarm.send(14)).toEqual([]);
    expect(alarm.send(86)).toMatchObject([{ state: 'rtn-unack' }]);
  });

  it('a deadband in % of the engineering range', () => {
    const alarm = setup([{ ...above, deadband: '5%', range: [0, 200] } as RuleInput]);
    alarm.send(95);
    expect(alarm.send(81)).toEqual([]);
    expect(alarm.send(79.9)).toHaveLength(1);
  });

  it('on-delay: active only after the condition held without a break', () => {
    const alarm = setup([{ ...above, onDelayS: 10 } as RuleInput]);
    expect(alarm.send(95)).toEqual([]);
    expect(alarm.advance(5000)).toEqual([]);
    expect(alarm.send(80)).toEqual([]); // the break resets the delay
    expect(alarm.advance(6000)).toEqual([]);
    alarm.send(95);
    expect(alarm.engine.nextDueAt()).toBe(T0 + 11_000 + 10_000);
    expect(alarm.advance(10_000)).toMatchObject([{ state: 'active-unack', ts: T0 + 21_000 }]);
  });

  it('off-delay: back to normal only after the condition stayed away', () => {
    const alarm = setup([{ ...above, offDelayS: 30 } as RuleInput]);
    alarm.send(95);
    alarm.advance(1000);
    expect(alarm.send(50)).toEqual([]);
    expect(alarm.advance(29_000)).toEqual([]);
    expect(alarm.advance(1000)).toMatchObject([{ state: 'rtn-unack', ts: T0 + 31_000 }]);
  });

  it('a delay that ran out is applied by the next point too', () => {
    const alarm = setup([{ ...above, onDelayS: 10 } as RuleInput]);
    alarm.send(95);
    expect(alarm.send(alarm.point(96, { ts: T0 + 12_000 }))).toMatchObject([{ ts: T0 + 10_000 }]);
  });

  it('re-alarms a stale alarm every reAlarmMin, even when unacknowledged', () => {
    const alarm = setup([{ ...above, reAlarmMin: 1 } as RuleInput]);
    alarm.send(95);
    const [first] = alarm.advance(60_000);
    expect(first).toMatchObject({ state: 'active-unack', previous: 'active-unack', ts: T0 + 60_000 });
    expect(first!.message).toMatch(/still active after 1 min/);
    expect(alarm.advance(60_000)).toHaveLength(1);
    alarm.send(50);
    expect(alarm.advance(120_000)).toEqual([]);
  });

  it.each([
    ['suppress', 'unsuppress', 'suppressed'],
    ['disable', 'enable', 'out-of-service'],
  ])('re-alarms an alarm still active after %s, a tick and %s', (mask, unmask, masked) => {
    const alarm = setup([{ ...above, reAlarmMin: 1 } as RuleInput]);
    alarm.send(95);
    alarm.engine.command({ command: mask, alarm: ID });
    alarm.engine.takeEvents();
    expect(alarm.advance(30_000)).toEqual([]); // nothing falls due while masked
    alarm.engine.command({ command: unmask, alarm: ID });
    expect(alarm.engine.takeEvents()).toMatchObject([{ state: 'active-unack', previous: masked }]);
    expect(alarm.engine.nextDueAt()).toBe(T0 + 90_000);
    expect(alarm.advance(60_000)).toMatchObject([
      { state: 'active-unack', previous: 'active-unack', ts: T0 + 90_000 },
    ]);
  });

  it('moves event time with the clock between points', () => {
    const alarm = setup([{ ...above, onDelayS: 10 } as RuleInput]);
    // A backfill an hour in the past: event time follows the points, not the wall clock.
    alarm.send(alarm.point(95, { ts: T0 - 3_600_000 }));
    expect(alarm.engine.now()).toBe(T0 - 3_600_000);
    expect(alarm.advance(9000)).toEqual([]);
    expect(alarm.advance(1000)).toHaveLength(1);
  });

  it('runs each series on its own event time: a machine whose clock is ahead cuts no delay short', () => {
    const alarm = setup([{ ...above, onDelayS: 60 } as RuleInput]);
    alarm.send(95);
    alarm.send(alarm.point(50, { machine: 'cnc-02', ts: T0 + 30_000 })); // its clock runs 30 s fast
    expect(alarm.engine.nextDueAt()).toBe(T0 + 30_000 + 60_000); // in now()'s time: a full minute ahead
    expect(alarm.advance(30_000)).toEqual([]);
    expect(alarm.advance(29_000)).toEqual([]);
    expect(alarm.advance(1000)).toMatchObject([{ id: ID, state: 'active-unack', ts: T0 + 60_000 }]);
  });

  it('a device clock stepped back an hour: delays and re-alarms run their full time from the step', () => {
    const hour = 3_600_000;
    const alarm = setup([{ ...above, onDelayS: 60, offDelayS: 30, reAlarmMin: 10 } as RuleInput]);
    alarm.send(50);
    alarm.advance(1000);
    // From here the machine stamps its points an hour earlier (NTP corrected it).
    const behind = (value: number) => alarm.point(value, { ts: Date.now() - hour });
    expect(alarm.send(behind(95))).toEqual([]);
    expect(alarm.engine.nextDueAt()).toBe(alarm.engine.now() + 60_000);
    expect(alarm.advance(59_000)).toEqual([]);
    expect(alarm.advance(1000)).toMatchObject([
      { id: ID, state: 'active-unack', ts: T0 + 1000 - hour + 60_000 },
    ]);
    // Its re-alarm ten minutes on, not at once.
    expect(alarm.advance(9 * 60_000)).toEqual([]);
    expect(alarm.advance(60_000)).toMatchObject([{ id: ID, ts: T0 + 1000 - hour + 11 * 60_000 }]);
    // Back to normal after the full off-delay.
    alarm.send(behind(50));
    expect(alarm.advance(29_000)).toEqual([]);
    expect(alarm.advance(1000)).toMatchObject([{ id: ID, state: 'rtn-unack' }]);
  });

  it('a chattering alarm after the clock stepped back stays shelved its full time', () => {
    const alarm = setup([above], { chatter: { count: 2, windowS: 60, shelveMinutes: 15 } });
    alarm.send(50);
    const behind = (value: number) => alarm.point(value, { ts: Date.now() - 3_600_000 });
    alarm.send(behind(95));
    alarm.send(behind(50));
    expect(alarm.send(behind(95))).toMatchObject([{ state: 'shelved' }]);
    expect(alarm.advance(15 * 60_000 - 1000)).toEqual([]);
    expect(alarm.advance(1000)).toMatchObject([{ state: 'active-unack', previous: 'shelved' }]);
  });

  it('a late point does not shorten a delay the newer points started', () => {
    const alarm = setup([{ ...above, onDelayS: 60 } as RuleInput]);
    alarm.send(95);
    alarm.advance(30_000);
    alarm.send(alarm.point(96, { ts: T0 - 5000 })); // a redelivered point from before the first
    expect(alarm.advance(29_000)).toEqual([]);
    expect(alarm.advance(1000)).toMatchObject([{ id: ID, state: 'active-unack', ts: T0 + 60_000 }]);
  });

  it('a backlog of old points beside live data re-alarms on its own time, one event per missed stretch', () => {
    const alarm = setup([{ ...above, reAlarmMin: 60 } as RuleInput]);
    const threeDays = 3 * 24 * 3_600_000;
    alarm.send(alarm.point(50, { machine: 'cnc-02' })); // live data
    expect(alarm.send(alarm.point(95, { ts: T0 - threeDays }))).toMatchObject([
      { id: ID, state: 'active-unack', ts: T0 - threeDays },
    ]);
    const drain = () => {
      const events = [];
      for (let i = 0; i < 100; i++) {
        alarm.engine.tick();
        const more = alarm.engine.takeEvents();
        if (more.length === 0) break;
        events.push(...more);
      }
      return events;
    };
    expect(drain()).toEqual([]);
    expect(alarm.advance(3_600_000)).toMatchObject([{ id: ID, ts: T0 - threeDays + 3_600_000 }]);
    // The backlog catches up three hours at once: one re-alarm, at the last period that passed.
    alarm.send(alarm.point(96, { ts: T0 - threeDays + 4 * 3_600_000 + 60_000 }));
    expect(drain()).toMatchObject([{ id: ID, ts: T0 - threeDays + 4 * 3_600_000 }]);
  });
});

describe('AlarmEngine: chattering and floods', () => {
  it('auto-shelves an alarm that activates N times within M seconds, with the reason', () => {
    const alarm = setup([above], { chatter: { count: 3, windowS: 60, shelveMinutes: 15 } });
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      for (const e of alarm.send(95)) states.push(e.state);
      for (const e of alarm.advance(5000)) states.push(e.state);
      for (const e of alarm.send(50)) states.push(e.state);
      alarm.advance(5000);
    }
    expect(states).toEqual(['active-unack', 'rtn-unack', 'active-unack', 'rtn-unack', 'shelved']);
    const shelved = alarm.engine.list()[0]!;
    expect(shelved).toMatchObject({ state: 'shelved', shelvedUntil: T0 + 20_000 + 15 * 60_000 });
    expect(shelved.message).toBe('chattering: 3 activations within 60 s; shelved for 15 min');
    expect(alarm.send(95)).toEqual([]);
  });

  it('does not count activations further apart than the window', () => {
    const alarm = setup([above], { chatter: { count: 3, windowS: 10, shelveMinutes: 15 } });
    for (let i = 0; i < 5; i++) {
      alarm.send(95);
      alarm.send(50);
      alarm.advance(6000);
    }
    expect(alarm.state()).toBe('rtn-unack');
  });

  it('adds one flood summary when many alarms start at once, and says when the flood is over', () => {
    const alarm = setup([above], { flood: { count: 10, windowS: 60 } });
    const events = alarm.send(
      ...Array.from({ length: 25 }, (_, i) => alarm.point(95, { machine: `cnc-${i}` })),
    );
    const floods = events.filter((e) => e.id === 'flood');
    expect(events).toHaveLength(26);
    expect(floods).toMatchObject([{ state: 'flood', previous: 'normal', value: 10, limit: 10 }]);
    expect(floods[0]!.message).toBe('alarm flood: 10 alarms within 60 s');
    expect(alarm.advance(59_000)).toEqual([]);
    expect(alarm.advance(1000)).toMatchObject([
      { id: 'flood', state: 'normal', previous: 'flood', message: 'alarm flood over: 25 alarms in all' },
    ]);
  });
});

describe('AlarmEngine: where an alarm is', () => {
  const place = { tenant: 'acme', plant: 'plant-1', line: 'line-1' };

  it('carries the tenant, plant and line of the point that raised it, with the default key too', () => {
    const alarm = setup([above]);
    const [event] = alarm.send(alarm.point(95, place));
    expect(event).toMatchObject({ key: 'cnc-01/temperature', ...place });
    // Acknowledged later, by a command: still there.
    alarm.engine.command({ command: 'ack', alarm: ID });
    expect(alarm.engine.takeEvents()).toMatchObject([{ state: 'active-ack', ...place }]);
  });

  it('leaves out what the points did not say, or said as no identifier', () => {
    const alarm = setup([above]);
    const [event] = alarm.send(alarm.point(95, { plant: 'plant-1', line: 'bad line' } as never));
    expect(event!.plant).toBe('plant-1');
    expect(event).not.toHaveProperty('tenant');
    expect(event).not.toHaveProperty('line');
  });

  it("a composite rule's event carries the place of its machine's newest point", () => {
    const alarm = setup([
      {
        name: 'bearing',
        all: [
          { metric: 'temperature', above: 80 },
          { metric: 'vibration', above: 7 },
        ],
      },
    ]);
    alarm.send(alarm.point(85, place));
    const [event] = alarm.send(alarm.point(7.5, { metric: 'vibration', ...place, line: 'line-2' }));
    expect(event).toMatchObject({ id: 'cnc-01:bearing:critical', key: 'cnc-01', ...place, line: 'line-2' });
  });

  it('a flood summary carries what all its alarms share, and nothing they differ in', () => {
    const alarm = setup([above], { flood: { count: 3, windowS: 60 } });
    const events = alarm.send(
      ...['line-1', 'line-2', 'line-1'].map((line, i) =>
        alarm.point(95, { machine: `cnc-${i}`, ...place, line }),
      ),
    );
    const flood = events.find((e) => e.id === 'flood')!;
    expect(flood).toMatchObject({ tenant: 'acme', plant: 'plant-1' });
    expect(flood).not.toHaveProperty('line');
    expect(alarm.advance(60_000)).toMatchObject([
      { id: 'flood', state: 'normal', tenant: 'acme', plant: 'plant-1' },
    ]);
  });

  it('keeps the place across a restart', () => {
    const first = setup([above]);
    first.send(first.point(95, place));
    const snapshot = JSON.parse(JSON.stringify(first.engine.snapshot()));
    const second = setup([above]);
    second.engine.restore(snapshot);
    second.engine.command({ command: 'ack', alarm: ID });
    expect(second.engine.takeEvents()).toMatchObject([{ state: 'active-ack', ...place }]);
  });
});

describe('AlarmEngine: points it cannot evaluate', () => {
  it('skips and reports each bad point, evaluates the rest, and takes ISO timestamps', () => {
    const alarm = setup([above]);
    const refused: [number, string][] = [];
    alarm.engine.evaluate(
      [
        alarm.point(95, { machine: 'cnc-01' }),
        null,
        alarm.point(Number.NaN, { machine: 'cnc-02' }),
        { ...alarm.point(95, { machine: 'cnc-03' }), value: '95' },
        alarm.point(95, { machine: 'cnc 04' }),
        alarm.point(95, { machine: 'cnc-05', metric: undefined as never }),
        alarm.point(95, { machine: 'cnc-06', ts: 1_767_225_600 }),
        alarm.point(95, { machine: 'cnc-07', ts: '2026-01-01T00:00:05Z' as never }),
        alarm.point(95, { machine: 'cnc-08', ts: '2026-01-01 00:00:05' as never }),
        alarm.point(95, { machine: 'cnc-09', ts: String(T0) as never }),
      ],
      (index, reason) => refused.push([index, reason]),
    );
    expect(refused).toEqual([
      [1, 'a point must be an object (got null)'],
      [2, 'value must be a finite number (got NaN)'],
      [3, 'value must be a finite number (got "95")'],
      [
        4,
        `machine must be 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit (got "cnc 04")`,
      ],
      [
        5,
        `metric must be 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit (got nothing)`,
      ],
      [6, 'ts 1767225600 is before 2000-01-01 as milliseconds: send epoch milliseconds, not seconds'],
      [8, 'ts must be epoch milliseconds or an ISO-8601 date-time with a zone (got "2026-01-01 00:00:05")'],
      [9, 'ts must be epoch milliseconds or an ISO-8601 date-time with a zone (got "1767225600000")'],
    ]);
    expect(alarm.engine.takeEvents().map((e) => [e.key, e.ts])).toEqual([
      ['cnc-01/temperature', T0],
      ['cnc-07/temperature', Date.parse('2026-01-01T00:00:05Z')],
    ]);
    expect(alarm.engine.ids()).toHaveLength(2); // no series was made for a refused point
  });
});

describe('AlarmEngine: commands and configuration', () => {
  const bad: [string, unknown, RegExp][] = [
    ['not an object', 'ack', /must be an object/],
    ['unknown command', { command: 'silence', alarm: '*' }, /unknown command "silence"/],
    ['no alarm', { command: 'ack' }, /needs alarm/],
    ['unknown alarm', { command: 'ack', alarm: 'nope' }, /no alarm with id "nope"/],
    ['shelve without minutes', { command: 'shelve', alarm: ID }, /shelve needs minutes/],
    ['shelve too long', { command: 'shelve', alarm: ID, minutes: 100_000 }, /at most 1440/],
    ['shelve for 0', { command: 'shelve', alarm: '*', minutes: 0 }, /above 0/],
    ['bad by', { command: 'ack', alarm: '*', by: 42 }, /by must be a string/],
  ];
  it.each(bad)('refuses %s and changes nothing', (_, command, message) => {
    const alarm = setup([above]);
    alarm.send(95);
    alarm.engine.takeListChanged();
    const before = JSON.stringify(alarm.engine.snapshot());
    expect(() => alarm.engine.command(command)).toThrow(AlarmCommandError);
    expect(() => alarm.engine.command(command)).toThrow(message);
    expect(JSON.stringify(alarm.engine.snapshot())).toBe(before);
    expect(alarm.engine.takeEvents()).toEqual([]);
    expect(alarm.engine.takeListChanged()).toBe(false);
  });

  const composed = [
    { metric: 'a', above: 1 },
    { metric: 'b', above: 1 },
  ];
  const badRules: [string, unknown, RegExp][] = [
    ['not an array', {}, /JSON array/],
    ['bad name', [{ ...above, name: 'a b' }], /name must be/],
    ['duplicate', [above, above], /defined twice/],
    ['bad mode', [{ ...above, mode: 'over' }], /mode must be one of/],
    ['no setpoint', [{ name: 'x', match: 'a', mode: 'above' }], /warning and\/or a critical/],
    ['band not a band', [{ name: 'x', match: 'a', mode: 'outside', warning: 5 }], /band \[low, high\]/],
    ['% without range', [{ ...above, deadband: '2%' }], /needs range/],
    ['bad deadband', [{ ...above, deadband: 'wide' }], /deadband must be/],
    ['negative delay', [{ ...above, onDelayS: -1 }], /onDelayS must be/],
    ['bad priority', [{ ...above, priority: { critical: 'urgent' } }], /priority must be one of/],
    ['one condition', [{ name: 'c', all: [{ metric: 'a', above: 1 }] }], /at least two conditions/],
    [
      'above and below',
      [
        {
          name: 'c',
          any: [
            { metric: 'a', above: 1, below: 2 },
            { metric: 'b', above: 1 },
          ],
        },
      ],
      /exactly one/,
    ],
    ['bad pattern', [{ ...above, match: 'cnc 01/temperature' }], /must be segments/],
    [
      'a misspelled field',
      [{ ...above, deadBand: 2 }],
      /^rule "temp-high": unknown field "deadBand"; a limit rule takes name, match, mode, warning, critical, priority, deadband, range, per, direction, onDelayS, offDelayS, reAlarmMin, message$/,
    ],
    ['onDelay for onDelayS', [{ ...above, onDelay: 10 }], /unknown field "onDelay"/],
    ['reAlarmMinutes for reAlarmMin', [{ ...above, reAlarmMinutes: 60 }], /unknown field "reAlarmMinutes"/],
    [
      'a misspelled field of a composite rule',
      [{ name: 'c', all: [composed[0], composed[1]], onDelay: 10 }],
      /^rule "c": unknown field "onDelay"; a composite rule takes name, match, all, any, level, priority, onDelayS, offDelayS, reAlarmMin, message$/,
    ],
    [
      'a misspelled field of a condition',
      [{ name: 'c', all: [composed[0], { metric: 'b', above: 1, deadBand: 1 }] }],
      /^rule "c": condition 2: unknown field "deadBand"; a condition takes metric, above, below, deadband$/,
    ],
    [
      'a misspelled level in priority',
      [{ ...above, priority: { critcal: 'critical' } }],
      /^rule "temp-high": priority: unknown level "critcal"; give warning and\/or critical$/,
    ],
    [
      'a priority that is not per level',
      [{ ...above, priority: 'critical' }],
      /priority must be an object such as \{"warning": "medium", "critical": "high"\}/,
    ],
    [
      'a condition that is no object',
      [{ name: 'c', any: [null, composed[1]] }],
      /condition 1 is not an object/,
    ],
    [
      'a condition without metric',
      [{ name: 'c', any: [{ above: 1 }, composed[1]] }],
      /condition 1: metric is missing/,
    ],
    [
      'a condition metric that is no identifier',
      [{ name: 'c', all: [composed[0], { metric: 'cnc-01/vibration', above: 1 }] }],
      /^rule "c": condition 2: metric must be 1 to 64 characters: .* \(got "cnc-01\/vibration"\)$/,
    ],
    [
      'warning above critical',
      [{ ...above, warning: 95 }],
      /^rule "temp-high": warning \(95\) must be below critical \(90\) for mode above$/,
    ],
    ['warning at critical', [{ ...above, warning: 90 }], /warning \(90\) must be below critical \(90\)/],
    [
      'warning below critical, mode below',
      [{ name: 'x', match: 'a', mode: 'below', warning: 5, critical: 10 }],
      /^rule "x": warning \(5\) must be above critical \(10\) for mode below$/,
    ],
    [
      'warning rate above critical',
      [{ name: 'x', match: 'a', mode: 'rate', warning: 10, critical: 5 }],
      /warning \(10\) must be below critical \(5\) for mode rate/,
    ],
    [
      'a warning band wider than the critical band',
      [{ name: 'x', match: 'a', mode: 'outside', warning: [5, 50], critical: [10, 90] }],
      /^rule "x": the critical band \[10, 90\] must contain the warning band \[5, 50\] for mode outside$/,
    ],
    [
      'a deadband of half the band',
      [{ name: 'x', match: 'a', mode: 'outside', warning: [10, 20], critical: [0, 90], deadband: 5 }],
      /^rule "x": deadband \(5\) must be less than half the warning band \[10, 20\] for mode outside/,
    ],
    [
      'a deadband in % of half the band',
      [{ name: 'x', match: 'a', mode: 'outside', critical: [40, 60], deadband: '10%', range: [0, 200] }],
      /deadband \(20\) must be less than half the critical band \[40, 60\]/,
    ],
  ];
  it.each(badRules)('refuses rules: %s', (_, rules, message) => {
    expect(() => new AlarmEngine({ rules })).toThrow(AlarmConfigError);
    expect(() => new AlarmEngine({ rules })).toThrow(message);
  });
});

describe('AlarmEngine: bounded memory (series cap)', () => {
  /** How many series the engine holds (private: what the cap bounds). */
  const held = (engine: AlarmEngine) =>
    (engine as unknown as { index: { series: Map<string, unknown> } }).index.series.size;
  const machines = (from: number, count: number, value: number, metric = 'temperature') =>
    Array.from({ length: count }, (_, i) => ({
      ts: Date.now(),
      machine: `m-${from + i}`,
      metric,
      value,
    }));

  it('holds no series that matches no rule', () => {
    const composite: RuleInput = {
      name: 'bearing',
      match: 'cnc-*',
      all: [
        { metric: 'temperature', above: 80 },
        { metric: 'vibration', above: 7 },
      ],
    };
    const alarm = setup([{ ...above, match: 'cnc-*/temperature' } as RuleInput, composite]);
    const refused: string[] = [];
    alarm.engine.evaluate(
      [
        ...machines(0, 1000, 50, 'power'), // no rule for the metric
        ...machines(0, 1000, 95), // temperature, but machines the patterns leave out
        ...machines(0, 1000, 9, 'vibration'),
      ],
      (_, reason) => refused.push(reason),
    );
    expect(refused).toEqual([]);
    expect(held(alarm.engine)).toBe(0);
    expect(alarm.engine.ids()).toEqual([]);
    alarm.send(95, alarm.point(50, { metric: 'power' }));
    expect(held(alarm.engine)).toBe(1);
    expect(alarm.engine.ids()).toEqual([ID, 'cnc-01:bearing:critical']);
  });

  it('forgets quiet series at the cap, oldest first, keeps alarms that are not normal, and warns', () => {
    const warnings: string[] = [];
    const alarm = setup([above], { maxSeries: 100, warn: (m) => warnings.push(m) });
    alarm.send(...machines(0, 50, 95)); // 50 active alarms
    alarm.send(...machines(50, 50, 50)); // 50 quiet series: at the cap
    expect(warnings).toEqual([]);
    alarm.send(...machines(100, 1000, 50));
    expect(held(alarm.engine)).toBe(100);
    expect(alarm.engine.ids()).toHaveLength(100);
    expect(alarm.engine.list()).toHaveLength(50); // every active alarm is still there
    expect(warnings).toEqual([
      'series cap of 100 reached: 10 quiet series forgotten (they start afresh with their next point)',
    ]);
    // A forgotten series comes back afresh and alarms as before.
    expect(alarm.send(...machines(50, 1, 95))).toMatchObject([{ id: 'm-50/temperature:temp-high:critical' }]);
  });

  it('refuses points of new series when no series is quiet, and says why', () => {
    const warnings: string[] = [];
    const alarm = setup([above], { maxSeries: 10, warn: (m) => warnings.push(m) });
    alarm.send(...machines(0, 10, 95));
    const refused: string[] = [];
    alarm.engine.evaluate([...machines(10, 3, 95), ...machines(0, 10, 96)], (index, reason) =>
      refused.push(`${index}: ${reason}`),
    );
    expect(refused).toEqual(
      [0, 1, 2].map(
        (i) =>
          `${i}: series cap of 10 reached and no series is quiet enough to forget; a new series is not evaluated`,
      ),
    );
    expect(warnings).toEqual([
      'series cap of 10 reached: 0 quiet series forgotten (they start afresh with their next point); 1 new series refused, none being quiet',
    ]);
    expect(alarm.engine.ids()).toHaveLength(10);
    expect(() => new AlarmEngine({ rules: [above], maxSeries: 0 })).toThrow(/max series must be/);
  });
});

describe('AlarmEngine: snapshot and restore (quiet start)', () => {
  it('restores states without announcing them again, then goes on from there', () => {
    const first = setup([above, { name: 'vib', match: 'vibration', mode: 'above', warning: 7 }]);
    first.send(95, first.point(8, { metric: 'vibration' }));
    first.engine.command({ command: 'ack', alarm: 'cnc-01/vibration:vib:warning' });
    first.engine.command({ command: 'shelve', alarm: 'cnc-01/vibration:vib:warning', minutes: 60 });
    const snapshot = JSON.parse(JSON.stringify(first.engine.snapshot()));

    const second = setup([above, { name: 'vib', match: 'vibration', mode: 'above', warning: 7 }]);
    expect(second.engine.restore(snapshot)).toEqual({ restored: 2, dropped: 0 });
    expect(second.engine.takeEvents()).toEqual([]);
    expect(second.engine.list().map((e) => [e.id, e.state])).toEqual([
      [ID, 'active-unack'],
      ['cnc-01/vibration:vib:warning', 'shelved'],
    ]);
    expect(second.send(96)).toEqual([]); // still active: not announced again
    expect(second.send(50)).toMatchObject([{ id: ID, state: 'rtn-unack', previous: 'active-unack' }]);

    const damaged = setup([above]);
    const records = [
      null,
      { id: 1 },
      { ...snapshot.alarms[0], key: 'cnc 01/temperature' },
      snapshot.alarms[0],
    ];
    expect(damaged.engine.restore({ ...snapshot, alarms: records })).toEqual({ restored: 1, dropped: 3 });

    const changed = setup([{ name: 'vib', match: 'vibration', mode: 'above', warning: 7 }]);
    expect(changed.engine.restore(snapshot)).toEqual({ restored: 1, dropped: 1 }); // temp-high was removed
  });

  it('re-alarms an alarm restored suppressed and still active once it is unsuppressed', () => {
    const rules = [{ ...above, reAlarmMin: 5 } as RuleInput];
    const first = setup(rules);
    first.send(95);
    first.engine.command({ command: 'suppress', alarm: ID });
    const snapshot = JSON.parse(JSON.stringify(first.engine.snapshot()));
    const second = setup(rules);
    second.engine.restore(snapshot);
    expect(second.advance(1000)).toEqual([]); // the first tick after the restart
    second.engine.command({ command: 'unsuppress', alarm: ID });
    expect(second.engine.takeEvents()).toMatchObject([{ state: 'active-unack', previous: 'suppressed' }]);
    expect(second.advance(5 * 60_000)).toMatchObject([{ state: 'active-unack', previous: 'active-unack' }]);
  });

  it('starts a running delay again from fresh points, and the re-alarm clock from the restart', () => {
    const rules = [{ ...above, onDelayS: 10, reAlarmMin: 5 } as RuleInput];
    const first = setup(rules);
    first.send(50);
    first.send(95); // on-delay running
    const snapshot = JSON.parse(JSON.stringify(first.engine.snapshot()));
    const second = setup(rules);
    second.engine.restore(snapshot);
    expect(second.advance(20_000)).toEqual([]); // no activation from a reading taken before the restart
    second.send(95);
    expect(second.advance(10_000)).toMatchObject([{ state: 'active-unack' }]);

    const stale = setup(rules);
    stale.send(95);
    stale.advance(10_000);
    stale.engine.takeEvents();
    const activeSnapshot = JSON.parse(JSON.stringify(stale.engine.snapshot()));
    vi.advanceTimersByTime(60 * 60_000); // an hour down
    const restarted = setup(rules);
    restarted.engine.restore(activeSnapshot);
    expect(restarted.advance(1000)).toEqual([]); // not re-announced just because of the downtime
    expect(restarted.advance(5 * 60_000)).toMatchObject([
      { state: 'active-unack', previous: 'active-unack' },
    ]);
  });
});

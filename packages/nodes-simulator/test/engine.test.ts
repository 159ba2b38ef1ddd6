import { describe, expect, it } from 'vitest';
import { isUuid, uuidV7Time, validatePoints, type Point } from '@plantwire/telemetry';
import {
  parseCommand,
  parseConfig,
  PlantSimulator,
  type SimulatorConfigInput,
  type SimulatorEvent,
} from '../src/index.js';

const MONDAY_8AM = Date.UTC(2026, 0, 5, 8);
// Machines that never leave RUNNING on their own, so a fault's effect is measured against a steady control.
const ALWAYS_RUNNING = { RUNNING: 1e9 };

function plant(input: SimulatorConfigInput = {}, start = MONDAY_8AM) {
  return new PlantSimulator(
    parseConfig({ seed: 42, lines: 1, machinesPerLine: 4, intervalMs: 2000, ...input }),
    start,
  );
}

/** Runs `sim` for `seconds`, keeping every point and event. */
function run(sim: PlantSimulator, seconds: number) {
  const points: Point[] = [];
  const events: SimulatorEvent[] = [];
  const end = sim.time + seconds * 1000;
  for (let ts = sim.time + sim.config.intervalMs; ts <= end; ts += sim.config.intervalMs) {
    sim.tick(ts, points);
    events.push(...sim.drainEvents());
  }
  return { points, events };
}

const series = (points: Point[], machine: string, metric: string) =>
  points.filter((p) => p.machine === machine && p.metric === metric);
const last = (points: Point[], machine: string, metric: string) => series(points, machine, metric).at(-1)!;

describe('PlantSimulator: the plant', () => {
  it('is the same run for the same seed, ids included, and another run for another seed', () => {
    const a = run(plant({ lines: 2 }), 600);
    const b = run(plant({ lines: 2 }), 600);
    expect(b.points).toEqual(a.points);
    expect(b.events).toEqual(a.events);
    const c = run(plant({ lines: 2, seed: 43 }), 600);
    expect(c.points.map((p) => p.value)).not.toEqual(a.points.map((p) => p.value));
  });

  it('draws ids from the seed and the plant: the same seed for another plant or tenant gives other ids', () => {
    const a = run(plant(), 60).points;
    const others = [run(plant({ plant: 'plant-2' }), 60).points, run(plant({ tenant: 'other' }), 60).points];
    const keys = new Set(a.map((p) => `${p.ts}/${p.id}`));
    for (const other of others) {
      // The same simulation, so the same times and values: QuestDB would keep one row per (ts, id) of them.
      expect(other.map((p) => [p.ts, p.value])).toEqual(a.map((p) => [p.ts, p.value]));
      expect(other.filter((p) => keys.has(`${p.ts}/${p.id}`))).toEqual([]);
    }
    for (const point of [...a, ...others.flat()]) {
      expect(isUuid(point.id)).toBe(true);
      expect(point.id[14]).toBe('7');
      expect(uuidV7Time(point.id)).toBe(point.ts);
    }
  });

  it('names lines and machines and reports 6+ metrics per machine with units', () => {
    const sim = plant({ lines: 'press-shop,assembly', machinesPerLine: 4 });
    const points = sim.tick(MONDAY_8AM + 2000);
    const keys = [...new Set(points.map((p) => `${p.line}/${p.machine}`))];
    expect(keys).toEqual([
      'press-shop/cnc-01',
      'press-shop/press-02',
      'press-shop/conveyor-03',
      'press-shop/pump-04',
      'assembly/cnc-01',
      'assembly/press-02',
      'assembly/conveyor-03',
      'assembly/pump-04',
    ]);
    const press = Object.fromEntries(
      points.filter((p) => p.line === 'assembly' && p.machine === 'press-02').map((p) => [p.metric, p.unit]),
    );
    expect(press).toEqual({
      temperature: 'degC',
      vibration: 'mm/s',
      power: 'kW',
      energy: 'kWh',
      speed: 'spm',
      pressure: 'bar',
      units_good: 'count',
      scrap_quality: 'count',
      scrap_machine_error: 'count',
      scrap_material: 'count',
      scrap_operator: 'count',
      state: 'code',
    });
    expect(
      points.filter((p) => p.machine === 'cnc-01' && p.line === 'assembly').map((p) => p.metric),
    ).not.toContain('pressure');
    expect(
      points.every((p) => p.ts === MONDAY_8AM + 2000 && p.tenant === 'acme' && p.plant === 'plant-1'),
    ).toBe(true);
  });

  it('emits only points that are valid against the SDK schema, faults and all', () => {
    const sim = plant({ lines: 2 });
    sim.command(parseCommand({ cmd: 'bearing_fault', value: true, machine: '*' }));
    sim.command(
      parseCommand({
        cmd: 'sensor_drift',
        value: true,
        line: 'line-02',
        machine: 'pump-04',
        metric: 'pressure',
      }),
    );
    sim.command(parseCommand({ cmd: 'energy_spike', value: true, line: 'line-01', machine: 'press-02' }));
    const { points } = run(sim, 3600);
    const { valid, invalid } = validatePoints(points);
    expect(invalid).toEqual([]);
    expect(valid).toHaveLength(points.length);
    expect(new Set(points.map((p) => p.id)).size).toBe(points.length);
  });

  it('keeps counters monotonic and energy equal to the integral of reported power (within 0.1%)', () => {
    const sim = plant({
      lines: 2,
      intervalMs: 5000,
      dwellS: { RUNNING: 600, IDLE: 120, SETUP: 120, ERROR: 60, MAINTENANCE: 300 },
    });
    const { points } = run(sim, 6 * 3600);
    for (const machine of sim.machines) {
      const mine = points.filter((p) => p.line === machine.line && p.machine === machine.name);
      for (const metric of [
        'energy',
        'units_good',
        'scrap_quality',
        'scrap_machine_error',
        'scrap_material',
        'scrap_operator',
      ]) {
        const values = mine.filter((p) => p.metric === metric).map((p) => p.value);
        for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
      }
      const power = mine.filter((p) => p.metric === 'power');
      const energy = mine.filter((p) => p.metric === 'energy');
      let integral = 0;
      for (let i = 1; i < power.length; i++) {
        integral +=
          ((power[i - 1]!.value + power[i]!.value) / 2) * ((power[i]!.ts - power[i - 1]!.ts) / 3_600_000);
      }
      const measured = energy.at(-1)!.value - energy[0]!.value;
      expect(Math.abs(measured - integral) / integral).toBeLessThan(0.001);
      expect(mine.filter((p) => p.metric === 'units_good').at(-1)!.value).toBeGreaterThan(0);
    }
  });

  it('holds each state for its configured mean dwell time (within 10%) over a long run, and ERROR recovers', () => {
    const dwellS = { RUNNING: 240, IDLE: 90, SETUP: 120, ERROR: 45, MAINTENANCE: 180 };
    const sim = plant({ lines: 4, machinesPerLine: 10, intervalMs: 10_000, dwellS });
    const spells: Record<string, number[]> = {};
    const entered = new Map<string, number>();
    const scratch: Point[] = [];
    for (let ts = MONDAY_8AM + 10_000; ts <= MONDAY_8AM + 4 * 86_400_000; ts += 10_000) {
      sim.tick(ts, scratch);
      scratch.length = 0;
      for (const event of sim.drainEvents()) {
        if (event.type !== 'state') continue;
        const key = `${event.line}/${event.machine}`;
        const since = entered.get(key);
        // The first spell of each machine began before the run: only whole spells count.
        if (since !== undefined) (spells[event.previous] ??= []).push(event.ts - since);
        entered.set(key, event.ts);
        expect(event.state).not.toBe(event.previous);
      }
    }
    for (const [state, mean] of Object.entries(dwellS)) {
      const samples = spells[state]!;
      expect(samples.length, state).toBeGreaterThan(300);
      const measured = samples.reduce((a, b) => a + b, 0) / samples.length / 1000;
      expect(Math.abs(measured - mean) / mean, `${state}: ${measured.toFixed(1)} s`).toBeLessThan(0.1);
    }
    // Every ERROR spell ended: no machine is left in ERROR for longer than a few means.
    expect(Math.max(...spells.ERROR!) / 1000).toBeLessThan(dwellS.ERROR * 15);
  });

  it('follows shifts: the night shift runs slower than the early shift', () => {
    const day = run(plant({ dwellS: ALWAYS_RUNNING }, Date.UTC(2026, 0, 6, 9)), 1800).points;
    const night = run(plant({ dwellS: ALWAYS_RUNNING }, Date.UTC(2026, 0, 6, 1)), 1800).points;
    expect(last(night, 'press-02', 'power').value).toBeLessThan(last(day, 'press-02', 'power').value * 0.9);
    expect(last(night, 'press-02', 'units_good').value).toBeLessThan(
      last(day, 'press-02', 'units_good').value,
    );
  });
});

describe('PlantSimulator: faults do what the help says and end cleanly', () => {
  /** A faulted plant and its untouched twin: same seed, same states, same noise. */
  function twins(command: Record<string, unknown>, input: SimulatorConfigInput = {}) {
    const faulted = plant({ dwellS: ALWAYS_RUNNING, ...input });
    const control = plant({ dwellS: ALWAYS_RUNNING, ...input });
    const outcome = faulted.command(parseCommand(command));
    return { faulted, control, outcome };
  }
  const both = (t: ReturnType<typeof twins>, seconds: number) => ({
    f: run(t.faulted, seconds),
    c: run(t.control, seconds),
  });

  it('bearing_fault: temperature +15..25 degC over minutes, vibration +5..10 mm/s rising; then fades out', () => {
    const t = twins({ cmd: 'bearing_fault', value: true });
    expect(t.outcome.machines).toEqual(['line-01/cnc-01']);
    const early = both(t, 300);
    const vibrationAt5Min =
      last(early.f.points, 'cnc-01', 'vibration').value - last(early.c.points, 'cnc-01', 'vibration').value;
    const full = both(t, 1800);
    const temperature =
      last(full.f.points, 'cnc-01', 'temperature').value - last(full.c.points, 'cnc-01', 'temperature').value;
    const vibration =
      last(full.f.points, 'cnc-01', 'vibration').value - last(full.c.points, 'cnc-01', 'vibration').value;
    expect(temperature).toBeGreaterThan(14);
    expect(temperature).toBeLessThan(25.5);
    expect(vibration).toBeGreaterThan(4.5);
    expect(vibration).toBeLessThan(10.5);
    expect(vibrationAt5Min).toBeLessThan(vibration * 0.7);
    // Other machines are untouched.
    expect(last(full.f.points, 'pump-04', 'temperature')).toEqual(
      last(full.c.points, 'pump-04', 'temperature'),
    );
    expect(early.f.events).toEqual([
      {
        ts: MONDAY_8AM,
        type: 'fault',
        phase: 'start',
        fault: 'bearing_fault',
        tenant: 'acme',
        plant: 'plant-1',
        line: 'line-01',
        machine: 'cnc-01',
      },
    ]);

    t.faulted.command(parseCommand({ cmd: 'bearing_fault', value: false }));
    expect(t.faulted.drainEvents()).toMatchObject([{ phase: 'end', fault: 'bearing_fault' }]);
    const after = both(t, 3600);
    expect(
      Math.abs(
        last(after.f.points, 'cnc-01', 'temperature').value -
          last(after.c.points, 'cnc-01', 'temperature').value,
      ),
    ).toBeLessThan(1);
    expect(
      Math.abs(
        last(after.f.points, 'cnc-01', 'vibration').value - last(after.c.points, 'cnc-01', 'vibration').value,
      ),
    ).toBeLessThan(0.3);
    expect(t.faulted.counts().faulted).toBe(0);
  });

  it('bearing_fault with a short ramp shows within a minute (the demo dashboard uses it)', () => {
    const t = twins({ cmd: 'bearing_fault', value: true, ramp: 10 });
    const minute = both(t, 60);
    const rise = (metric: string) =>
      last(minute.f.points, 'cnc-01', metric).value - last(minute.c.points, 'cnc-01', metric).value;
    expect(rise('temperature')).toBeGreaterThan(2.5);
    expect(rise('vibration')).toBeGreaterThan(4.5);
    expect(() => parseCommand({ cmd: 'bearing_fault', value: true, ramp: 0 })).toThrow(/ramp/);
  });

  it('energy_spike: power x2.5..4 and energy follows; ends by itself after its duration', () => {
    const t = twins({ cmd: 'energy_spike', value: true, machine: 'press-02', duration: 120 });
    const during = both(t, 60);
    const ratio =
      last(during.f.points, 'press-02', 'power').value / last(during.c.points, 'press-02', 'power').value;
    expect(ratio).toBeGreaterThan(2.4);
    expect(ratio).toBeLessThan(4.2);
    expect(last(during.f.points, 'press-02', 'energy').value).toBeGreaterThan(
      last(during.c.points, 'press-02', 'energy').value,
    );
    const after = both(t, 120);
    expect(after.f.events).toMatchObject([{ phase: 'end', fault: 'energy_spike', machine: 'press-02' }]);
    const ratioAfter =
      last(after.f.points, 'press-02', 'power').value / last(after.c.points, 'press-02', 'power').value;
    expect(Math.abs(ratioAfter - 1)).toBeLessThan(0.05);
  });

  it('tool_wear: drifting vibration, rising QUALITY scrap, then ERROR when the tool breaks', () => {
    const t = twins({ cmd: 'tool_wear', value: true, machine: 'press-02', duration: 1200 });
    const worn = both(t, 1100);
    expect(last(worn.f.points, 'press-02', 'vibration').value).toBeGreaterThan(
      last(worn.c.points, 'press-02', 'vibration').value + 1.5,
    );
    expect(last(worn.f.points, 'press-02', 'scrap_quality').value).toBeGreaterThan(
      last(worn.c.points, 'press-02', 'scrap_quality').value + 20,
    );
    const broken = both(t, 200);
    expect(broken.f.events.slice(0, 2)).toMatchObject([
      { type: 'state', machine: 'press-02', state: 'ERROR', previous: 'RUNNING' },
      { type: 'fault', phase: 'end', fault: 'tool_wear', machine: 'press-02', reason: 'tool broke' },
    ]);
    expect(series(broken.f.points, 'press-02', 'state').map((p) => p.value)).toContain(4);
  });

  it('sensor_stuck: the value repeats with q 40; ending it restores the truth', () => {
    const t = twins({ cmd: 'sensor_stuck', value: true, machine: 'cnc-01', metric: 'vibration' });
    const stuck = both(t, 300);
    const values = series(stuck.f.points, 'cnc-01', 'vibration');
    expect(new Set(values.map((p) => p.value)).size).toBe(1);
    expect(values.every((p) => p.q === 40)).toBe(true);
    expect(new Set(series(stuck.c.points, 'cnc-01', 'vibration').map((p) => p.value)).size).toBeGreaterThan(
      100,
    );
    t.faulted.command(
      parseCommand({ cmd: 'sensor_stuck', value: false, machine: 'cnc-01', metric: 'vibration' }),
    );
    const after = both(t, 10);
    expect(last(after.f.points, 'cnc-01', 'vibration')).toMatchObject({
      q: 100,
      value: last(after.c.points, 'cnc-01', 'vibration').value,
    });
  });

  it('sensor_drift: the reading walks away from the truth at the given rate; q falls once it is 5% off', () => {
    const t = twins({ cmd: 'sensor_drift', value: true, machine: 'cnc-01', rate: 1 });
    const drift = both(t, 600);
    const f = series(drift.f.points, 'cnc-01', 'temperature');
    const c = series(drift.c.points, 'cnc-01', 'temperature');
    expect(f.at(-1)!.value - c.at(-1)!.value).toBeCloseTo(10, 5);
    expect(f[0]!.q).toBe(100);
    expect(f.at(-1)!.q).toBe(70);
    t.faulted.command(parseCommand({ cmd: 'clear' }));
    const after = both(t, 10);
    expect(last(after.f.points, 'cnc-01', 'temperature')).toEqual(
      last(after.c.points, 'cnc-01', 'temperature'),
    );
  });

  it('dropout: samples go missing at the given share, and all of them with true', () => {
    const t = twins({ cmd: 'dropout', value: 0.5, machine: 'conveyor-03' });
    const half = both(t, 2000);
    const kept =
      series(half.f.points, 'conveyor-03', 'temperature').length /
      series(half.c.points, 'conveyor-03', 'temperature').length;
    expect(kept).toBeGreaterThan(0.4);
    expect(kept).toBeLessThan(0.6);
    t.faulted.command(parseCommand({ cmd: 'dropout', value: true, machine: 'conveyor-03' }));
    expect(series(both(t, 100).f.points, 'conveyor-03', 'state')).toEqual([]);
    t.faulted.command(parseCommand({ cmd: 'dropout', value: false, machine: 'conveyor-03' }));
    expect(series(both(t, 100).f.points, 'conveyor-03', 'state')).toHaveLength(50);
  });

  it('endOutage: a simulator stopping for good ends its outage once (resume and its end event)', () => {
    const sim = plant();
    expect(sim.endOutage()).toBeUndefined();
    sim.command(parseCommand({ cmd: 'network_outage', value: true }));
    sim.drainEvents();
    expect(sim.endOutage()).toBe('resume');
    expect(sim.drainEvents()).toMatchObject([{ fault: 'network_outage', phase: 'end' }]);
    expect(sim.endOutage()).toBeUndefined();
  });

  it('network_outage: a pause, and a resume when it ends (by command or after its duration)', () => {
    const sim = plant();
    expect(sim.command(parseCommand({ cmd: 'network_outage', value: true, duration: 10 }))).toEqual({
      machines: [],
      control: 'pause',
    });
    expect(sim.drainEvents()).toMatchObject([{ type: 'fault', fault: 'network_outage', phase: 'start' }]);
    run(sim, 8);
    expect(sim.takeControl()).toBeUndefined();
    run(sim, 2);
    expect(sim.takeControl()).toBe('resume');
    expect(sim.drainEvents()).toMatchObject([
      { type: 'fault', fault: 'network_outage', phase: 'end', ts: MONDAY_8AM + 10_000 },
    ]);
    expect(sim.command(parseCommand({ cmd: 'network_outage', value: false }))).toEqual({
      machines: [],
      control: 'resume',
    });
  });

  it('a fault on a line hits all its machines; "*" hits every machine', () => {
    const sim = plant({ lines: 2 });
    expect(
      sim.command(parseCommand({ cmd: 'energy_spike', value: true, line: 'line-02' })).machines,
    ).toHaveLength(4);
    expect(
      sim.command(parseCommand({ cmd: 'bearing_fault', value: true, machine: '*' })).machines,
    ).toHaveLength(8);
    expect(sim.counts().faulted).toBe(8);
    sim.command(parseCommand({ cmd: 'clear' }));
    expect(sim.counts().faulted).toBe(0);
  });
});

describe('PlantSimulator: a pause (stop, then start) stands the plant still', () => {
  const HOUR = 3_600_000;
  // A week to the millisecond: the shift load is the same on both sides, so a paused plant must match its twin.
  const WEEK = 7 * 24 * HOUR;

  it('goes on as if the pause had not been: the same values and events, later by the pause', () => {
    const paused = plant();
    const twin = plant();
    const spike = parseCommand({ cmd: 'energy_spike', machine: 'press-02', duration: 120 });
    const outage = parseCommand({ cmd: 'network_outage', duration: 100 });
    for (const sim of [paused, twin]) {
      sim.command(spike);
      sim.command(outage);
      sim.drainEvents();
    }
    const before = [run(paused, 60), run(twin, 60)];
    expect(before[0]).toEqual(before[1]);
    paused.pauseUntil(paused.time + WEEK);
    expect(paused.time).toBe(MONDAY_8AM + 60_000 + WEEK);
    // The outage had 40 s left when the plant stopped: it ends 40 s after the restart.
    const resumedAt = (sim: PlantSimulator) => {
      while (!sim.takeControl()) sim.tick(sim.time + sim.config.intervalMs);
      return sim.time;
    };
    expect([resumedAt(paused), resumedAt(twin)]).toEqual([MONDAY_8AM + WEEK + 100_000, MONDAY_8AM + 100_000]);
    const after = run(paused, 1800);
    const expected = run(twin, 1800);
    const later = <T extends { ts: number }>(items: T[]) =>
      items.map((item) => ({ ...item, ts: item.ts + WEEK }));
    // Ids are drawn with the time, so only they differ.
    const withoutId = (points: Point[]) => points.map(({ id: _id, ...point }) => point);
    expect(withoutId(after.points)).toEqual(withoutId(later(expected.points)));
    expect(after.events).toEqual(later(expected.events));
    // The spike had 60 s left when the plant stopped: it ends 60 s after the restart, and says so.
    expect(after.events.filter((e) => e.type === 'fault')).toEqual([
      expect.objectContaining({ fault: 'network_outage', phase: 'end', ts: MONDAY_8AM + WEEK + 100_000 }),
      expect.objectContaining({ fault: 'energy_spike', phase: 'end', ts: MONDAY_8AM + WEEK + 120_000 }),
    ]);
  });

  it('produces nothing in the pause: counters after an hour stopped grow by one tick', () => {
    const sim = plant({ dwellS: ALWAYS_RUNNING });
    const ticks = run(sim, 60).points;
    const energy = (points: Point[]) => series(points, 'press-02', 'energy').map((p) => p.value);
    const good = (points: Point[]) => series(points, 'press-02', 'units_good').map((p) => p.value);
    const [e0, e1] = energy(ticks).slice(-2);
    sim.pauseUntil(sim.time + HOUR);
    const first = sim.tick(sim.time + sim.config.intervalMs);
    const tickEnergy = e1! - e0!;
    expect(energy(first)[0]! - e1!).toBeGreaterThan(tickEnergy * 0.8);
    expect(energy(first)[0]! - e1!).toBeLessThan(tickEnergy * 1.2);
    // A press makes 40 parts a minute: about one per 2 s tick, where an hour would be 2400.
    expect(good(first)[0]! - good(ticks).at(-1)!).toBeLessThanOrEqual(2);
  });

  it('keeps every state change: each state event follows the last one announced, none in a pause', () => {
    const sim = plant({ dwellS: { RUNNING: 20, IDLE: 10, SETUP: 10, ERROR: 10, MAINTENANCE: 10 } });
    const events: SimulatorEvent[] = [];
    const pauses: [number, number][] = [];
    for (let i = 0; i < 20; i++) {
      events.push(...run(sim, 30).events);
      const stoppedAt = sim.time;
      sim.pauseUntil(stoppedAt + 45_000);
      pauses.push([stoppedAt, sim.time]);
    }
    const states = events.filter((e) => e.type === 'state');
    expect(states.length).toBeGreaterThan(40);
    const announced = new Map(sim.machines.map((m) => [m.name, 'RUNNING']));
    for (const event of states) {
      expect(event.previous).toBe(announced.get(event.machine));
      announced.set(event.machine, event.state);
      expect(pauses.some(([from, to]) => event.ts > from && event.ts < to)).toBe(false);
    }
    expect(sim.machines.map((m) => announced.get(m.name))).toEqual(sim.machines.map((m) => m.state));
  });

  it('changes nothing for a time not after its own', () => {
    const sim = plant();
    run(sim, 10);
    const time = sim.time;
    const until = sim.machines.map((m) => m.stateUntil);
    sim.pauseUntil(time);
    sim.pauseUntil(time - 5000);
    expect(sim.time).toBe(time);
    expect(sim.machines.map((m) => m.stateUntil)).toEqual(until);
  });
});

describe('bad commands and config: a clear error, and nothing changes', () => {
  it.each([
    [null, /a command must be an object/],
    [{ cmd: 'explode' }, /unknown command "explode": use bearing_fault, energy_spike/],
    [{ cmd: 'bearing_fault', value: 'yes' }, /value must be true or false \(got "yes"\)/],
    [{ cmd: 'dropout', value: 2 }, /or a share from 0 to 1/],
    [{ cmd: 'energy_spike', duration: -5 }, /duration must be a number above 0/],
    [{ cmd: 'backfill' }, /backfill: give hours/],
    [{ cmd: 'backfill', from: 'soon' }, /from must be epoch ms or an ISO date-time/],
    [{ cmd: 'bearing_fault', machine: 7 }, /machine must be a name/],
  ])('parseCommand refuses %j', (payload, message) => {
    expect(() => parseCommand(payload)).toThrow(message);
  });

  it.each([
    [{ cmd: 'bearing_fault', line: 'line-09' }, /no line "line-09" \(lines: line-01, line-02\)/],
    [{ cmd: 'bearing_fault', machine: 'lathe-01' }, /no machine "lathe-01"/],
    [{ cmd: 'bearing_fault', machine: 'cnc-01' }, /is on several lines: name the line too/],
    [
      { cmd: 'sensor_stuck', machine: 'cnc-01', line: 'line-01', metric: 'pressure' },
      /line-01\/cnc-01 has no pressure sensor/,
    ],
    [
      { cmd: 'sensor_drift', machine: '*', metric: 'units_good' },
      /metric must be one of temperature, vibration/,
    ],
  ])('the plant refuses %j without touching anything', (payload, message) => {
    const sim = plant({ lines: 2 });
    const before = JSON.stringify(sim.machines);
    expect(() => sim.command(parseCommand(payload))).toThrow(message);
    expect(JSON.stringify(sim.machines)).toBe(before);
    expect(sim.drainEvents()).toEqual([]);
  });

  it.each([
    [{ tenant: 'acme corp' }, /tenant must be 1 to 64 characters/],
    [{ lines: 0 }, /lines must be a whole number from 1/],
    [{ lines: 'a, a' }, /line names must be unique/],
    [{ lines: 'ok, not ok' }, /line must be 1 to 64 characters/],
    [{ machinesPerLine: '2.5' }, /machines per line must be a whole number/],
    [{ lines: 1000, machinesPerLine: 1000 }, /1000000 machines is too many: at most 100000/],
    [{ machineTypes: 'cnc,lathe' }, /unknown machine type "lathe": use cnc, press, conveyor, pump/],
    [{ intervalMs: 5 }, /sample interval \(ms\) must be a whole number from 10/],
    [{ dwellS: { ERROR: 0 } }, /mean dwell time of ERROR \(s\) must be a number above 0/],
    [{ seed: -1 }, /seed must be a whole number/],
  ])('parseConfig refuses %j', (input, message) => {
    expect(() => parseConfig(input)).toThrow(message);
  });

  it('refuses to move time backwards', () => {
    const sim = plant();
    sim.tick(MONDAY_8AM + 2000);
    expect(() => sim.tick(MONDAY_8AM + 1000)).toThrow(/time must move forward/);
  });
});

describe('backfill', () => {
  it('generates a past span in arrays with event timestamps, reproducibly', () => {
    const config = parseConfig({ seed: 1, lines: 2, machinesPerLine: 5, intervalMs: 60_000 });
    const from = Date.UTC(2026, 0, 1);
    const batches = [...PlantSimulator.backfill(config, from, from + 86_400_000, 5000)];
    const points = batches.flatMap((b) => b.points);
    expect(batches.flatMap((b) => b.events).filter((e) => e.type === 'state').length).toBeGreaterThan(10);
    expect(batches.length).toBeGreaterThan(1);
    expect(points[0]!.ts).toBe(from + 60_000);
    expect(points.at(-1)!.ts).toBe(from + 86_400_000);
    expect(new Set(points.map((p) => p.ts)).size).toBe(1440);
    // 10 machines with 11 metrics each, and a pressure reading from each line's press and pump.
    expect(points.length).toBe(1440 * (10 * 11 + 2 * 2));
    expect(
      [...PlantSimulator.backfill(config, from, from + 86_400_000, 5000)].flatMap((b) => b.points),
    ).toEqual(points);
  });
});

import { createUuidV7Generator, type Point, type UuidV7Generator } from '@plantwire/telemetry';
import { SimulatorError, type SimulatorConfig } from './config.js';
import { type Command, type MachineFault } from './faults.js';
import {
  ACTIVITY,
  AMBIENT_C,
  MACHINE_TYPES,
  SCRAP_METRICS,
  SCRAP_MIX,
  SCRAP_REASONS,
  STATE_CODES,
  TRANSITIONS,
  type MachineState,
  type MachineType,
  type ScrapReason,
} from './machine-types.js';
import { Random } from './random.js';

/** Ground truth for the rules nodes: state changes and fault start/end, stamped with the exact event time. */
export type SimulatorEvent =
  | {
      ts: number;
      type: 'state';
      tenant: string;
      plant: string;
      line: string;
      machine: string;
      state: MachineState;
      previous: MachineState;
    }
  | {
      ts: number;
      type: 'fault';
      phase: 'start' | 'end';
      fault: MachineFault | 'network_outage';
      tenant: string;
      plant: string;
      line?: string;
      machine?: string;
      reason?: string;
    };

export interface CommandOutcome {
  /** The machines a fault command touched, as line/machine. */
  machines: string[];
  /** For network_outage: what to send to a store-forward node. */
  control?: 'pause' | 'resume';
}

/** The metrics a sensor fault may act on: every gauge a machine reports (counters cannot get stuck here). */
export const GAUGE_METRICS = ['temperature', 'vibration', 'power', 'speed', 'pressure'] as const;
type Gauge = (typeof GAUGE_METRICS)[number];

interface SensorFault {
  kind: 'sensor_stuck' | 'sensor_drift';
  metric: Gauge;
  stuckValue: number;
  offset: number;
  ratePerS: number;
  endsAt: number;
}

// Time constants (s) of the first-order lag each value follows toward its setpoint.
const TAU_S = { temperature: 240, vibration: 5, power: 3, speed: 2, pressure: 2 };
// Noise (standard deviation) per sample: absolute for temperature, relative to the value for the rest.
const NOISE = { temperature: 0.15, vibration: 0.04, power: 0.02, speed: 0.005, pressure: 0.01 };
const BEARING_RAMP_S = 600;
const DEFAULT_TOOL_LIFE_S = 1800;

class Machine {
  state: MachineState = 'RUNNING';
  stateUntil = 0;
  temperature: number;
  vibration = 0;
  power = 0;
  speed = 0;
  pressure = 0;
  energyKwh = 0;
  good = 0;
  scrap: Record<ScrapReason, number> = { QUALITY: 0, MACHINE_ERROR: 0, MATERIAL: 0, OPERATOR: 0 };
  partsDue = 0;
  // Faults: levels 0..1 that follow their targets, so effects build up and fade out physically.
  bearing = {
    active: false,
    level: 0,
    temperatureC: 0,
    vibrationMmS: 0,
    rampS: BEARING_RAMP_S,
    endsAt: Infinity,
  };
  spike = { active: false, factor: 1, endsAt: Infinity };
  wear = { active: false, level: 0, lifeS: DEFAULT_TOOL_LIFE_S, endsAt: Infinity };
  sensors: SensorFault[] = [];
  dropout = { share: 0, endsAt: Infinity };

  constructor(
    readonly line: string,
    readonly name: string,
    readonly type: MachineType,
    /** State chain and production. */
    readonly chance: Random,
    /** Measurement noise. */
    readonly noise: Random,
    /** Fault magnitudes: a stream of its own, so a fault changes nothing else about the run. */
    readonly faultDice: Random,
  ) {
    // Start warm, as a machine already running when the simulation begins (the simulator settles it to the
    // load of the start time).
    this.temperature = type.temperatureC;
    this.vibration = type.vibrationMmS;
    this.power = type.ratedPowerKw * 0.75;
    this.speed = type.speed.value * 0.9;
    this.pressure = type.pressureBar ?? 0;
  }

  get key(): string {
    return `${this.line}/${this.name}`;
  }

  get faulted(): boolean {
    return (
      this.state === 'ERROR' ||
      this.bearing.active ||
      this.spike.active ||
      this.wear.active ||
      this.sensors.length > 0 ||
      this.dropout.share > 0
    );
  }
}

/**
 * The plant: lines x machines, each a Markov chain of states with physics, production counters and faults.
 * Pure: no clock, no timers, no Node-RED. `tick(ts)` moves every machine to time `ts` and returns its points.
 */
export class PlantSimulator {
  readonly machines: Machine[] = [];
  private readonly byLine = new Map<string, Machine[]>();
  private readonly nextId: UuidV7Generator;
  private events: SimulatorEvent[] = [];
  private lastTs: number;
  private outage = { active: false, endsAt: Infinity };

  constructor(
    readonly config: SimulatorConfig,
    startTs: number,
  ) {
    const ids = new Random(config.seed ^ 0x5eed1d5);
    this.nextId = createUuidV7Generator(
      () => this.lastTs,
      (bytes) => ids.fill(bytes),
    );
    this.lastTs = startTs;
    let index = 0;
    for (const line of config.lines) {
      const machines: Machine[] = [];
      for (let i = 0; i < config.machinesPerLine; i++, index++) {
        const type = MACHINE_TYPES[config.machineTypes[i % config.machineTypes.length]!]!;
        const name = `${type.prefix}-${String(i + 1).padStart(2, '0')}`;
        const base = config.seed * 7919 + index * 3;
        const machine = new Machine(
          line,
          name,
          type,
          new Random(base),
          new Random(base + 1),
          new Random(base + 2),
        );
        // Start each machine part-way through a RUNNING spell so the plant does not change state in lockstep,
        // at the temperature it has settled to under the start time's load: no cool-down drift in the first
        // minutes to mask what a fault does.
        machine.stateUntil = startTs + machine.chance.exponential(config.dwellS.RUNNING) * 1000;
        machine.temperature = settledTemperature(type, runningEffort(loadFactor(startTs)));
        machines.push(machine);
        this.machines.push(machine);
      }
      this.byLine.set(line, machines);
    }
  }

  get time(): number {
    return this.lastTs;
  }

  /** Events since the last call (state changes, fault start/end), oldest first. */
  drainEvents(): SimulatorEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  counts(): { machines: number; running: number; faulted: number; byState: Record<MachineState, number> } {
    const byState: Record<MachineState, number> = { RUNNING: 0, IDLE: 0, SETUP: 0, ERROR: 0, MAINTENANCE: 0 };
    let faulted = 0;
    for (const machine of this.machines) {
      byState[machine.state]++;
      if (machine.faulted) faulted++;
    }
    return { machines: this.machines.length, running: byState.RUNNING, faulted, byState };
  }

  /**
   * Applies a fault or network_outage command at time `ts`. Checks everything first: a bad command throws a
   * SimulatorError and changes nothing.
   */
  command(command: Command, ts: number = this.lastTs): CommandOutcome {
    if (command.cmd === 'network_outage') {
      const active = command.value !== false;
      if (active !== this.outage.active) this.faultEvent(ts, 'network_outage', active ? 'start' : 'end');
      this.outage = { active, endsAt: active && command.duration ? ts + command.duration * 1000 : Infinity };
      return { machines: [], control: active ? 'pause' : 'resume' };
    }
    const targets = this.targets(command);
    const metric = (command.metric ?? 'temperature') as Gauge;
    if (
      (command.cmd === 'sensor_stuck' || command.cmd === 'sensor_drift') &&
      !GAUGE_METRICS.includes(metric)
    ) {
      throw new SimulatorError(
        `${command.cmd}: metric must be one of ${GAUGE_METRICS.join(', ')} (got "${command.metric}")`,
      );
    }
    if (metric === 'pressure' && (command.cmd === 'sensor_stuck' || command.cmd === 'sensor_drift')) {
      const without = targets.find((m) => m.type.pressureBar === undefined);
      if (without) throw new SimulatorError(`${command.cmd}: ${without.key} has no pressure sensor`);
    }
    for (const machine of targets) this.applyFault(machine, command, metric, ts);
    return { machines: targets.map((m) => m.key) };
  }

  private targets(command: Command): Machine[] {
    if (command.cmd === 'clear' && command.line === undefined && command.machine === undefined)
      return this.machines;
    let pool = this.machines;
    if (command.line !== undefined) {
      const line = this.byLine.get(command.line);
      if (!line)
        throw new SimulatorError(
          `${command.cmd}: no line "${command.line}" (lines: ${this.config.lines.join(', ')})`,
        );
      pool = line;
    }
    if (command.machine === '*') return pool;
    if (command.machine === undefined) {
      // The seed's {"cmd":"bearing_fault","value":true} names no machine: it meant the (first) machine.
      return command.line === undefined ? [this.machines[0]!] : pool;
    }
    const found = pool.filter((m) => m.name === command.machine);
    if (found.length === 0) {
      throw new SimulatorError(
        `${command.cmd}: no machine "${command.machine}"${command.line ? ` on ${command.line}` : ''}`,
      );
    }
    if (found.length > 1) {
      throw new SimulatorError(
        `${command.cmd}: machine "${command.machine}" is on several lines: name the line too`,
      );
    }
    return found;
  }

  private applyFault(machine: Machine, command: Command, metric: Gauge, ts: number): void {
    const on = command.value !== false && command.value !== 0;
    const endsAt = on && command.duration ? ts + command.duration * 1000 : Infinity;
    const dice = machine.faultDice;
    switch (command.cmd) {
      case 'bearing_fault': {
        const bearing = machine.bearing;
        if (on && !bearing.active) {
          bearing.temperatureC = dice.between(15, 25);
          bearing.vibrationMmS = dice.between(5, 10);
        }
        if (command.ramp !== undefined) bearing.rampS = command.ramp;
        this.switchFault(machine, 'bearing_fault', bearing.active, on, ts);
        bearing.active = on;
        bearing.endsAt = endsAt;
        return;
      }
      case 'energy_spike': {
        if (on && !machine.spike.active) machine.spike.factor = dice.between(2.5, 4);
        this.switchFault(machine, 'energy_spike', machine.spike.active, on, ts);
        machine.spike.active = on;
        machine.spike.endsAt = endsAt;
        if (!on) machine.spike.factor = 1;
        return;
      }
      case 'tool_wear': {
        this.switchFault(machine, 'tool_wear', machine.wear.active, on, ts, on ? undefined : 'tool replaced');
        machine.wear.active = on;
        machine.wear.lifeS = command.duration ?? DEFAULT_TOOL_LIFE_S;
        if (!on) machine.wear.level = 0;
        return;
      }
      case 'sensor_stuck':
      case 'sensor_drift': {
        const existing = machine.sensors.find((s) => s.kind === command.cmd && s.metric === metric);
        this.switchFault(machine, command.cmd, existing !== undefined, on, ts, metric);
        machine.sensors = machine.sensors.filter((s) => s !== existing);
        if (on) {
          const nominal = nominalValue(machine.type, metric);
          machine.sensors.push({
            kind: command.cmd,
            metric,
            stuckValue: machine[metric],
            offset: 0,
            ratePerS: (command.rate ?? nominal * 0.01) / 60,
            endsAt,
          });
        }
        return;
      }
      case 'dropout': {
        const share = command.value === true ? 1 : command.value === false ? 0 : command.value;
        this.switchFault(machine, 'dropout', machine.dropout.share > 0, share > 0, ts);
        machine.dropout = { share, endsAt: share > 0 ? endsAt : Infinity };
        return;
      }
      case 'clear': {
        for (const fault of ['bearing_fault', 'energy_spike', 'tool_wear', 'dropout'] as const) {
          this.applyFault(machine, { cmd: fault, value: false }, metric, ts);
        }
        for (const sensor of [...machine.sensors])
          this.applyFault(
            machine,
            { cmd: sensor.kind, value: false, metric: sensor.metric },
            sensor.metric,
            ts,
          );
        return;
      }
      default:
        throw new SimulatorError(`${command.cmd} is not a machine fault`);
    }
  }

  private switchFault(
    machine: Machine,
    fault: MachineFault,
    was: boolean,
    on: boolean,
    ts: number,
    reason?: string,
  ): void {
    if (was === on) return;
    this.events.push({
      ts,
      type: 'fault',
      phase: on ? 'start' : 'end',
      fault,
      tenant: this.config.tenant,
      plant: this.config.plant,
      line: machine.line,
      machine: machine.name,
      ...(reason ? { reason } : {}),
    });
  }

  private faultEvent(ts: number, fault: 'network_outage', phase: 'start' | 'end'): void {
    this.events.push({
      ts,
      type: 'fault',
      phase,
      fault,
      tenant: this.config.tenant,
      plant: this.config.plant,
    });
  }

  /** For network_outage with a duration: 'resume' once it is over (checked every tick). */
  takeControl(): 'resume' | undefined {
    if (this.outage.active && this.lastTs >= this.outage.endsAt) {
      this.outage = { active: false, endsAt: Infinity };
      this.faultEvent(this.lastTs, 'network_outage', 'end');
      return 'resume';
    }
    return undefined;
  }

  /** Moves every machine on to `ts` and returns the points sampled at `ts` (arrays: the fast path). */
  tick(ts: number, into: Point[] = []): Point[] {
    const dt = (ts - this.lastTs) / 1000;
    if (!(dt > 0)) throw new SimulatorError(`time must move forward: tick at ${ts} after ${this.lastTs}`);
    this.lastTs = ts;
    const load = loadFactor(ts);
    const lag = {
      temperature: 1 - Math.exp(-dt / TAU_S.temperature),
      vibration: 1 - Math.exp(-dt / TAU_S.vibration),
      power: 1 - Math.exp(-dt / TAU_S.power),
      speed: 1 - Math.exp(-dt / TAU_S.speed),
      pressure: 1 - Math.exp(-dt / TAU_S.pressure),
    };
    const noiseScale = Math.sqrt(Math.min(dt, 10) / 2);
    for (const machine of this.machines) {
      this.advanceState(machine, ts);
      this.advanceFaults(machine, ts, dt);
      this.advancePhysics(machine, dt, load, lag, noiseScale);
      this.produce(machine, dt, load);
      if (machine.dropout.share > 0 && machine.noise.next() < machine.dropout.share) continue;
      this.emit(machine, ts, into);
    }
    return into;
  }

  private advanceState(machine: Machine, ts: number): void {
    while (machine.stateUntil <= ts) {
      const at = machine.stateUntil;
      const from = machine.state;
      let pick = machine.chance.next();
      let to: MachineState = TRANSITIONS[from][0]![0];
      for (const [candidate, p] of TRANSITIONS[from]) {
        to = candidate;
        if ((pick -= p) < 0) break;
      }
      this.enterState(machine, to, Math.round(at));
      machine.stateUntil = at + machine.chance.exponential(this.config.dwellS[to]) * 1000;
    }
  }

  private enterState(machine: Machine, to: MachineState, ts: number, reason?: string): void {
    const previous = machine.state;
    machine.state = to;
    // The part in the machine when it fails is scrap.
    if (to === 'ERROR' && previous === 'RUNNING') machine.scrap.MACHINE_ERROR++;
    const { tenant, plant } = this.config;
    this.events.push({
      ts,
      type: 'state',
      tenant,
      plant,
      line: machine.line,
      machine: machine.name,
      state: to,
      previous,
    });
    if (reason) this.switchFault(machine, 'tool_wear', true, false, ts, reason);
  }

  private advanceFaults(machine: Machine, ts: number, dt: number): void {
    const { bearing, spike, wear, dropout } = machine;
    if (bearing.active && ts >= bearing.endsAt)
      this.applyFault(machine, { cmd: 'bearing_fault', value: false }, 'temperature', ts);
    if (spike.active && ts >= spike.endsAt)
      this.applyFault(machine, { cmd: 'energy_spike', value: false }, 'temperature', ts);
    if (dropout.share > 0 && ts >= dropout.endsAt)
      this.applyFault(machine, { cmd: 'dropout', value: false }, 'temperature', ts);
    for (const sensor of machine.sensors) {
      if (ts >= sensor.endsAt)
        this.applyFault(
          machine,
          { cmd: sensor.kind, value: false, metric: sensor.metric },
          sensor.metric,
          ts,
        );
      else if (sensor.kind === 'sensor_drift') sensor.offset += sensor.ratePerS * dt;
    }
    // The bearing damage builds up over its ramp (BEARING_RAMP_S unless the command set one) and, once
    // repaired, fades at the same pace.
    const step = dt / bearing.rampS;
    bearing.level = bearing.active ? Math.min(1, bearing.level + step) : Math.max(0, bearing.level - step);
    if (wear.active && machine.state === 'RUNNING') {
      wear.level += dt / wear.lifeS;
      if (wear.level >= 1) {
        // The worn tool breaks: the machine stops in ERROR and the tool is replaced.
        wear.active = false;
        wear.level = 0;
        this.enterState(machine, 'ERROR', ts, 'tool broke');
        machine.stateUntil = ts + machine.chance.exponential(this.config.dwellS.ERROR) * 1000;
      }
    }
  }

  private advancePhysics(
    machine: Machine,
    dt: number,
    load: number,
    lag: Record<Gauge, number>,
    noiseScale: number,
  ): void {
    const type = machine.type;
    const running = machine.state === 'RUNNING';
    const activity = ACTIVITY[machine.state];
    const effort = running ? runningEffort(load) : activity;
    const rotating = running || machine.state === 'IDLE' ? 1 : 0.3;
    const bearing = machine.bearing.level * rotating;
    const wear = machine.wear.level;

    const temperatureSetpoint =
      settledTemperature(type, effort) + bearing * machine.bearing.temperatureC + wear * 6 * activity;
    const vibrationSetpoint =
      type.vibrationMmS * (running ? 0.8 + 0.2 * load : activity) +
      bearing * machine.bearing.vibrationMmS +
      wear * 2.5 * activity;
    const powerSetpoint = type.ratedPowerKw * effort * (1 + 0.15 * wear) * machine.spike.factor;
    const speedSetpoint =
      type.speed.value * (running ? 0.85 + 0.15 * load : machine.state === 'SETUP' ? 0.1 : 0);
    const pressureSetpoint = (type.pressureBar ?? 0) * (running ? 1 : machine.state === 'IDLE' ? 0.3 : 0);

    const previousPower = machine.power;
    const noise = machine.noise;
    machine.temperature += (temperatureSetpoint - machine.temperature) * lag.temperature;
    machine.temperature += noise.gaussian() * NOISE.temperature * noiseScale;
    machine.vibration += (vibrationSetpoint - machine.vibration) * lag.vibration;
    machine.vibration = Math.max(
      0,
      machine.vibration * (1 + noise.gaussian() * NOISE.vibration * noiseScale),
    );
    machine.power += (powerSetpoint - machine.power) * lag.power;
    machine.power = Math.max(0, machine.power * (1 + noise.gaussian() * NOISE.power * noiseScale));
    machine.speed += (speedSetpoint - machine.speed) * lag.speed;
    machine.speed = Math.max(0, machine.speed * (1 + noise.gaussian() * NOISE.speed * noiseScale));
    if (type.pressureBar !== undefined) {
      machine.pressure += (pressureSetpoint - machine.pressure) * lag.pressure;
      machine.pressure = Math.max(0, machine.pressure * (1 + noise.gaussian() * NOISE.pressure * noiseScale));
    }
    // Energy is the exact (trapezoidal) integral of the power the machine reports.
    machine.energyKwh += ((previousPower + machine.power) / 2) * (dt / 3600);
  }

  private produce(machine: Machine, dt: number, load: number): void {
    if (machine.state !== 'RUNNING') return;
    machine.partsDue += machine.type.partsPerMinute * (0.85 + 0.15 * load) * (dt / 60);
    const wear = machine.wear.level;
    const scrapRate = machine.type.scrapRate + 0.3 * wear * wear;
    while (machine.partsDue >= 1) {
      machine.partsDue -= 1;
      const roll = machine.chance.next();
      if (roll >= scrapRate) {
        machine.good++;
        continue;
      }
      // Worn tools make bad parts: their scrap is QUALITY; the base rate splits by SCRAP_MIX.
      if (roll >= machine.type.scrapRate) {
        machine.scrap.QUALITY++;
        continue;
      }
      let pick = roll / machine.type.scrapRate;
      for (const [reason, share] of SCRAP_MIX) {
        if ((pick -= share) < 0 || reason === 'OPERATOR') {
          machine.scrap[reason]++;
          break;
        }
      }
    }
  }

  private emit(machine: Machine, ts: number, into: Point[]): void {
    const sensors = machine.sensors;
    const gauge = (metric: Gauge, unit: string) => {
      let value = machine[metric];
      let q = 100;
      for (const sensor of sensors) {
        if (sensor.metric !== metric) continue;
        if (sensor.kind === 'sensor_stuck') {
          value = sensor.stuckValue;
          q = 40;
        } else {
          value += sensor.offset;
          if (Math.abs(sensor.offset) > 0.05 * nominalValue(machine.type, metric)) q = Math.min(q, 70);
        }
      }
      into.push(this.point(machine, ts, metric, value, unit, q));
    };
    gauge('temperature', 'degC');
    gauge('vibration', 'mm/s');
    gauge('power', 'kW');
    into.push(this.point(machine, ts, 'energy', machine.energyKwh, 'kWh', 100));
    gauge('speed', machine.type.speed.unit);
    if (machine.type.pressureBar !== undefined) gauge('pressure', 'bar');
    into.push(this.point(machine, ts, 'units_good', machine.good, 'count', 100));
    for (const reason of SCRAP_REASONS)
      into.push(this.point(machine, ts, SCRAP_METRICS[reason], machine.scrap[reason], 'count', 100));
    into.push(this.point(machine, ts, 'state', STATE_CODES[machine.state], 'code', 100));
  }

  private point(machine: Machine, ts: number, metric: string, value: number, unit: string, q: number): Point {
    const { tenant, plant } = this.config;
    return {
      ts,
      id: this.nextId(ts),
      tenant,
      plant,
      line: machine.line,
      machine: machine.name,
      metric,
      value,
      unit,
      q,
    };
  }

  /**
   * Generates `from`..`to` as fast as it can, one array per `batchPoints` or so, stamping every point with its
   * own event time, with the events (ground truth) of the same span. A fresh plant of the same config: the
   * live simulation is not disturbed.
   */
  static *backfill(
    config: SimulatorConfig,
    from: number,
    to: number,
    batchPoints = 10_000,
  ): Generator<{ points: Point[]; events: SimulatorEvent[] }> {
    const plant = new PlantSimulator(config, from);
    let points: Point[] = [];
    for (let ts = from + config.intervalMs; ts <= to; ts += config.intervalMs) {
      plant.tick(ts, points);
      if (points.length >= batchPoints) {
        yield { points, events: plant.drainEvents() };
        points = [];
      }
    }
    const events = plant.drainEvents();
    if (points.length > 0 || events.length > 0) yield { points, events };
  }
}

function nominalValue(type: MachineType, metric: Gauge): number {
  switch (metric) {
    case 'temperature':
      return type.temperatureC;
    case 'vibration':
      return type.vibrationMmS;
    case 'power':
      return type.ratedPowerKw;
    case 'speed':
      return type.speed.value;
    case 'pressure':
      return type.pressureBar ?? 0;
  }
}

// Shift pattern (UTC hours): early and late shifts at full and 90% load, the night shift at 60%, weekends 50%.
const SHIFT_LOAD = [
  0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 1, 1, 1, 1, 1, 1, 1, 1, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.6, 0.6,
];

/** Plant load 0..1 at `ts`: shift and weekday pattern with a gentle daily swing. */
/** How hard a running machine works under a load factor (0..1). */
function runningEffort(load: number): number {
  return 0.5 + 0.5 * load;
}

/** The temperature a healthy machine settles to at an effort. */
function settledTemperature(type: MachineType, effort: number): number {
  return AMBIENT_C + (type.temperatureC - AMBIENT_C) * effort;
}

export function loadFactor(ts: number): number {
  const date = new Date(ts);
  const day = date.getUTCDay();
  const hours = date.getUTCHours() + date.getUTCMinutes() / 60;
  const weekday = day === 0 || day === 6 ? 0.5 : 1;
  return SHIFT_LOAD[date.getUTCHours()]! * weekday * (1 + 0.05 * Math.sin((2 * Math.PI * hours) / 24));
}

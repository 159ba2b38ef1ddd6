import { createUuidV7Generator, type Point } from '@plantwire/telemetry';
import type { Command } from './commands.js';
import { SimulatorError, type SimulatorConfig } from './config.js';
import { EventLog, type SimulatorEvent } from './events.js';
import { advanceFaults, applyFault } from './fault-effects.js';
import { advanceState } from './machine-states.js';
import { MACHINE_TYPES, type MachineState } from './machine-types.js';
import { GAUGE_METRICS, Machine, type Gauge } from './machine.js';
import { advancePhysics, physicsStep, runningEffort, settledTemperature } from './physics.js';
import { produce } from './production.js';
import { Random } from './random.js';
import { Sampler } from './samples.js';
import { loadFactor } from './shift-load.js';

export interface CommandOutcome {
  /** The machines a fault command touched, as line/machine. */
  machines: string[];
  /** For network_outage: what to send to a store-forward node. */
  control?: 'pause' | 'resume';
}

/**
 * The plant: lines x machines, each a Markov chain of states (machine-states.ts) with physics (physics.ts),
 * production counters (production.ts) and faults (fault-effects.ts), sampled as points (samples.ts).
 * Pure: no clock, no timers, no Node-RED. `tick(ts)` moves every machine to time `ts` and returns its points;
 * `pauseUntil(ts)` moves the clock on without running the plant (a stop).
 */
export class PlantSimulator {
  readonly machines: Machine[] = [];
  private readonly byLine = new Map<string, Machine[]>();
  private readonly events: EventLog;
  private readonly sampler: Sampler;
  private lastTs: number;
  private outage = { active: false, endsAt: Infinity };

  constructor(
    readonly config: SimulatorConfig,
    startTs: number,
  ) {
    // Ids are drawn from the seed and the plant: QuestDB keeps one row per (ts, id), so a machine-sim copied to
    // another plant with the same seed would otherwise overwrite that plant's rows of the same millisecond.
    // Tenant and plant are identifiers (no '/'), so the key names one plant.
    const ids = new Random(`ids/${config.seed}/${config.tenant}/${config.plant}`);
    const nextId = createUuidV7Generator(
      () => this.lastTs,
      (bytes) => ids.fill(bytes),
    );
    this.events = new EventLog(config.tenant, config.plant);
    this.sampler = new Sampler(config.tenant, config.plant, nextId);
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
    return this.events.drain();
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
      if (active !== this.outage.active) this.events.outage(active ? 'start' : 'end', ts);
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
    for (const machine of targets) applyFault(machine, command, metric, ts, this.events);
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

  /**
   * The plant stood still (stopped) from its time until `ts`: moves its clock to `ts` without running the time
   * between, so nothing is produced and nothing happens in the pause. State dwells and fault and outage ends are
   * put off by the pause: each runs the time it had left from `ts` on, and still reports its end. A `ts` not
   * after the plant's time changes nothing.
   */
  pauseUntil(ts: number): void {
    const pause = ts - this.lastTs;
    if (!(pause > 0)) return;
    this.lastTs = ts;
    this.outage.endsAt += pause;
    for (const machine of this.machines) machine.postpone(pause);
  }

  /** For network_outage with a duration: 'resume' once it is over (checked every tick). */
  takeControl(): 'resume' | undefined {
    return this.lastTs >= this.outage.endsAt ? this.endOutage() : undefined;
  }

  /**
   * Ends the outage now: 'resume' if one was on. A simulator that stops for good (its node redeployed or removed)
   * ends its outage, or the store-forward node it paused would stay paused with nothing left to resume it.
   */
  endOutage(): 'resume' | undefined {
    if (!this.outage.active) return undefined;
    this.outage = { active: false, endsAt: Infinity };
    this.events.outage('end', this.lastTs);
    return 'resume';
  }

  /** Moves every machine on to `ts` and returns the points sampled at `ts` (arrays: the fast path). */
  tick(ts: number, into: Point[] = []): Point[] {
    const dt = (ts - this.lastTs) / 1000;
    if (!(dt > 0)) throw new SimulatorError(`time must move forward: tick at ${ts} after ${this.lastTs}`);
    this.lastTs = ts;
    const load = loadFactor(ts);
    const step = physicsStep(dt);
    const { dwellS } = this.config;
    for (const machine of this.machines) {
      advanceState(machine, ts, dwellS, this.events);
      advanceFaults(machine, ts, dt, dwellS, this.events);
      advancePhysics(machine, step, load);
      produce(machine, dt, load);
      if (machine.dropout.share > 0 && machine.noise.next() < machine.dropout.share) continue;
      this.sampler.sample(machine, ts, into);
    }
    return into;
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

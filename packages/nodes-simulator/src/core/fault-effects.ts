import { SimulatorError } from './config.js';
import type { Command, MachineFault } from './commands.js';
import type { EventLog } from './events.js';
import { enterState } from './machine-states.js';
import { DEFAULT_TOOL_LIFE_S, nominalValue, type Gauge, type Machine, type SensorFault } from './machine.js';
import type { MachineState } from './machine-types.js';

/** Starts or ends a fault command's effect on one machine at `ts` (the command is checked already). */
export function applyFault(
  machine: Machine,
  command: Command,
  metric: Gauge,
  ts: number,
  events: EventLog,
): void {
  const on = command.value !== false && command.value !== 0;
  const endsAt = on && command.duration ? ts + command.duration * 1000 : Infinity;
  const dice = machine.faultDice;
  const toggle = (fault: MachineFault, was: boolean, now: boolean, reason?: string) => {
    if (was !== now) events.machineFault(machine, fault, now ? 'start' : 'end', ts, reason);
  };
  switch (command.cmd) {
    case 'bearing_fault': {
      const bearing = machine.bearing;
      if (on && !bearing.active) {
        bearing.temperatureC = dice.between(15, 25);
        bearing.vibrationMmS = dice.between(5, 10);
      }
      if (command.ramp !== undefined) bearing.rampS = command.ramp;
      toggle('bearing_fault', bearing.active, on);
      bearing.active = on;
      bearing.endsAt = endsAt;
      return;
    }
    case 'energy_spike': {
      if (on && !machine.spike.active) machine.spike.factor = dice.between(2.5, 4);
      toggle('energy_spike', machine.spike.active, on);
      machine.spike.active = on;
      machine.spike.endsAt = endsAt;
      if (!on) machine.spike.factor = 1;
      return;
    }
    case 'tool_wear': {
      toggle('tool_wear', machine.wear.active, on, on ? undefined : 'tool replaced');
      machine.wear.active = on;
      machine.wear.lifeS = command.duration ?? DEFAULT_TOOL_LIFE_S;
      if (!on) machine.wear.level = 0;
      return;
    }
    case 'sensor_stuck':
    case 'sensor_drift': {
      const existing = machine.sensors.find((s) => s.kind === command.cmd && s.metric === metric);
      toggle(command.cmd, existing !== undefined, on, metric);
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
      toggle('dropout', machine.dropout.share > 0, share > 0);
      machine.dropout = { share, endsAt: share > 0 ? endsAt : Infinity };
      return;
    }
    case 'clear': {
      for (const fault of ['bearing_fault', 'energy_spike', 'tool_wear', 'dropout'] as const) {
        applyFault(machine, { cmd: fault, value: false }, metric, ts, events);
      }
      for (const sensor of [...machine.sensors]) endSensorFault(machine, sensor, ts, events);
      return;
    }
    default:
      throw new SimulatorError(`${command.cmd} is not a machine fault`);
  }
}

function endSensorFault(machine: Machine, sensor: SensorFault, ts: number, events: EventLog): void {
  applyFault(machine, { cmd: sensor.kind, value: false, metric: sensor.metric }, sensor.metric, ts, events);
}

/**
 * Moves a machine's faults on to `ts`: timed ones end, drift grows, bearing damage builds up or fades, and a
 * worn tool breaks (the machine stops in ERROR for an ERROR dwell).
 */
export function advanceFaults(
  machine: Machine,
  ts: number,
  dt: number,
  dwellS: Record<MachineState, number>,
  events: EventLog,
): void {
  const { bearing, spike, wear, dropout } = machine;
  if (bearing.active && ts >= bearing.endsAt)
    applyFault(machine, { cmd: 'bearing_fault', value: false }, 'temperature', ts, events);
  if (spike.active && ts >= spike.endsAt)
    applyFault(machine, { cmd: 'energy_spike', value: false }, 'temperature', ts, events);
  if (dropout.share > 0 && ts >= dropout.endsAt)
    applyFault(machine, { cmd: 'dropout', value: false }, 'temperature', ts, events);
  for (const sensor of machine.sensors) {
    if (ts >= sensor.endsAt) endSensorFault(machine, sensor, ts, events);
    else if (sensor.kind === 'sensor_drift') sensor.offset += sensor.ratePerS * dt;
  }
  // The bearing damage builds up over its ramp (BEARING_RAMP_S in machine.ts unless the command set one) and, once repaired,
  // fades at the same pace.
  const step = dt / bearing.rampS;
  bearing.level = bearing.active ? Math.min(1, bearing.level + step) : Math.max(0, bearing.level - step);
  if (wear.active && machine.state === 'RUNNING') {
    wear.level += dt / wear.lifeS;
    if (wear.level >= 1) {
      // The worn tool breaks: the machine stops in ERROR and the tool is replaced.
      wear.active = false;
      wear.level = 0;
      enterState(machine, 'ERROR', ts, events);
      events.machineFault(machine, 'tool_wear', 'end', ts, 'tool broke');
      machine.stateUntil = ts + machine.chance.exponential(dwellS.ERROR) * 1000;
    }
  }
}

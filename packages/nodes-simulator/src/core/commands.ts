import { describeValue } from '@plantwire/telemetry';
import { SimulatorError, parsePositive } from './config.js';

/** Machine faults a command can inject, with what each does (the node's help repeats this). */
export const MACHINE_FAULTS = {
  bearing_fault: 'temperature +15..25 degC over minutes, vibration +5..10 mm/s rising over 10 minutes',
  energy_spike: 'power x2.5..4 (energy follows)',
  tool_wear:
    'slow drift of vibration, temperature and power, rising QUALITY scrap, then ERROR when the tool breaks',
  sensor_stuck: 'one metric (default temperature) repeats its last value, q 40',
  sensor_drift:
    'one metric (default temperature) drifts away from the truth, q falls to 70 once it is off by 5%',
  dropout: 'samples go missing (value: share of samples lost, 0..1; true = all)',
} as const;
export type MachineFault = keyof typeof MACHINE_FAULTS;

/** Plant-wide commands that are not machine faults. */
export const PLANT_COMMANDS = ['network_outage', 'clear', 'start', 'stop', 'backfill'] as const;
export type PlantCommand = (typeof PLANT_COMMANDS)[number];

export interface Command {
  cmd: MachineFault | PlantCommand;
  /** true starts a fault, false ends it; dropout also takes a share 0..1. */
  value: boolean | number;
  line?: string;
  /** A machine name, or '*' for every machine (of the line, when one is given). */
  machine?: string;
  /** The metric a sensor fault acts on. */
  metric?: string;
  /** Seconds until the fault ends by itself (tool_wear: until the tool breaks). */
  duration?: number;
  /** sensor_drift: units per minute. */
  rate?: number;
  /** bearing_fault: seconds until the damage is full (and, once cleared, gone); 600 by default. */
  ramp?: number;
  /** backfill: the span to generate, ending now (or at `to`). */
  hours?: number;
  from?: number;
  to?: number;
}

const KNOWN = [...Object.keys(MACHINE_FAULTS), ...PLANT_COMMANDS];

/** Checks a command message payload; throws a SimulatorError that says what is wrong and what is allowed. */
export function parseCommand(payload: unknown): Command {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new SimulatorError(
      `a command must be an object like {"cmd":"bearing_fault","value":true} (got ${describeValue(payload)})`,
    );
  }
  const body = payload as Record<string, unknown>;
  const cmd = body.cmd;
  if (typeof cmd !== 'string' || !KNOWN.includes(cmd)) {
    throw new SimulatorError(`unknown command ${describeValue(cmd)}: use ${KNOWN.join(', ')}`);
  }
  const command: Command = { cmd: cmd as Command['cmd'], value: true };
  if (body.value !== undefined) {
    const ok =
      typeof body.value === 'boolean' ||
      (cmd === 'dropout' && typeof body.value === 'number' && body.value >= 0 && body.value <= 1);
    if (!ok) {
      throw new SimulatorError(
        `${cmd}: value must be true or false${cmd === 'dropout' ? ' or a share from 0 to 1' : ''} (got ${describeValue(body.value)})`,
      );
    }
    command.value = body.value as boolean | number;
  }
  for (const field of ['line', 'machine', 'metric'] as const) {
    const value = body[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '')
      throw new SimulatorError(`${cmd}: ${field} must be a name (got ${describeValue(value)})`);
    command[field] = value;
  }
  for (const field of ['duration', 'rate', 'hours', 'ramp'] as const) {
    if (body[field] !== undefined) command[field] = parsePositive(`${cmd}: ${field}`, body[field]);
  }
  for (const field of ['from', 'to'] as const) {
    const value = body[field];
    if (value === undefined) continue;
    const ms = typeof value === 'string' ? Date.parse(value) : value;
    if (typeof ms !== 'number' || !Number.isFinite(ms)) {
      throw new SimulatorError(
        `${cmd}: ${field} must be epoch ms or an ISO date-time (got ${describeValue(value)})`,
      );
    }
    command[field] = ms;
  }
  if (cmd === 'backfill' && command.hours === undefined && command.from === undefined) {
    throw new SimulatorError(
      'backfill: give hours (for example {"cmd":"backfill","hours":24}) or from and to',
    );
  }
  return command;
}

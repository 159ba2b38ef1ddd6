import { assertIdentifier, describeValue } from '@plantwire/telemetry';
import { DEFAULT_DWELL_S, MACHINE_TYPES, STATES, type MachineState } from './machine-types.js';

export interface SimulatorConfig {
  tenant: string;
  plant: string;
  lines: string[];
  machinesPerLine: number;
  /** Machine type keys (cnc, press, conveyor, pump), given to the machines of each line in turn. */
  machineTypes: string[];
  intervalMs: number;
  seed: number;
  dwellS: Record<MachineState, number>;
}

/** Config as it comes from the editor or a message: strings where numbers belong, lines as a count or names. */
export interface SimulatorConfigInput {
  tenant?: unknown;
  plant?: unknown;
  lines?: unknown;
  machinesPerLine?: unknown;
  machineTypes?: unknown;
  intervalMs?: unknown;
  seed?: unknown;
  dwellS?: Partial<Record<MachineState, unknown>>;
}

export class SimulatorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulatorError';
  }
}

export const MAX_MACHINES = 100_000;

/** What parseConfig takes for a setting left out (the editor's defaults too, through machine-sim's spec). */
export const CONFIG_DEFAULTS = {
  tenant: 'acme',
  plant: 'plant-1',
  lines: 2,
  machinesPerLine: 4,
  machineTypes: 'cnc,press,conveyor,pump',
  intervalMs: 2000,
} as const;

/** Checks and completes a configuration; throws a SimulatorError that names the setting and the rule. */
export function parseConfig(input: SimulatorConfigInput): SimulatorConfig {
  const tenant = identifier('tenant', input.tenant ?? CONFIG_DEFAULTS.tenant);
  const plant = identifier('plant', input.plant ?? CONFIG_DEFAULTS.plant);
  const lines = parseLines(input.lines ?? CONFIG_DEFAULTS.lines);
  const machinesPerLine = integer(
    'machines per line',
    input.machinesPerLine ?? CONFIG_DEFAULTS.machinesPerLine,
    1,
    MAX_MACHINES,
  );
  if (lines.length * machinesPerLine > MAX_MACHINES) {
    throw new SimulatorError(
      `${lines.length * machinesPerLine} machines is too many: at most ${MAX_MACHINES}`,
    );
  }
  const machineTypes = parseList(input.machineTypes ?? CONFIG_DEFAULTS.machineTypes);
  if (machineTypes.length === 0) throw new SimulatorError('machine types must name at least one type');
  for (const type of machineTypes) {
    if (!MACHINE_TYPES[type]) {
      throw new SimulatorError(
        `unknown machine type ${describeValue(type)}: use ${Object.keys(MACHINE_TYPES).join(', ')}`,
      );
    }
  }
  const intervalMs = integer(
    'sample interval (ms)',
    input.intervalMs ?? CONFIG_DEFAULTS.intervalMs,
    10,
    3_600_000,
  );
  const seed =
    input.seed === undefined || input.seed === ''
      ? Math.floor(Math.random() * 2 ** 31)
      : integer('seed', input.seed, 0, 2 ** 32 - 1);
  const dwellS = { ...DEFAULT_DWELL_S };
  for (const state of STATES) {
    const value = input.dwellS?.[state];
    if (value !== undefined && value !== '')
      dwellS[state] = positive(`mean dwell time of ${state} (s)`, value);
  }
  return { tenant, plant, lines, machinesPerLine, machineTypes, intervalMs, seed, dwellS };
}

function identifier(field: string, value: unknown): string {
  try {
    return assertIdentifier(field, value);
  } catch (error) {
    throw new SimulatorError((error as Error).message);
  }
}

function parseList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  return items.map((item) => String(item).trim()).filter((item) => item !== '');
}

/** A count ("3" gives line-01..line-03) or names ("press-shop, assembly"). */
function parseLines(value: unknown): string[] {
  if (typeof value === 'number' || (typeof value === 'string' && /^\s*\d+\s*$/.test(value))) {
    const count = integer('lines', value, 1, MAX_MACHINES);
    return Array.from({ length: count }, (_, i) => `line-${String(i + 1).padStart(2, '0')}`);
  }
  const names = parseList(value).map((name) => identifier('line', name));
  if (names.length === 0) throw new SimulatorError('lines must be a count or a list of line names');
  if (new Set(names).size !== names.length) throw new SimulatorError('line names must be unique');
  return names;
}

function integer(field: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new SimulatorError(
      `${field} must be a whole number from ${min} to ${max} (got ${describeValue(value)})`,
    );
  }
  return number;
}

function positive(field: string, value: unknown): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0) {
    throw new SimulatorError(`${field} must be a number above 0 (got ${describeValue(value)})`);
  }
  return number;
}

export { integer as parseInteger, positive as parsePositive };

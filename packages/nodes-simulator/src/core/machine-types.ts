/** Machine states, with the numeric codes the `state` metric carries. */
export const STATES = ['RUNNING', 'IDLE', 'SETUP', 'ERROR', 'MAINTENANCE'] as const;
export type MachineState = (typeof STATES)[number];
export const STATE_CODES: Record<MachineState, number> = {
  RUNNING: 1,
  IDLE: 2,
  SETUP: 3,
  ERROR: 4,
  MAINTENANCE: 5,
};

/** Default mean dwell time per state, in seconds. */
export const DEFAULT_DWELL_S: Record<MachineState, number> = {
  RUNNING: 1800,
  IDLE: 300,
  SETUP: 600,
  ERROR: 180,
  MAINTENANCE: 1200,
};

/** Where a machine goes when its dwell time is up: next state and probability. ERROR always recovers. */
export const TRANSITIONS: Record<MachineState, [MachineState, number][]> = {
  RUNNING: [
    ['IDLE', 0.45],
    ['SETUP', 0.25],
    ['ERROR', 0.2],
    ['MAINTENANCE', 0.1],
  ],
  IDLE: [
    ['RUNNING', 0.8],
    ['SETUP', 0.2],
  ],
  SETUP: [['RUNNING', 1]],
  ERROR: [
    ['RUNNING', 0.6],
    ['IDLE', 0.25],
    ['MAINTENANCE', 0.15],
  ],
  MAINTENANCE: [
    ['SETUP', 0.5],
    ['IDLE', 0.5],
  ],
};

export const SCRAP_REASONS = ['QUALITY', 'MACHINE_ERROR', 'MATERIAL', 'OPERATOR'] as const;
export type ScrapReason = (typeof SCRAP_REASONS)[number];
/** Metric names of the cumulative scrap counters, one per reason. */
export const SCRAP_METRICS: Record<ScrapReason, string> = {
  QUALITY: 'scrap_quality',
  MACHINE_ERROR: 'scrap_machine_error',
  MATERIAL: 'scrap_material',
  OPERATOR: 'scrap_operator',
};

/** Share of random scrap by reason (MACHINE_ERROR scrap also comes from every ERROR: the part in the machine). */
export const SCRAP_MIX: [ScrapReason, number][] = [
  ['QUALITY', 0.45],
  ['MATERIAL', 0.35],
  ['OPERATOR', 0.2],
];

export interface MachineType {
  name: string;
  /** The prefix of machine names: cnc-01, press-02, ... */
  prefix: string;
  temperatureC: number;
  vibrationMmS: number;
  ratedPowerKw: number;
  speed: { value: number; unit: string };
  /** Hydraulic or line pressure, where the machine has one. */
  pressureBar?: number;
  /** Parts per minute while RUNNING at full load. */
  partsPerMinute: number;
  /** Share of parts scrapped in normal running. */
  scrapRate: number;
}

export const MACHINE_TYPES: Record<string, MachineType> = {
  cnc: {
    name: 'CNC mill',
    prefix: 'cnc',
    temperatureC: 55,
    vibrationMmS: 2.2,
    ratedPowerKw: 15,
    speed: { value: 8000, unit: 'rpm' },
    partsPerMinute: 2,
    scrapRate: 0.02,
  },
  press: {
    name: 'Hydraulic press',
    prefix: 'press',
    temperatureC: 48,
    vibrationMmS: 4,
    ratedPowerKw: 30,
    speed: { value: 40, unit: 'spm' },
    pressureBar: 180,
    partsPerMinute: 40,
    scrapRate: 0.015,
  },
  conveyor: {
    name: 'Conveyor',
    prefix: 'conveyor',
    temperatureC: 35,
    vibrationMmS: 1.2,
    ratedPowerKw: 3,
    speed: { value: 30, unit: 'm/min' },
    partsPerMinute: 120,
    scrapRate: 0.002,
  },
  pump: {
    name: 'Centrifugal pump',
    prefix: 'pump',
    temperatureC: 50,
    vibrationMmS: 2,
    ratedPowerKw: 11,
    speed: { value: 2950, unit: 'rpm' },
    pressureBar: 6,
    partsPerMinute: 10,
    scrapRate: 0.01,
  },
};

/** Activity per state: scales setpoints between idle-cold (0) and full running (1). */
export const ACTIVITY: Record<MachineState, number> = {
  RUNNING: 1,
  IDLE: 0.15,
  SETUP: 0.25,
  ERROR: 0.05,
  MAINTENANCE: 0,
};

export const AMBIENT_C = 22;

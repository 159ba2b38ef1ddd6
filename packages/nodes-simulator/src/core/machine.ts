import type { MachineState, MachineType, ScrapReason } from './machine-types.js';
import type { Random } from './random.js';

/** The metrics a sensor fault may act on: every gauge a machine reports (counters cannot get stuck here). */
export const GAUGE_METRICS = ['temperature', 'vibration', 'power', 'speed', 'pressure'] as const;
export type Gauge = (typeof GAUGE_METRICS)[number];

export interface SensorFault {
  kind: 'sensor_stuck' | 'sensor_drift';
  metric: Gauge;
  stuckValue: number;
  offset: number;
  ratePerS: number;
  endsAt: number;
}

const BEARING_RAMP_S = 600;
export const DEFAULT_TOOL_LIFE_S = 1800;

/** One simulated machine: its state, physical values, counters and the faults acting on it. */
export class Machine {
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
  wear = { active: false, level: 0, lifeS: DEFAULT_TOOL_LIFE_S };
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

  /**
   * Puts off everything this machine has timed by `ms` (the plant stood still): its state's dwell and its
   * faults' ends. Tool wear needs nothing: it counts running time, not the clock.
   */
  postpone(ms: number): void {
    this.stateUntil += ms;
    this.bearing.endsAt += ms;
    this.spike.endsAt += ms;
    this.dropout.endsAt += ms;
    for (const sensor of this.sensors) sensor.endsAt += ms;
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

/** What a healthy machine of this type reads on a gauge at full work. */
export function nominalValue(type: MachineType, metric: Gauge): number {
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

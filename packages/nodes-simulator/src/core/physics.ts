import { ACTIVITY, AMBIENT_C, type MachineType } from './machine-types.js';
import type { Gauge, Machine } from './machine.js';

// Time constants (s) of the first-order lag each value follows toward its setpoint.
const TAU_S = { temperature: 240, vibration: 5, power: 3, speed: 2, pressure: 2 };
// Noise (standard deviation) per sample: absolute for temperature, relative to the value for the rest.
const NOISE = { temperature: 0.15, vibration: 0.04, power: 0.02, speed: 0.005, pressure: 0.01 };

/** What a time step of `dt` seconds means for every machine: how far each value follows, how much noise. */
export interface PhysicsStep {
  dt: number;
  lag: Record<Gauge, number>;
  noiseScale: number;
}

export function physicsStep(dt: number): PhysicsStep {
  return {
    dt,
    lag: {
      temperature: 1 - Math.exp(-dt / TAU_S.temperature),
      vibration: 1 - Math.exp(-dt / TAU_S.vibration),
      power: 1 - Math.exp(-dt / TAU_S.power),
      speed: 1 - Math.exp(-dt / TAU_S.speed),
      pressure: 1 - Math.exp(-dt / TAU_S.pressure),
    },
    noiseScale: Math.sqrt(Math.min(dt, 10) / 2),
  };
}

/** How hard a running machine works under a load factor (0..1). */
export function runningEffort(load: number): number {
  return 0.5 + 0.5 * load;
}

/** The temperature a healthy machine settles to at an effort. */
export function settledTemperature(type: MachineType, effort: number): number {
  return AMBIENT_C + (type.temperatureC - AMBIENT_C) * effort;
}

/**
 * Moves a machine's values one step toward the setpoints of its state, load and faults, with measurement
 * noise, and integrates its energy.
 */
export function advancePhysics(machine: Machine, { dt, lag, noiseScale }: PhysicsStep, load: number): void {
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
  machine.vibration = Math.max(0, machine.vibration * (1 + noise.gaussian() * NOISE.vibration * noiseScale));
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

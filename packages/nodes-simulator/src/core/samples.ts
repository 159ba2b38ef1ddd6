import type { Point, UuidV7Generator } from '@plantwire/telemetry';
import { SCRAP_METRICS, SCRAP_REASONS, STATE_CODES } from './machine-types.js';
import { nominalValue, type Gauge, type Machine } from './machine.js';

/** What a machine reports at a time, as points: its gauges as its sensors read them, counters and state. */
export class Sampler {
  constructor(
    private readonly tenant: string,
    private readonly plant: string,
    private readonly nextId: UuidV7Generator,
  ) {}

  sample(machine: Machine, ts: number, into: Point[]): void {
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
    return {
      ts,
      id: this.nextId(ts),
      tenant: this.tenant,
      plant: this.plant,
      line: machine.line,
      machine: machine.name,
      metric,
      value,
      unit,
      q,
    };
  }
}

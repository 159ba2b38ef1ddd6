import type { MachineFault } from './commands.js';
import type { Machine } from './machine.js';
import type { MachineState } from './machine-types.js';

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

/** The events of one plant since they were last drained, oldest first. */
export class EventLog {
  private events: SimulatorEvent[] = [];

  constructor(
    private readonly tenant: string,
    private readonly plant: string,
  ) {}

  state(machine: Machine, state: MachineState, previous: MachineState, ts: number): void {
    const { tenant, plant } = this;
    this.events.push({
      ts,
      type: 'state',
      tenant,
      plant,
      line: machine.line,
      machine: machine.name,
      state,
      previous,
    });
  }

  machineFault(
    machine: Machine,
    fault: MachineFault,
    phase: 'start' | 'end',
    ts: number,
    reason?: string,
  ): void {
    this.events.push({
      ts,
      type: 'fault',
      phase,
      fault,
      tenant: this.tenant,
      plant: this.plant,
      line: machine.line,
      machine: machine.name,
      ...(reason ? { reason } : {}),
    });
  }

  outage(phase: 'start' | 'end', ts: number): void {
    this.events.push({
      ts,
      type: 'fault',
      phase,
      fault: 'network_outage',
      tenant: this.tenant,
      plant: this.plant,
    });
  }

  drain(): SimulatorEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }
}

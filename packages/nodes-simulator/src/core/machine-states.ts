import { TRANSITIONS, type MachineState } from './machine-types.js';
import type { EventLog } from './events.js';
import type { Machine } from './machine.js';

/** Walks a machine's Markov chain of states up to `ts`: each state lasts an exponential dwell, then moves on. */
export function advanceState(
  machine: Machine,
  ts: number,
  dwellS: Record<MachineState, number>,
  events: EventLog,
): void {
  while (machine.stateUntil <= ts) {
    const at = machine.stateUntil;
    const from = machine.state;
    let pick = machine.chance.next();
    let to: MachineState = TRANSITIONS[from][0]![0];
    for (const [candidate, p] of TRANSITIONS[from]) {
      to = candidate;
      if ((pick -= p) < 0) break;
    }
    enterState(machine, to, Math.round(at), events);
    machine.stateUntil = at + machine.chance.exponential(dwellS[to]) * 1000;
  }
}

export function enterState(machine: Machine, to: MachineState, ts: number, events: EventLog): void {
  const previous = machine.state;
  machine.state = to;
  // The part in the machine when it fails is scrap.
  if (to === 'ERROR' && previous === 'RUNNING') machine.scrap.MACHINE_ERROR++;
  events.state(machine, to, previous, ts);
}

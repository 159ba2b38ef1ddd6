export { PlantSimulator, type CommandOutcome } from './core/plant-simulator.js';
export { type SimulatorEvent } from './core/events.js';
export { GAUGE_METRICS } from './core/machine.js';
export { loadFactor } from './core/shift-load.js';
export {
  parseConfig,
  SimulatorError,
  MAX_MACHINES,
  type SimulatorConfig,
  type SimulatorConfigInput,
} from './core/config.js';
export {
  parseCommand,
  MACHINE_FAULTS,
  PLANT_COMMANDS,
  type Command,
  type MachineFault,
} from './core/commands.js';
export {
  MACHINE_TYPES,
  STATES,
  STATE_CODES,
  DEFAULT_DWELL_S,
  SCRAP_METRICS,
  type MachineState,
} from './core/machine-types.js';

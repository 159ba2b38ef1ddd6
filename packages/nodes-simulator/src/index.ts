export {
  PlantSimulator,
  loadFactor,
  GAUGE_METRICS,
  type SimulatorEvent,
  type CommandOutcome,
} from './core/engine.js';
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
} from './core/faults.js';
export {
  MACHINE_TYPES,
  STATES,
  STATE_CODES,
  DEFAULT_DWELL_S,
  SCRAP_METRICS,
  type MachineState,
} from './core/machine-types.js';

// Only the machine-sim shell's import path: src/nodes is being changed on another branch. Goes once the shell
// imports plant-simulator.js.
export { PlantSimulator } from './plant-simulator.js';

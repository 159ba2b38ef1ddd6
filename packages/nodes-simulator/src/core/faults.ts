// Only the machine-sim shell's import path: src/nodes is being changed on another branch. Goes once the shell
// imports commands.js.
export { parseCommand, type Command } from './commands.js';

// @plantwire/node-shell: the one way a Plantwire node shell does the common things. Internal and private:
// scripts/build-node-package.mjs bundles it into each node package, so published packages gain no dependency.
//
//   export = function register(RED: NodeAPI) {
//     function MyNode(this: Node, def: NodeDef) {
//       RED.nodes.createNode(this, def);
//       const shell = nodeShell(RED, this, 'my-node');
//       let settings;
//       try { settings = shell.settings(def, SETTINGS); } catch (error) { shell.refuseSetup(error); }
//       this.on('input', (msg, send: Send, done: Done) => {
//         if (!settings) return done(shell.notConfigured());
//         ...
//         shell.status.ok(shell.text('status.counts', { rows }));
//       });
//       shell.onClose(() => { ... });
//     }
//     registerNode(RED, 'my-node', MyNode, SETTINGS);
//   };
//
// See README.md and docs/architecture.md, "How to write a Plantwire node".
export type { Done, Outputs, Send } from './messages.js';
export { fileNameFor } from './file-name.js';
export {
  nodeShell,
  registerNode,
  type CredentialFields,
  type KeptState,
  type NodeShell,
} from './node-shell.js';
export {
  parseSettings,
  setting,
  settingDefaults,
  SettingError,
  type Settings,
  type SettingsSpec,
} from './settings.js';
export { StateFile, type StateFileLoad } from './state-file.js';
export { STATUS_TEXT_MAX, StatusLight, statusOf, type StatusKind } from './status.js';
export { nodeTexts, shellTexts, type TextParams, type Texts } from './texts.js';
export { Throttle } from './throttle.js';
export { delayUntil, MAX_TIMER_MS, settledWithin } from './timer.js';

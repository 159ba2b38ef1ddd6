// What a node's shell does the same way as every other: its texts, its status, its settings (refused at
// deploy when bad), its errors and its close.
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { numberRules, parseSettings, settingDefaults, type Settings, type SettingsSpec } from './settings.js';
import { startQueue } from './flows-started.js';
import { StateFile } from './state-file.js';
import { StatusLight } from './status.js';
import { nodeTexts, shellTexts, type TextParams, type Texts } from './texts.js';

export interface NodeShell {
  /** The node's texts: key under `<type>.` in its locales/<lang>/<type>.json. */
  readonly text: Texts;
  readonly status: StatusLight;
  /** Parses the settings against the spec; throws a SettingError naming the bad setting and its rule. */
  settings<S extends SettingsSpec>(def: NodeDef, spec: S): Settings<S>;
  /** An Error for Catch nodes, its text from the node's locales, prefixed with the node type. */
  error(key: string, params?: TextParams): Error;
  /** Logs a warning from the node's locales, prefixed with the node type. */
  warn(key: string, params?: TextParams): void;
  /** Deploy failed: logs the reason (node.error) and shows it in a red status. The node then refuses input. */
  refuseSetup(reason: unknown): void;
  /**
   * `run` for a timer: what it throws is logged and shown in a red status, as refuseSetup does. Thrown from a
   * timer, an error escapes every handler, and Node-RED stops on an uncaught exception.
   */
  guard(run: () => void): () => void;
  /** The error for a message reaching a node that refused its setup. */
  notConfigured(): Error;
  /** Runs `close` on redeploy and removal (removed = true), waiting for it when it returns a promise. */
  onClose(close: (removed: boolean) => void | Promise<void>): void;
  /** Runs `start` once every flow has started (what it sends then reaches its wires), unless the node closes first. */
  afterFlowsStart(start: () => void): void;
  /**
   * The node's state kept in the file at `path` (see StateFile): what is there is handed to `restore` now; a file
   * that cannot be read or restored is moved aside with a warning and the node starts empty.
   */
  keepState(path: string, kept: KeptState): StateFile;
}

/** What a node keeps in its state file, and how. */
export interface KeptState {
  /** The state to save, read at save time. */
  snapshot: () => unknown;
  restore: (state: unknown) => void;
  /** Told of a failed save (which is logged), and again with no error once a save succeeds: for the status. */
  onSaveResult?: (error: Error | undefined) => void;
  /** saveSoon() saves at most this often (1 s unless told). */
  saveEveryMs?: number;
  /**
   * What the state holds only for (settings that shape it, the package's version): saved with it, and a file
   * saved for anything else is not restored (a warning says so) and the node starts empty.
   */
  validFor?: unknown;
}

export function nodeShell(RED: NodeAPI, node: Node, type: string): NodeShell {
  const text = nodeTexts(RED, type);
  const shell = shellTexts(RED);
  const status = new StatusLight(node);
  const report = (reason: unknown) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    node.error(`${type}: ${message}`);
    status.error(message);
  };
  const guard = (run: () => void) => () => {
    try {
      run();
    } catch (error) {
      report(error);
    }
  };
  return {
    text,
    status,
    settings: (def, spec) => parseSettings(def as unknown as Record<string, unknown>, spec, shell),
    error: (key, params) => new Error(`${type}: ${text(key, params)}`),
    warn: (key, params) => node.warn(`${type}: ${text(key, params)}`),
    refuseSetup: report,
    guard,
    notConfigured: () => new Error(`${type}: ${shell('notConfigured')}`),
    afterFlowsStart(start) {
      const queue = startQueue(RED.events);
      // Guarded: thrown from Node-RED's 'flows:started', it would keep the other nodes' starts from running.
      const run = guard(start);
      queue.add(run);
      node.on('close', () => queue.delete(run));
    },
    keepState(path, { snapshot, restore, onSaveResult, saveEveryMs, validFor }) {
      const file = new StateFile(
        path,
        validFor === undefined ? snapshot : () => ({ validFor, state: snapshot() }),
        (error) => {
          if (error) node.error(`${type}: ${shell('state.saveFailed', { path, reason: error.message })}`);
          onSaveResult?.(error);
        },
        saveEveryMs,
      );
      const { unreadable, movedTo, moveError } = file.load((saved) => {
        if (validFor === undefined) return restore(saved);
        const kept = saved as { validFor?: unknown; state?: unknown } | null;
        if (JSON.stringify(kept?.validFor) === JSON.stringify(validFor)) return restore(kept!.state);
        node.warn(`${type}: ${shell('state.otherSettings', { path })}`);
      });
      // Start empty all the same; the next save replaces the file, or fails and says so.
      if (unreadable !== undefined && moveError !== undefined)
        node.error(`${type}: ${shell('state.unreadableKept', { path, reason: unreadable, moveError })}`);
      else if (unreadable !== undefined)
        node.warn(
          `${type}: ${shell('state.unreadableMoved', { path, reason: unreadable, movedTo: movedTo! })}`,
        );
      return file;
    },
    onClose(close) {
      node.on('close', (removed: boolean, done: () => void) => {
        Promise.resolve()
          .then(() => close(removed))
          .catch((error: unknown) => node.error(`${type}: ${(error as Error).message}`))
          .finally(done);
      });
    },
  };
}

/** A node's credentials (Node-RED keeps them out of the flow file): each field's name and how the editor shows it. */
export type CredentialFields = Record<string, { type: 'text' | 'password' }>;

/**
 * Registers a node type whose settings follow `spec`. The defaults go to the editor as the runtime setting
 * RED.settings.<camelCaseType>Defaults (for store-forward: storeForwardDefaults), which the node's .html reads
 * for its `defaults`, and the number settings' ranges as RED.settings.<camelCaseType>Numbers, which its number
 * fields are checked against (plantwireNumber, editor/plantwire-number.js): written once, in the spec.
 */
export function registerNode(
  RED: NodeAPI,
  type: string,
  constructor: (this: Node, def: NodeDef) => void,
  spec: SettingsSpec,
  credentials?: CredentialFields,
): void {
  const camel = type.replace(/[^A-Za-z0-9]+([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase());
  const settings = {
    [`${camel}Defaults`]: { value: settingDefaults(spec), exportable: true },
    [`${camel}Numbers`]: { value: numberRules(spec), exportable: true },
  };
  (RED.nodes.registerType as (type: string, ctor: unknown, options: object) => void)(type, constructor, {
    settings,
    ...(credentials && { credentials }),
  });
}

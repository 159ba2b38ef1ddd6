import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** node-red-node-test-helper's API as our tests use it (promise forms). */
export interface NodeRedTestHelper {
  load(nodes: unknown, flow: unknown[], credentials?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  getNode(id: string): NodeRedTestNode | null;
  clearFlows(): Promise<void>;
  /** Deploys `flow` over the loaded one as the editor does: a full, "modified flows" or "modified nodes" deploy. */
  setFlows(flow: unknown[], type: 'full' | 'flows' | 'nodes'): Promise<void>;
  /** Sets runtime settings (merged over the defaults); with none, answers the current ones. */
  settings(userSettings?: Record<string, unknown>): Record<string, unknown>;
  /** What the nodes logged at `level` (Node-RED's levels: 20 error, 30 warn); only node `id`'s when given. */
  logged(level: number, id?: string): string[];
}

/** One entry of Node-RED's log: its level, the node that logged it, if any, and its text. */
interface LogEntry {
  level: number;
  id?: string;
  msg: unknown;
}

/** The parts of a runtime node that tests touch. */
export interface NodeRedTestNode {
  id: string;
  type: string;
  receive(msg: Record<string, unknown>): void;
  on(event: string, listener: (...args: never[]) => void): void;
  status: ((status: unknown) => void) & { (): void };
  [key: string]: unknown;
}

let helper: NodeRedTestHelper | undefined;

/**
 * node-red-node-test-helper, initialised once against the workspace's pinned Node-RED. Its RED._ answers
 * every text key with the key itself; here each node gets the RED._ of a real runtime instead: its
 * locales/<lang>/<node>.json, in Node-RED's own i18n, as the runtime loads it.
 */
export function nodeRedTestHelper(): NodeRedTestHelper {
  if (!helper) {
    const loaded = require('node-red-node-test-helper') as NodeRedTestHelper & {
      init(path: string): void;
      /** Everything the runtime logged, each call's first argument a log entry (a sinon spy). */
      log(): { args: [LogEntry, ...unknown[]][] };
    };
    loaded.init(require.resolve('node-red'));
    const load = loaded.load.bind(loaded);
    // A test that sets no userDir gets a new one for each load: the nodes that keep files there (alarms, what
    // a detector learned) start as in a new Node-RED, never from files of an earlier test. One that sets its own
    // (to load again over the files of a load before) keeps it.
    let ownUserDir: string | undefined;
    process.on('exit', () => ownUserDir && rmSync(ownUserDir, { recursive: true, force: true }));
    loaded.load = async (nodes, flow, credentials) => {
      const userDir = loaded.settings().userDir;
      if (userDir === undefined || userDir === ownUserDir) {
        if (ownUserDir) rmSync(ownUserDir, { recursive: true, force: true });
        ownUserDir = mkdtempSync(join(tmpdir(), 'plantwire-test-'));
        loaded.settings({ ...loaded.settings(), userDir: ownUserDir });
      }
      return load(await withCatalogues(nodes), flow, credentials);
    };
    loaded.logged = (level, id) =>
      loaded
        .log()
        .args.map((args) => args[0])
        .filter((entry) => entry.level === level && (id === undefined || entry.id === id))
        .map((entry) => String(entry.msg));
    helper = loaded;
  }
  return helper;
}

interface NodeRedI18n {
  init(settings: { lang: string }): void;
  registerMessageCatalog(namespace: string, dir: string, file: string): Promise<void>;
  _(key: string, params?: unknown): string;
}

type NodeModule = (RED: Record<string, unknown>) => unknown;

async function withCatalogues(nodes: unknown): Promise<unknown> {
  const util = require(require.resolve('@node-red/util', { paths: [require.resolve('node-red')] })) as {
    i18n: NodeRedI18n;
  };
  const i18n = util.i18n;
  i18n.init({ lang: 'en-US' });
  const wrap = async (module: unknown): Promise<unknown> => {
    const file = Object.values(require.cache).find((loaded) => loaded?.exports === module)?.filename;
    if (typeof module !== 'function' || !file || !existsSync(join(dirname(file), 'locales'))) return module;
    const namespace = basename(file, '.js');
    await i18n.registerMessageCatalog(namespace, join(dirname(file), 'locales'), `${namespace}.json`);
    const translate = (key: string, params?: unknown) => i18n._(`${namespace}:${key}`, params);
    return (RED: Record<string, unknown>) =>
      (module as NodeModule)(Object.assign(Object.create(RED) as Record<string, unknown>, { _: translate }));
  };
  return Array.isArray(nodes) ? Promise.all(nodes.map(wrap)) : wrap(nodes);
}

/** One of Node-RED's own core nodes (for example 'common/25-catch'), to load beside ours in a test flow. */
export function coreNode(path: string): unknown {
  return require(
    require.resolve(`@node-red/nodes/core/${path}.js`, { paths: [require.resolve('node-red')] }),
  );
}

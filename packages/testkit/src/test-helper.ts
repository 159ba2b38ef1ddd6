import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** node-red-node-test-helper's API as our tests use it (promise forms). */
export interface NodeRedTestHelper {
  load(nodes: unknown, flow: unknown[], credentials?: Record<string, unknown>): Promise<void>;
  unload(): Promise<void>;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  getNode(id: string): NodeRedTestNode | null;
  clearFlows(): Promise<void>;
  settings(userSettings: Record<string, unknown>): void;
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

/** node-red-node-test-helper, initialised once against the workspace's pinned Node-RED. */
export function nodeRedTestHelper(): NodeRedTestHelper {
  if (!helper) {
    const loaded = require('node-red-node-test-helper') as NodeRedTestHelper & { init(path: string): void };
    loaded.init(require.resolve('node-red'));
    helper = loaded;
  }
  return helper;
}

/** One of Node-RED's own core nodes (for example 'common/25-catch'), to load beside ours in a test flow. */
export function coreNode(path: string): unknown {
  return require(
    require.resolve(`@node-red/nodes/core/${path}.js`, { paths: [require.resolve('node-red')] }),
  );
}

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminToken } from './admin-auth.js';
import { freePort, GiveUp, startProcess, waitFor, type ManagedProcess } from './process.js';

const require = createRequire(import.meta.url);

/** A flow as Node-RED's admin API takes it: an array of node objects. */
export type FlowNode = { id: string; type: string; [key: string]: unknown };

/**
 * Settings every test and the demo start from: no palette catalogue fetch (there is no network), no tours and no
 * telemetry consent prompt, so the editor loads cleanly in a headless browser.
 */
export const QUIET_EDITOR_SETTINGS = {
  editorTheme: { palette: { catalogues: [] }, tours: false },
  telemetry: { enabled: false },
};

export interface NodeRedOptions {
  /** A userDir to use as is (kept on stop); a new temporary one (removed on stop) when omitted. */
  userDir?: string;
  port?: number;
  /** Loopback by default; the demo passes 0.0.0.0 only when asked. */
  host?: string;
  /** Flows to deploy once the runtime is up (through the admin API, as the editor does). */
  flows?: FlowNode[];
  /** Plain-data settings merged over QUIET_EDITOR_SETTINGS and written to <userDir>/settings.js. */
  settings?: Record<string, unknown>;
  /** The node binary (another Node major, say); this process's by default. */
  nodeBinary?: string;
  /** Options for that node binary, before red.js (`--cpu-prof`, say). */
  nodeArgs?: string[];
  /** Node-RED's red.js; the workspace's pinned Node-RED by default. */
  redJs?: string;
  env?: Record<string, string>;
  startTimeoutMs?: number;
  /** With adminAuth in `settings`: the user whose token api() and deploy() use. */
  login?: { username: string; password: string };
}

export interface NodeRed {
  readonly url: string;
  readonly port: number;
  readonly userDir: string;
  readonly process: ManagedProcess;
  /** Full deploy through POST /flows; resolves when the runtime has started them, fails on missing node types. */
  deploy(flows: FlowNode[]): Promise<void>;
  /** The admin API, parsed as JSON; throws on a non-2xx answer with its body. */
  api<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  /** Resolves with the first log match after `since` (a log offset, 0 = from the start). */
  waitForLog(pattern: RegExp, timeoutMs?: number, since?: number): Promise<RegExpExecArray>;
  /** Everything the process printed. */
  log(): string;
  /** SIGINT, as Ctrl-C: Node-RED closes every node (running their close handlers) and exits. */
  stop(graceMs?: number): Promise<number | string>;
}

/** What Node-RED logs when it has started a set of flows, or cannot because node types are missing. */
const FLOWS_STARTED = /Started flows|Waiting for missing types to be registered:.*(\n.*- .*)*/;

/** Starts a real Node-RED process from a userDir; resolves once its admin API answers (and `flows` are deployed). */
export async function startNodeRed(options: NodeRedOptions = {}): Promise<NodeRed> {
  const ownUserDir = options.userDir === undefined;
  const userDir = options.userDir ?? mkdtempSync(join(tmpdir(), 'plantwire-node-red-'));
  mkdirSync(userDir, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const settings = {
    ...QUIET_EDITOR_SETTINGS,
    flowFile: 'flows.json',
    credentialSecret: 'plantwire-test-secret',
    ...options.settings,
    uiHost: host,
    uiPort: port,
  };
  // It holds the credential secret (which decrypts flows_cred.json) and the admin password hashes: this user's only.
  const settingsFile = join(userDir, 'settings.js');
  writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`, { mode: 0o600 });
  chmodSync(settingsFile, 0o600);
  const redJs = options.redJs ?? require.resolve('node-red/red.js');
  const child = startProcess(
    options.nodeBinary ?? process.execPath,
    [...(options.nodeArgs ?? []), redJs, '--userDir', userDir, '--settings', settingsFile],
    { env: { ...process.env, ...options.env }, cwd: userDir },
  );
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;

  let token: string | undefined;
  async function api<T>(path: string, init?: RequestInit): Promise<T> {
    // /nodes answers HTML to a browser; ask for JSON.
    if (options.login && token === undefined) {
      token = await adminToken(url, options.login.username, options.login.password);
    }
    const response = await fetch(url + path, {
      ...init,
      headers: {
        Accept: 'application/json',
        ...(token && { Authorization: `Bearer ${token}` }),
        ...init?.headers,
      },
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function waitForLog(pattern: RegExp, timeoutMs = 30_000, since = 0): Promise<RegExpExecArray> {
    return waitFor(
      `Node-RED to log ${pattern}`,
      async () => {
        if (child.exitStatus() !== undefined) {
          throw new GiveUp(`Node-RED exited (${child.exitStatus()}):\n${child.output().slice(-3000)}`);
        }
        return pattern.exec(child.output().slice(since)) ?? undefined;
      },
      timeoutMs,
      50,
    );
  }

  async function deploy(flows: FlowNode[]): Promise<void> {
    const since = child.output().length;
    await api('/flows', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
      body: JSON.stringify(flows),
    });
    const [line] = await waitForLog(FLOWS_STARTED, 30_000, since);
    if (line.startsWith('Waiting'))
      throw new Error(`Node-RED cannot start the flows: ${line.replace(/\s+/g, ' ')}`);
  }

  try {
    await waitFor(
      `Node-RED to answer on ${url}`,
      async () => {
        if (child.exitStatus() !== undefined) {
          throw new GiveUp(`Node-RED exited (${child.exitStatus()}):\n${child.output().slice(-3000)}`);
        }
        await api('/settings');
        return true;
      },
      options.startTimeoutMs ?? 60_000,
      100,
    );
    // The admin API answers before the flows in the userDir have started; a deploy before then would be
    // confused with that start.
    await waitForLog(FLOWS_STARTED, options.startTimeoutMs ?? 60_000);
    if (options.flows) await deploy(options.flows);
  } catch (error) {
    await child.stop('SIGKILL');
    if (ownUserDir) rmSync(userDir, { recursive: true, force: true });
    throw error;
  }

  return {
    url,
    port,
    userDir,
    process: child,
    deploy,
    api,
    waitForLog,
    log: () => child.output(),
    async stop(graceMs = 20_000) {
      const status = await child.stop('SIGINT', graceMs);
      if (ownUserDir) rmSync(userDir, { recursive: true, force: true });
      return status;
    },
  };
}

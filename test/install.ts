// A user's install of Plantwire into a Node-RED they already run: the packages come from a registry (a local
// verdaccio that lerna publishes this working tree to), into a fresh userDir, both ways a user installs them.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import {
  ensureNodeRed,
  npm,
  startNodeRed,
  startAedesBroker,
  startQuestDb,
  startRegistry,
  waitFor,
  type Broker,
  type FlowNode,
  type NodeRed,
  type NodeRuntime,
  type QuestDb,
  type Registry,
} from '@plantwire/testkit';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface NodePackage {
  name: string;
  dir: string;
  types: string[];
}

/**
 * Stock Node-RED modules the examples wire in, which a user installs beside Plantwire (the package READMEs say
 * so): the email node of the reports examples. The version is the one the reports package tests with.
 */
export const COMPANION_MODULES = [{ module: 'node-red-node-email', version: '5.2.5' }];

/** The workspace's Node-RED packages and the node types each registers (one type per node set, by convention). */
export const NODE_PACKAGES: NodePackage[] = readdirSync(join(ROOT, 'packages')).flatMap((dir) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8'));
  const nodes = pkg['node-red']?.nodes as Record<string, string> | undefined;
  return nodes
    ? [{ name: pkg.name as string, dir: join(ROOT, 'packages', dir), types: Object.keys(nodes) }]
    : [];
});

const say = (line: string) => console.log(`[install] ${line}`);

interface NodeSet {
  module: string;
  types: string[];
  err?: unknown;
}

/**
 * Everything a user's Node-RED shows once Plantwire is installed: every node type registered without a load
 * error, every example listed and deployable without an error in the log, and the short edge flow
 * (machine-sim -> store-forward -> questdb-write -> back) putting points into a real QuestDB.
 */
async function checkInstalled(red: NodeRed, label: string, services: Services, table: string): Promise<void> {
  const { questdb } = services;
  const sets = await red.api<NodeSet[]>('/nodes');
  for (const pkg of NODE_PACKAGES) {
    const own = sets.filter((set) => set.module === pkg.name);
    const failed = own.filter((set) => set.err !== undefined);
    expect(failed, `${pkg.name} failed to load (see the Node-RED log):\n${red.log().slice(-4000)}`).toEqual(
      [],
    );
    const types = own.flatMap((set) => set.types).sort();
    expect(types, `${pkg.name} node types`).toEqual([...pkg.types].sort());
    say(`${label}: ${pkg.name} registered ${types.join(', ')}`);
  }
  for (const pkg of NODE_PACKAGES) {
    const listed = await red.api<{ fn: string }[]>(`/library/examples/flows/${pkg.name}`);
    const expected = readdirSync(join(pkg.dir, 'examples'))
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.replace(/\.json$/, ''));
    expect(listed.map((entry) => entry.fn).sort(), `${pkg.name} examples`).toEqual(expected.sort());
    for (const { fn } of listed) {
      const example = await red.api<FlowNode[]>(
        `/library/examples/flows/${pkg.name}/${encodeURIComponent(fn)}`,
      );
      const flow = pointAtServices(example, red, services);
      const since = red.log().length;
      await red.deploy(flow);
      // Give the nodes a moment to start (connect, open files) and report a failure, if any.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const errors = red
        .log()
        .slice(since)
        .split('\n')
        .filter((line) => line.includes('[error]'));
      expect(errors, `${pkg.name} example "${fn}" logged errors`).toEqual([]);
      say(`${label}: ${pkg.name} example "${fn}" deployed without errors`);
    }
  }
  await red.deploy(edgeFlow(questdb, table));
  const rows = await waitFor(
    `points from the edge flow in QuestDB table ${table}`,
    async () => {
      const result = await questdb.exec(`SELECT count() FROM ${table}`).catch(() => undefined);
      const count = Number(result?.dataset[0]?.[0] ?? 0);
      return count >= 60 ? count : undefined;
    },
    60_000,
  );
  say(
    `${label}: machine-sim -> store-forward -> questdb-write put ${rows} points into QuestDB table ${table}`,
  );
  await red.deploy([]);
}

interface Services {
  questdb: QuestDb;
  broker: Broker;
}

/**
 * An example as a user runs it after import: its QuestDB, MQTT broker and Node-RED addresses (the defaults of a
 * local install: 9000, 1883, 1880) pointed at this test's services.
 */
function pointAtServices(example: FlowNode[], red: NodeRed, { questdb, broker }: Services): FlowNode[] {
  const text = JSON.stringify(example)
    .replaceAll('http://127.0.0.1:9000', questdb.httpUrl)
    .replaceAll('http://127.0.0.1:1880', red.url);
  return (JSON.parse(text) as FlowNode[]).map((node) =>
    node.type === 'mqtt-broker' ? { ...node, broker: broker.host, port: String(broker.port) } : node,
  );
}

function edgeFlow(questdb: QuestDb, table: string): FlowNode[] {
  return [
    { id: 'edge', type: 'tab' },
    { id: 'db', type: 'questdb-config', url: questdb.httpUrl, flushIntervalMs: '100' },
    {
      id: 'sim',
      z: 'edge',
      type: 'machine-sim',
      lines: '1',
      machinesPerLine: '2',
      machineTypes: 'cnc,pump',
      interval: '0.2',
      seed: '8',
      output: 'array',
      autostart: true,
      wires: [['buffer'], [], []],
    },
    {
      id: 'buffer',
      z: 'edge',
      type: 'store-forward',
      storeName: 'install-check',
      maxWaitMs: '100',
      wires: [['write'], []],
    },
    { id: 'write', z: 'edge', type: 'questdb-write', server: 'db', table, wires: [['buffer'], []] },
  ];
}

/** A userDir as Node-RED makes one, with npm pointed at the local registry (the Palette Manager reads it too). */
function freshUserDir(registry: Registry, label: string): string {
  const userDir = mkdtempSync(join(tmpdir(), `plantwire-install-${label}-`));
  writeFileSync(join(userDir, '.npmrc'), registry.npmrc());
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify({
      name: 'node-red-project',
      description: 'A Node-RED Project',
      version: '0.0.1',
      private: true,
    }),
  );
  return userDir;
}

/** POST /nodes, as the Palette Manager does: it answers only once npm has finished (minutes with a native build). */
function paletteInstall(
  red: NodeRed,
  module: string,
  version?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ module, version });
    const req = request(
      `${red.url}/nodes`,
      { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface InstallCheck {
  nodeRedVersion: string;
  runtime: () => NodeRuntime;
}

/** Publishes, then installs into Node-RED `nodeRedVersion` on `runtime` with npm and with the Palette Manager. */
export function installSuite({ nodeRedVersion, runtime: makeRuntime }: InstallCheck) {
  let registry: Registry;
  let questdb: QuestDb;
  let broker: Broker;
  let runtime: NodeRuntime;
  let redJs: string;
  const userDirs: string[] = [];
  const label = `Node-RED ${nodeRedVersion}`;

  return {
    async setup() {
      runtime = makeRuntime();
      redJs = ensureNodeRed(nodeRedVersion, runtime, say);
      registry = await startRegistry();
      say(`published to ${registry.url}:\n${registry.publishWorkspace(ROOT)}`);
      questdb = await startQuestDb({ heap: '512m' });
      broker = await startAedesBroker();
    },
    async teardown() {
      await questdb?.stop();
      await broker?.stop();
      await registry?.stop();
      for (const dir of userDirs) rmSync(dir, { recursive: true, force: true });
    },
    async npmInstall() {
      const userDir = freshUserDir(registry, 'npm');
      userDirs.push(userDir);
      const modules = [
        ...NODE_PACKAGES.map((pkg) => pkg.name),
        ...COMPANION_MODULES.map((c) => `${c.module}@${c.version}`),
      ];
      say(`${label} on Node ${runtime.version}: npm install ${modules.join(' ')}`);
      npm(runtime, userDir, ['install', ...modules]);
      const sqlite = JSON.parse(
        readFileSync(join(userDir, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8'),
      );
      say(`${label} on Node ${runtime.version}: npm chose better-sqlite3 ${sqlite.version as string}`);
      const red = await startNodeRed({ userDir, redJs, nodeBinary: runtime.node, env: runtime.env });
      try {
        expect((await red.api<{ version: string }>('/settings')).version).toBe(nodeRedVersion);
        await checkInstalled(red, `${label} (npm install)`, { questdb, broker }, 'install_npm');
      } finally {
        await red.stop();
      }
    },
    async paletteInstall() {
      const userDir = freshUserDir(registry, 'palette');
      userDirs.push(userDir);
      const red = await startNodeRed({ userDir, redJs, nodeBinary: runtime.node, env: runtime.env });
      try {
        for (const pkg of NODE_PACKAGES) {
          say(`${label} on Node ${runtime.version}: Palette Manager installs ${pkg.name}`);
          const answer = await paletteInstall(red, pkg.name);
          expect(answer.status, `POST /nodes ${pkg.name}: ${answer.body}\n${red.log().slice(-4000)}`).toBe(
            200,
          );
        }
        for (const { module, version } of COMPANION_MODULES) {
          const answer = await paletteInstall(red, module, version);
          expect(answer.status, `POST /nodes ${module}: ${answer.body}`).toBe(200);
        }
        await checkInstalled(red, `${label} (Palette Manager)`, { questdb, broker }, 'install_palette');
      } finally {
        await red.stop();
      }
    },
  };
}

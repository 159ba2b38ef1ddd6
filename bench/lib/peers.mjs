// The peers the benchmarks compare with: stock Node-RED nodes from the npm registry, installed once into the cache
// (outside the workspace, so they never enter the product's dependencies).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '@plantwire/testkit';

const PEERS = {
  // sqlite3 compiles from source here (its prebuilt download is unreachable): minutes, once.
  'node-red-node-sqlite': {
    version: '1.1.1',
    dir: 'bench-peer',
    env: { npm_config_build_from_source: 'true' },
  },
  'node-red-contrib-influxdb': { version: '0.7.0', dir: 'bench-peer-influxdb', env: {} },
};

/** The installed package's folder, or undefined when it cannot be installed here. */
export function peerPackage(name, log) {
  const { version, dir, env } = PEERS[name];
  const prefix = join(cacheDir(), dir);
  const folder = join(prefix, 'node_modules', name);
  if (!existsSync(join(folder, 'package.json'))) {
    mkdirSync(prefix, { recursive: true });
    log(`installing ${name} ${version} for the peer comparison`);
    const npm = spawnSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefix', prefix, `${name}@${version}`],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, ...env },
      },
    );
    if (npm.status !== 0 || !existsSync(join(folder, 'package.json'))) return undefined;
  }
  return folder;
}

/** Every peer package by name, or undefined when one cannot be installed. */
export function peerModules(log) {
  const folders = Object.fromEntries(Object.keys(PEERS).map((name) => [name, peerPackage(name, log)]));
  return Object.values(folders).every(Boolean) ? folders : undefined;
}

// node-red-contrib-influxdb as its users set it up against QuestDB's InfluxDB 1.x endpoint (/write).

/** Its config node for the QuestDB at host:port. */
export function influxPeerConfig(id, host, port) {
  return {
    id,
    type: 'influxdb',
    hostname: host,
    port: String(port),
    protocol: 'http',
    database: 'qdb',
    name: '',
    usetls: false,
    influxdbVersion: '1.x',
  };
}

/** Its out node writing to measurement through the config node configId (one point per message). */
export function influxPeerOut(id, configId, measurement) {
  return {
    id,
    type: 'influxdb out',
    influxdb: configId,
    name: '',
    measurement,
    precision: 'ms',
    retentionPolicy: '',
  };
}

/** A telemetry point as the out node takes one: fields in payload[0], tags in payload[1]. */
export const influxPeerPayload = (p) => [
  { value: p.value, q: p.q, id: p.id, time: new Date(p.ts) },
  { tenant: p.tenant, plant: p.plant, line: p.line, machine: p.machine, metric: p.metric, unit: p.unit },
];

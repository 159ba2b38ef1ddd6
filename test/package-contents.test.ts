// What `npm install` gives a user: each published package ships its build, examples and documents, nothing else.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_PACKAGES, ROOT } from './install.js';

const PUBLISHED = [
  { name: '@plantwire/telemetry', dir: join(ROOT, 'packages', 'telemetry'), types: [] },
  ...NODE_PACKAGES,
];
const SHIPPED =
  /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/.+\.(js|mjs|d\.ts|d\.mts|html|json|svg|png)|examples\/[^/]+\.json|schema\/[^/]+\.json|fonts\/([^/]+\.ttf|LICENSE-[^/]+))$/;
const ROOT_VERSION = JSON.parse(readFileSync(join(ROOT, 'lerna.json'), 'utf8')).version as string;

describe.each(PUBLISHED.map((pkg) => [pkg.name, pkg] as const))('%s as published', (name, pkg) => {
  const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8'));

  it('packs only what a user needs', () => {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: pkg.dir,
        encoding: 'utf8',
      }),
    ) as { files: { path: string }[] }[];
    const files = packed!.files.map((file) => file.path);
    console.log(`[pack] ${name}: ${files.length} files: ${files.join(', ')}`);
    expect(files.filter((file) => !SHIPPED.test(file))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']));
    if (manifest.main) expect(files).toContain(manifest.main.replace(/^\.\//, ''));
    // The PDF's fonts, with their licence.
    const fonts = join(pkg.dir, 'fonts');
    for (const font of existsSync(fonts) ? readdirSync(fonts) : []) expect(files).toContain(`fonts/${font}`);
    for (const entry of Object.values((manifest['node-red']?.nodes ?? {}) as Record<string, string>)) {
      expect(files).toContain(entry);
      expect(files).toContain(entry.replace(/\.js$/, '.html'));
    }
  });

  it('builds itself when packed, so a publish from a clean checkout (lerna publish from-package) ships dist', () => {
    expect(manifest.scripts?.prepack).toBe('npm run build');
    expect(manifest.scripts?.build).toBeTruthy();
  });

  it('has a semver version shared by all packages and a CHANGELOG entry for it', () => {
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
    expect(manifest.version).toBe(ROOT_VERSION);
    expect(readFileSync(join(pkg.dir, 'CHANGELOG.md'), 'utf8')).toContain(`## ${manifest.version} - `);
  });

  it('has a README with install, a reference for every node, guarantees and figures', () => {
    const readme = readFileSync(join(pkg.dir, 'README.md'), 'utf8');
    for (const heading of ['## Install', '## Guarantees', '## Figures'])
      expect(readme).toMatch(new RegExp(`^${heading}`, 'm'));
    expect(readme).toContain(`npm install ${name}`);
    if (pkg.types.length > 0) expect(readme).toMatch(/^## (Node reference|Nodes)/m);
    for (const type of pkg.types) expect(readme).toMatch(new RegExp(`^##.*\\b${type}\\b|\`${type}\``, 'm'));
  });
});

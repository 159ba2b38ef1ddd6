import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeRed } from '@plantwire/testkit';

const buildScript = fileURLToPath(new URL('../../../scripts/build-node-package.mjs', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/node-package', import.meta.url));

function build(dir: string) {
  return spawnSync(process.execPath, [buildScript], { cwd: dir, encoding: 'utf8' });
}

describe('scripts/build-node-package.mjs (every node package builds with it)', () => {
  let work: string;
  let pkg: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'plantwire-build-'));
    pkg = join(work, 'fixture-node-package');
    cpSync(fixture, pkg, { recursive: true });
    const result = build(pkg);
    expect(result.status, result.stderr).toBe(0);
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('puts CommonJS, the .html, locales/ and icons/ side by side under dist/nodes/<node>/', () => {
    const out = join(pkg, 'dist', 'nodes', 'sample-gauge');
    for (const file of [
      'sample-gauge.js',
      'sample-gauge.html',
      'locales/en-US/sample-gauge.json',
      'locales/en-US/sample-gauge.html',
      'icons/sample.svg',
    ]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const code = readFileSync(join(out, 'sample-gauge.js'), 'utf8');
    expect(code).toMatch(/module\.exports/);
    expect(code).not.toMatch(/^import /m);
  });

  it('puts a shared fragment of src/nodes/ into the .html where a line includes it, indented as the line', () => {
    const html = readFileSync(join(pkg, 'dist', 'nodes', 'sample-gauge', 'sample-gauge.html'), 'utf8');
    expect(html).toContain(
      '    <select id="node-input-unit">\n' +
        '      <option value="bar">bar</option>\n' +
        '      <option value="psi">psi</option>\n' +
        '    </select>\n',
    );
    expect(html).not.toContain('include:');
    expect(existsSync(join(pkg, 'dist', 'nodes', 'unit-options.html'))).toBe(false);
  });

  it('loads in a real Node-RED from the userDir, with its editor, help and icon, and runs', async () => {
    const userDir = join(work, 'userDir');
    mkdirSync(join(userDir, 'node_modules', '@plantwire'), { recursive: true });
    symlinkSync(pkg, join(userDir, 'node_modules', '@plantwire', 'fixture-node-package'));
    const red = await startNodeRed({ userDir });
    try {
      const sets =
        await red.api<{ module: string; types: string[]; err?: unknown; enabled: boolean }[]>('/nodes');
      const set = sets.find((s) => s.module === '@plantwire/fixture-node-package');
      expect(set).toMatchObject({ types: ['sample-gauge'], enabled: true });
      expect(set?.err).toBeUndefined();
      const editor = await (await fetch(`${red.url}/nodes`, { headers: { Accept: 'text/html' } })).text();
      expect(editor).toContain("RED.nodes.registerType('sample-gauge'");
      expect(editor).toContain('data-help-name="sample-gauge"');
      const icon = await fetch(`${red.url}/icons/@plantwire/fixture-node-package/sample.svg`);
      expect(icon.status).toBe(200);
      await red.deploy([
        { id: 'tab', type: 'tab' },
        { id: 'in', z: 'tab', type: 'http in', url: '/double', method: 'get', wires: [['seed']] },
        {
          id: 'seed',
          z: 'tab',
          type: 'change',
          rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '21', tot: 'num' }],
          wires: [['gauge']],
        },
        { id: 'gauge', z: 'tab', type: 'sample-gauge', wires: [['res']] },
        { id: 'res', z: 'tab', type: 'http response', wires: [] },
      ]);
      expect(await (await fetch(`${red.url}/double`)).text()).toBe('42');
    } finally {
      await red.stop();
    }
  });

  it('refuses to build when package.json does not register exactly the nodes found', () => {
    const broken = join(work, 'unregistered');
    cpSync(fixture, broken, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(broken, 'package.json'), 'utf8'));
    manifest['node-red'].nodes = {};
    writeFileSync(join(broken, 'package.json'), JSON.stringify(manifest));
    const result = build(broken);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      '"node-red".nodes must be exactly {"sample-gauge":"dist/nodes/sample-gauge/sample-gauge.js"}',
    );
  });

  it('refuses to build when a .html includes a fragment that is not there', () => {
    const broken = join(work, 'no-fragment');
    cpSync(fixture, broken, { recursive: true });
    rmSync(join(broken, 'src', 'nodes', 'unit-options.html'));
    const result = build(broken);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('includes unit-options.html, which is not in src/nodes/');
  });
});

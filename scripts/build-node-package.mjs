// Builds one Node-RED node package (run from its folder by `npm run build`): every src/nodes/<node>/<node>.ts
// becomes CommonJS at dist/nodes/<node>/<node>.js, with the node's .html, locales/ and icons/ copied beside it,
// where Node-RED and the Flow Library scorecard look for them. Fails when package.json's "node-red".nodes does
// not list exactly the nodes found, so a node can never ship unregistered.
// Node-RED loads each node's .html on its own, so what a package's forms show alike (the options of a <select>)
// is written once, as a fragment src/nodes/<fragment>.html, and a line `<!-- include: <fragment>.html -->` in a
// node's .html stands for it: the built .html holds the fragment in its place, indented as the line was.
// The internal @plantwire/node-shell is bundled into each node (published packages do not depend on it), and
// its texts are merged into each node's catalogue, where RED._ finds them beside the node's own.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

const SHELL = '@plantwire/node-shell';
const shellDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'node-shell');
const shellLocales = join(shellDir, 'locales');
// The editor's number check every node's form uses, put before each node's definition.
const numberCheck = `<script type="text/javascript">\n${readFileSync(join(shellDir, 'editor', 'plantwire-number.js'), 'utf8')}</script>\n`;

const root = process.cwd();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nodesDir = join(root, 'src', 'nodes');
const nodes = existsSync(nodesDir)
  ? readdirSync(nodesDir).filter((name) => existsSync(join(nodesDir, name, `${name}.ts`)))
  : [];

const expected = Object.fromEntries(nodes.map((name) => [name, `dist/nodes/${name}/${name}.js`]));
const declared = pkg['node-red']?.nodes ?? {};
if (JSON.stringify(Object.entries(declared).sort()) !== JSON.stringify(Object.entries(expected).sort())) {
  console.error(`${pkg.name}: package.json "node-red".nodes must be exactly ${JSON.stringify(expected)}`);
  console.error(`found ${JSON.stringify(declared)}`);
  process.exit(1);
}

// src/index.ts, where a package has one, exposes its pure core (engines, detectors) to scripts and benchmarks.
const entry = Object.fromEntries(
  nodes.map((name) => [`nodes/${name}/${name}`, `src/nodes/${name}/${name}.ts`]),
);
const hasIndex = existsSync(join(root, 'src', 'index.ts'));
if (hasIndex) entry.index = 'src/index.ts';
if (hasIndex !== (pkg.main === 'dist/index.js')) {
  console.error(
    `${pkg.name}: package.json "main" must be ${hasIndex ? '"dist/index.js"' : 'absent'} (src/index.ts ${hasIndex ? 'exists' : 'does not exist'})`,
  );
  process.exit(1);
}

// src/dev.ts, where a package has one, exposes what only this repository's scripts use (the NAB harness, say):
// built to dist/dev.js beside the rest, but left out of the published package.
const hasDev = existsSync(join(root, 'src', 'dev.ts'));
if (hasDev) entry.dev = 'src/dev.ts';
if (hasDev !== (pkg.files ?? []).includes('!dist/dev.js')) {
  console.error(
    `${pkg.name}: package.json "files" must ${hasDev ? '' : 'not '}list "!dist/dev.js" (src/dev.ts ${hasDev ? 'exists' : 'does not exist'})`,
  );
  process.exit(1);
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
if (Object.keys(entry).length > 0) {
  await build({
    entry,
    outDir: 'dist',
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    sourcemap: false,
    // Node-RED requires the node file and calls module.exports(RED).
    cjsInterop: true,
    dts: hasIndex ? { entry: { index: 'src/index.ts' } } : false,
    splitting: false,
    silent: true,
    noExternal: [SHELL],
  });
  const usesShell = pkg.devDependencies?.[SHELL] !== undefined;
  for (const name of nodes) {
    const from = join(nodesDir, name);
    const to = join(root, 'dist', 'nodes', name);
    const html = withFragments(join(from, `${name}.html`));
    writeFileSync(join(to, `${name}.html`), html.includes('plantwireNumber(') ? numberCheck + html : html);
    for (const dir of ['locales', 'icons']) {
      if (existsSync(join(from, dir))) cpSync(join(from, dir), join(to, dir), { recursive: true });
    }
    if (usesShell && existsSync(join(to, 'locales'))) {
      for (const lang of readdirSync(join(to, 'locales'))) {
        const shellFile = join(shellLocales, `${lang}.json`);
        const file = join(to, 'locales', lang, `${name}.json`);
        if (!existsSync(shellFile) || !existsSync(file)) continue;
        const merged = {
          ...JSON.parse(readFileSync(file, 'utf8')),
          ...JSON.parse(readFileSync(shellFile, 'utf8')),
        };
        writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`);
      }
    }
  }
}

/** A node's .html with each include line replaced by its fragment; a missing fragment fails the build. */
function withFragments(file) {
  return readFileSync(file, 'utf8').replace(
    /^([ \t]*)<!-- include: ([\w-]+\.html) -->$/gm,
    (_, indent, fragment) => {
      const path = join(nodesDir, fragment);
      if (!existsSync(path)) {
        console.error(`${pkg.name}: ${file} includes ${fragment}, which is not in src/nodes/`);
        process.exit(1);
      }
      return readFileSync(path, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => indent + line)
        .join('\n');
    },
  );
}

console.log(`${pkg.name}: built ${nodes.length ? nodes.join(', ') : 'no nodes yet'}`);

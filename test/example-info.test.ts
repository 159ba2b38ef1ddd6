// What an example's tab info (the editor's Information sidebar, after Import > Examples) must tell a user before
// the flow can run: the Plantwire packages to install besides the one the example came with, the servers it
// connects to (QuestDB, an MQTT broker) at their addresses, and files of the repository by names they have.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_PACKAGES, ROOT } from './install.js';

interface Example {
  name: string;
  pkg: (typeof NODE_PACKAGES)[number];
  nodes: Record<string, unknown>[];
  info: string;
}

const EXAMPLES: Example[] = NODE_PACKAGES.flatMap((pkg) => {
  const dir = join(pkg.dir, 'examples');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const nodes = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>[];
      const info = nodes
        .filter((node) => node.type === 'tab')
        .map((node) => String(node.info ?? ''))
        .join('\n');
      return { name: relative(ROOT, join(dir, file)), pkg, nodes, info };
    });
});

/** The package a Plantwire node type comes from. */
const packageOf = new Map(NODE_PACKAGES.flatMap((pkg) => pkg.types.map((type) => [type, pkg.name] as const)));

/** What installing a package brings along: its Plantwire dependencies (npm installs them beside it). */
function installedWith(pkg: Example['pkg']): Set<string> {
  const manifest = JSON.parse(readFileSync(join(pkg.dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return new Set([pkg.name, ...Object.keys(manifest.dependencies ?? {})]);
}

describe('the info of every example', () => {
  it('finds the examples', () => {
    expect(EXAMPLES.length).toBeGreaterThan(5);
  });

  it.each(EXAMPLES.map((example) => [example.name, example]))(
    '%s names every other Plantwire package whose nodes it uses',
    (_name, example) => {
      const brought = installedWith(example.pkg);
      const needed = new Set(
        example.nodes
          .map((node) => packageOf.get(node.type as string))
          .filter((pkg): pkg is string => pkg !== undefined && !brought.has(pkg)),
      );
      expect([...needed].filter((pkg) => !example.info.includes(pkg))).toEqual([]);
    },
  );

  it.each(EXAMPLES.map((example) => [example.name, example]))(
    '%s names only files and folders of the repository that exist',
    (_name, example) => {
      const paths =
        example.info.match(/\b(?:docker|docs|examples|flows|packages|scripts)\/[\w./-]*\w/g) ?? [];
      expect(paths.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
    },
  );

  it.each(EXAMPLES.map((example) => [example.name, example]))(
    '%s gives the address of every QuestDB and MQTT broker it connects to',
    (_name, example) => {
      const addresses = example.nodes.flatMap((node) =>
        node.type === 'questdb-config'
          ? [new URL(String(node.url)).host]
          : node.type === 'mqtt-broker'
            ? [`${String(node.broker)}:${String(node.port)}`]
            : [],
      );
      expect(addresses.filter((address) => !example.info.includes(address))).toEqual([]);
    },
  );
});

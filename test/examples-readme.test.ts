// examples/README.md is what a user reads of the root examples/ folder: it must list every setup there and link
// only files that exist.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './install.js';

const README = join(ROOT, 'examples', 'README.md');
const text = readFileSync(README, 'utf8');

describe('examples/README.md', () => {
  it('has a section for every setup in examples/', () => {
    const setups = readdirSync(join(ROOT, 'examples')).filter((name) =>
      statSync(join(ROOT, 'examples', name)).isDirectory(),
    );
    expect(setups.length).toBeGreaterThan(0);
    expect(setups.filter((name) => !new RegExp(`^## ${name}$`, 'm').test(text))).toEqual([]);
  });

  it('links only files that exist', () => {
    const links = [...text.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((match) => match[1]!);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => !existsSync(join(dirname(README), link)))).toEqual([]);
  });

  it('does not say the node packages bring it: none ships it', () => {
    expect(text).not.toMatch(/arrive with the node packages/i);
  });
});

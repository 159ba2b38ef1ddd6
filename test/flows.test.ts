import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('the demo flows in flows/', () => {
  it('are what scripts/flows builds', () => {
    const check = spawnSync(process.execPath, ['scripts/build-flows.mjs', '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('document every alarm rule in flows/README.md', () => {
    const readme = readFileSync(`${root}/flows/README.md`, 'utf8');
    const edge = JSON.parse(readFileSync(`${root}/flows/edge-agent.json`, 'utf8')) as {
      type: string;
      rules?: string;
    }[];
    const rules = JSON.parse(edge.find((node) => node.type === 'threshold-alarm')!.rules!) as {
      name: string;
    }[];
    expect(rules.length).toBeGreaterThan(3);
    for (const rule of rules) expect(readme).toContain(`\`${rule.name}\``);
  });
});

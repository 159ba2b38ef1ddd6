import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import jsonata from 'jsonata';
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

  it("turn an alarm command into threshold-alarm's control, every alarm only for list", async () => {
    const edge = JSON.parse(readFileSync(`${root}/flows/edge-agent.json`, 'utf8')) as {
      id: string;
      rules?: { p: string; to: string }[];
    }[];
    const rule = edge
      .find((node) => node.id === 'edge-alarm-command')!
      .rules!.find((r) => r.p === 'control')!;
    const control = (payload: object) => jsonata(rule.to).evaluate({ payload });
    expect(await control({ cmd: 'ack', alarm: 'a1', by: 'op' })).toEqual({
      command: 'ack',
      alarm: 'a1',
      by: 'op',
    });
    expect(await control({ cmd: 'list' })).toEqual({ command: 'list', alarm: '*' });
    // threshold-alarm refuses a command without an alarm: a typo must not disable every alarm.
    expect(await control({ cmd: 'disable', alarmId: 'a1' })).toEqual({ command: 'disable' });
  });
});

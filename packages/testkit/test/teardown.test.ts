import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startProcess, teardown, waitFor } from '@plantwire/testkit';

const script = fileURLToPath(new URL('./fixtures/teardown-script.mjs', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('teardown', () => {
  it('stops the parts last started first, each once, and returns each part as added', async () => {
    const stopped: string[] = [];
    const part = (name: string) => ({ name, stop: () => void stopped.push(name) });
    const parts = teardown();
    const first = parts.add(part('questdb'));
    parts.defer(() => stopped.push('dir'));
    parts.add(part('node-red'));
    expect(first.name).toBe('questdb');
    await parts.close();
    await parts.close();
    expect(stopped).toEqual(['node-red', 'dir', 'questdb']);
  });

  it('runs every step when one fails, then throws the first failure', async () => {
    const stopped: string[] = [];
    const parts = teardown();
    parts.defer(() => stopped.push('a'));
    parts.defer(() => Promise.reject(new Error('b failed')));
    parts.defer(() => {
      throw new Error('c failed');
    });
    await expect(parts.close()).rejects.toThrow('c failed');
    expect(stopped).toEqual(['a']);
  });

  it('a close while another runs waits for it, then runs what was added since', async () => {
    const events: string[] = [];
    let release = () => {};
    const parts = teardown();
    parts.defer(
      () =>
        new Promise<void>((resolve) => {
          events.push('slow stop started');
          release = () => (events.push('slow stop done'), resolve());
        }),
    );
    const first = parts.close();
    while (events.length === 0) await new Promise((resolve) => setImmediate(resolve));
    parts.defer(() => events.push('added later'));
    const second = parts.close().then(() => events.push('second close done'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['slow stop started']);
    release();
    await Promise.all([first, second]);
    expect(events).toEqual(['slow stop started', 'slow stop done', 'added later', 'second close done']);
  });
});

// The script runs the built testkit (npm run setup builds it), as the benchmarks do.
describe('a script stopped by a signal', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal}: stops its parts and the process still starting, removes its directory, exits ${code}`, async () => {
      const run = startProcess(process.execPath, [script]);
      const [, part, starting, dir] = await waitFor(
        'the script to be ready',
        async () => /^ready (\d+) (\d+) (\S+)$/m.exec(run.output()) ?? undefined,
        30_000,
      );
      expect([alive(Number(part)), alive(Number(starting)), existsSync(dir!)]).toEqual([true, true, true]);
      run.child.kill(signal);
      expect(await run.exited).toBe(code);
      expect(run.output()).toContain(`[teardown] ${signal}: stopping what this script started`);
      expect([alive(Number(part)), alive(Number(starting)), existsSync(dir!)]).toEqual([false, false, false]);
    });
  }
});

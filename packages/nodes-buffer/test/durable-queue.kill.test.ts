import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sleep } from '@plantwire/testkit';
import { batchItems, DurableQueue } from '../src/index.js';

const child = fileURLToPath(new URL('./fixtures/enqueue-forever.cjs', import.meta.url));

describe('kill -9 while enqueueing', () => {
  it('keeps every acknowledged item, 25 times over, and the file stays sound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plantwire-kill-'));
    const path = join(dir, 'q.db');
    const log = join(dir, 'acked.log');
    let seed = 99;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    try {
      let start = 0;
      let kills = 0;
      for (let round = 0; round < 25; round++) {
        const proc = spawn(process.execPath, [child, path, log, String(start)], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        proc.stderr.on('data', (chunk) => (stderr += chunk));
        await sleep(150 + Math.floor(random() * 250));
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGKILL');
        await exited;
        expect(stderr).toBe('');
        kills++;
        const acked = existsSync(log)
          ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map(Number)
          : [];
        const lastAcked = acked.at(-1) ?? -1;
        const queue = new DurableQueue<{ n: number }>({
          path,
          minFreeBytes: 0,
          batchRows: 1_000_000,
          batchBytes: 1e12,
        });
        try {
          expect(queue.recovered).toBeUndefined();
          const batch = queue.takeBatch();
          const stored = batch ? batchItems<{ n: number }>(batch).map((item) => item.n) : [];
          // Every acknowledged item is there, in order, with nothing missing before it.
          expect(stored.length).toBeGreaterThanOrEqual(lastAcked + 1);
          expect(stored.slice(0, lastAcked + 1).every((n, i) => n === i)).toBe(true);
          // A group that committed but was not yet logged may be there too; it continues the sequence.
          expect(stored.every((n, i) => n === i)).toBe(true);
          start = stored.length;
        } finally {
          queue.close();
        }
      }
      expect(kills).toBe(25);
      expect(start).toBeGreaterThan(1000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// QuestDB's disk fills up under a running questdb-write: a real ext4 file system of 1 GB on a loop device holds
// QuestDB's root, and a filler file takes its last byte. The node must keep its messages (none done, none failed),
// say why in its status, and write every point exactly once when space comes back. Needs root (mount).
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canMountLoop,
  mountLoopDisk,
  nodeRedTestHelper,
  startQuestDb,
  telemetryPoint,
  until,
  type LoopDisk,
  type QuestDb,
} from '@plantwire/testkit';
import { loadPatientWriter } from './fixtures/patient-writer.js';

const helper = nodeRedTestHelper();

describe.skipIf(!canMountLoop())('questdb-write when QuestDB disk is full (root: a 1 GB loop mount)', () => {
  let disk: LoopDisk;
  let questdb: QuestDb;
  const filler = () => join(disk.mount, 'filler');

  beforeAll(async () => {
    disk = mountLoopDisk('1G');
    questdb = await startQuestDb({ root: join(disk.mount, 'questdb'), heap: '256m' });
    await helper.startServer();
  });
  afterAll(async () => {
    await helper.unload();
    await helper.stopServer();
    await questdb?.stop();
    disk?.remove();
  });

  it('keeps every message and retries, saying why, then writes each point once when space is back', async () => {
    const { write, written, caught, statuses } = await loadPatientWriter(helper, questdb, 'disk_full');
    const start = Date.UTC(2026, 0, 5);
    const batch = (first: number, count: number) =>
      Array.from({ length: count }, (_, i) => telemetryPoint(start + first + i));

    // The disk fills up before the first write: QuestDB answers every write 500 (errno 28, No space left).
    spawnSync('dd', ['if=/dev/zero', `of=${filler()}`, 'bs=1M'], { stdio: 'ignore' });
    const free = execFileSync('df', ['--output=avail', disk.mount]).toString().split('\n')[1]!.trim();
    expect(Number(free)).toBe(0);
    for (let i = 0; i < 3; i++) write.receive({ payload: batch(i * 20_000, 20_000) });
    await until('a retrying status', () => statuses.some((s) => /retrying/.test(s.text ?? '')), 90_000);
    const retrying = statuses.find((s) => /retrying/.test(s.text ?? ''))!;
    expect(retrying.fill).toBe('yellow');
    expect(retrying.text).toMatch(/^retrying: QuestDB cannot write: disk full \(errno 28\)/);
    expect(written).toHaveLength(0);
    expect(caught).toHaveLength(0);

    // Space again: every message kept is written, each point once.
    rmSync(filler());
    await until('every message written', () => written.length === 3, 120_000);
    expect(caught).toHaveLength(0);
    await questdb.waitForWal('disk_full', 60_000);
    const [counts] = await questdb.rows<{ rows: number; ids: number }>(
      'SELECT count() rows, count_distinct(id) ids FROM disk_full',
    );
    expect(counts).toEqual({ rows: 60_000, ids: 60_000 });
    // The count in the status refreshes at most every 500 ms.
    await until(
      'the status to count every row',
      () => statuses.at(-1)?.text === '60,000 rows written',
      5_000,
    );
    expect(statuses.at(-1)).toMatchObject({ fill: 'green', text: '60,000 rows written' });
  }, 300_000);
});

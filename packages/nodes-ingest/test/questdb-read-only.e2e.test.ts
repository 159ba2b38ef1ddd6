// QuestDB's disk turns read-only under a running questdb-write: a real ext4 file system on a loop device holds
// QuestDB's root. The kernel refuses `mount -o remount,ro` while QuestDB holds its files open for writing (it
// always does), so the disk goes read-only the way disks do in a running plant: ext4 meets an error and remounts
// itself read-only (errors=remount-ro). The node keeps its messages and says why; the operator repairs the disk
// (QuestDB stopped, e2fsck, mount, QuestDB started again) and every point arrives exactly once. Needs root.
// QuestDB runs with cairo.commit.mode=sync: with its default (nosync) it was measured to go on answering 204 for
// rows appended to a WAL segment it had open (they reach memory-mapped pages only), to suspend the table, and to
// lose what it had not synced: no writer can keep what QuestDB acknowledged (docs/reliability.md).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canMountLoop,
  mountLoopDisk,
  nodeRedTestHelper,
  sleep,
  startQuestDb,
  telemetryPoint,
  until,
  type LoopDisk,
  type QuestDb,
} from '@plantwire/testkit';
import { loadPatientWriter } from './fixtures/patient-writer.js';

const helper = nodeRedTestHelper();

describe.skipIf(!canMountLoop())(
  'questdb-write when QuestDB disk turns read-only (root: a loop mount)',
  () => {
    let disk: LoopDisk;
    let questdb: QuestDb;
    const start = () =>
      startQuestDb({
        root: join(disk.mount, 'questdb'),
        heap: '256m',
        // With QuestDB's default (nosync) it acknowledges rows it cannot keep on a read-only disk: see the file's
        // head comment and docs/reliability.md.
        env: { QDB_CAIRO_COMMIT_MODE: 'sync' },
        ...(questdb && { httpPort: questdb.httpPort, pgPort: questdb.pgPort, ilpPort: questdb.ilpPort }),
      });

    beforeAll(async () => {
      disk = mountLoopDisk('1G');
      questdb = await start();
      await helper.startServer();
    });
    afterAll(async () => {
      await helper.unload();
      await helper.stopServer();
      await questdb?.stop();
      disk?.remove();
    });

    it('keeps every message and retries, saying why, then writes each point once after the repair', async () => {
      const { write, written, caught, statuses } = await loadPatientWriter(helper, questdb, 'read_only');
      const first = Date.UTC(2026, 0, 5);
      const perMessage = 1_000;
      let sent = 0;
      const send = () => {
        const from = first + sent * perMessage;
        write.receive({ payload: Array.from({ length: perMessage }, (_, i) => telemetryPoint(from + i)) });
        sent++;
      };
      const readOnly = /^retrying: QuestDB cannot write: read-only file system/;

      // Writing: a message every 50 ms.
      for (let i = 0; i < 20; i++, await sleep(50)) send();
      await until('the first messages written', () => written.length > 5, 30_000);

      // Measured: the kernel refuses to remount the disk read-only while QuestDB has files open for writing.
      const remount = spawnSync('mount', ['-o', 'remount,ro', disk.mount], { encoding: 'utf8' });
      expect(remount.status).not.toBe(0);
      expect(remount.stderr).toMatch(/busy/);
      // So the disk fails as disks do, after running a while (what QuestDB wrote at its start is on disk), and
      // the writing goes on.
      spawnSync('sync');
      disk.failReadOnly('plantwire test: the disk turns read-only');
      expect(disk.options()).toContain('emergency_ro');
      const writtenAtFailure = written.length;
      for (let i = 0; i < 40; i++, await sleep(50)) send();
      await until('a read-only status', () => statuses.some((s) => readOnly.test(s.text ?? '')), 60_000);
      expect(statuses.find((s) => readOnly.test(s.text ?? ''))?.fill).toBe('yellow');
      await sleep(3_000);
      const writtenWhileReadOnly = written.length - writtenAtFailure;
      expect(written.length).toBeLessThan(sent);
      expect(caught).toHaveLength(0);

      // The operator's repair: QuestDB stopped, the file system checked and mounted again, QuestDB started.
      await questdb.kill();
      disk.repair();
      questdb = await start();
      await until('every message written', () => written.length === sent, 120_000);
      expect(caught).toHaveLength(0);
      await questdb.waitForWal('read_only', 60_000); // fails if QuestDB suspended the table
      const [counts] = await questdb.rows<{ rows: number; ids: number }>(
        'SELECT count() rows, count_distinct(id) ids FROM read_only',
      );
      expect(counts).toEqual({ rows: sent * perMessage, ids: sent * perMessage });
      await until('a green status', () => statuses.at(-1)?.fill === 'green', 5_000);
      console.log(
        `[read-only] ${sent} messages of ${perMessage} points: ${writtenAtFailure} written before the disk failed, ` +
          `${writtenWhileReadOnly} more passed on around the failure, the rest kept and written after the repair; ` +
          `${counts!.rows} rows, ${counts!.ids} distinct ids`,
      );
    }, 300_000);
  },
);

// QuestDB's disk turns read-only under a running questdb-write: a real ext4 file system on a loop device holds
// QuestDB's root. The kernel refuses `mount -o remount,ro` while QuestDB holds its files open for writing (it
// always does), so the disk goes read-only the way disks do in a running plant: ext4 meets an error and remounts
// itself read-only (errors=remount-ro). The node keeps its messages and says why; the operator repairs the disk
// (QuestDB stopped, e2fsck, mount, QuestDB started again) and every point arrives exactly once. Needs root.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canMountLoop,
  collect,
  coreNode,
  mountLoopDisk,
  nodeRedTestHelper,
  sleep,
  startQuestDb,
  telemetryPoint,
  until,
  type LoopDisk,
  type QuestDb,
} from '@plantwire/testkit';

const require = createRequire(import.meta.url);
const configNode = require('../dist/nodes/questdb-config/questdb-config.js');
const writeNode = require('../dist/nodes/questdb-write/questdb-write.js');
const catchNode = coreNode('common/25-catch');
const helper = nodeRedTestHelper();

describe.skipIf(!canMountLoop())('questdb-write when QuestDB disk turns read-only (root: a loop mount)', () => {
  let disk: LoopDisk;
  let questdb: QuestDb;
  const start = () =>
    startQuestDb({
      root: join(disk.mount, 'questdb'),
      heap: '256m',
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
    await helper.load(
      [configNode, writeNode, catchNode],
      [
        {
          id: 'db',
          type: 'questdb-config',
          url: questdb.httpUrl,
          flushIntervalMs: '20',
          requestTimeoutS: '2',
          maxAttempts: '1000',
        },
        { id: 'write', type: 'questdb-write', server: 'db', table: 'read_only', wires: [['written'], []] },
        { id: 'written', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
    );
    const written = collect(helper, 'written');
    const caught = collect(helper, 'caught');
    const statuses: { fill?: string; text?: string }[] = [];
    const write = helper.getNode('write')!;
    write.on('call:status' as never, ((call: { args: [never] }) => statuses.push(call.args[0])) as never);
    const first = Date.UTC(2026, 0, 5);
    const perMessage = 1_000;
    let sent = 0;
    const send = () =>
      write.receive({
        payload: Array.from({ length: perMessage }, (_, i) => telemetryPoint(first + sent * perMessage + i)),
      }) ?? sent++;

    // Writing: a message every 50 ms.
    for (let i = 0; i < 20; i++, await sleep(50)) send();
    await until('the first messages written', () => written.length > 5, 30_000);

    // Measured: the kernel refuses to remount the disk read-only while QuestDB has files open for writing.
    const remount = spawnSync('mount', ['-o', 'remount,ro', disk.mount], { encoding: 'utf8' });
    expect(remount.status).not.toBe(0);
    expect(remount.stderr).toMatch(/busy/);
    // So the disk fails as disks do; writing goes on.
    disk.failReadOnly('plantwire test: the disk turns read-only');
    expect(disk.options()).toContain('emergency_ro');
    const writtenAtFailure = written.length;
    for (let i = 0; i < 40; i++, await sleep(50)) send();
    await sleep(8_000);
    console.log('[read-only] statuses', JSON.stringify(statuses.slice(-4)), 'written', written.length, 'of', sent,
      questdb.process.output().split('\n').filter((l) => / C |errno/.test(l)).slice(-4).join('\n'));
    const writtenWhileReadOnly = written.length - writtenAtFailure;
    // The operator's repair: QuestDB stopped, the file system checked and mounted again, QuestDB started.
    await questdb.kill();
    disk.repair();
    questdb = await start();
    await until('every message written', () => written.length === sent, 120_000);
    expect(caught).toHaveLength(0);
    const suspended = await questdb.rows<{ suspended: boolean }>(
      "SELECT suspended FROM wal_tables() WHERE name = 'read_only'",
    );
    console.log(
      `[read-only] sent ${sent} messages of ${perMessage}; written before the failure ${writtenAtFailure}, ` +
        `while read-only ${writtenWhileReadOnly}; table suspended after the restart: ${suspended[0]?.suspended}`,
    );
    await questdb.exec('ALTER TABLE read_only RESUME WAL').catch((e) => console.log(e.message));
    await questdb.waitForWal('read_only', 60_000);
    console.log('[read-only] counts', JSON.stringify(await questdb.rows('SELECT count() rows, count_distinct(id) ids FROM read_only')));
    const [counts] = await questdb.rows<{ rows: number; ids: number }>(
      'SELECT count() rows, count_distinct(id) ids FROM read_only',
    );
    expect(counts).toEqual({ rows: sent * perMessage, ids: sent * perMessage });
    await until('a green status', () => statuses.at(-1)?.fill === 'green', 5_000);
  }, 300_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  flowContextProbe,
  flowCounter,
  freePort,
  sleep,
  startNodeRed,
  startQuestDb,
  waitFor,
  type NodeRed,
  type QuestDb,
} from '@plantwire/testkit';

const PASSWORD = 'pw-3f9c;secret';

describe('edge to QuestDB in a real Node-RED: machine-sim -> store-forward -> questdb-write -> back', () => {
  let red: NodeRed;
  let questdb: QuestDb | undefined;
  let root: string;
  const ports = { httpPort: 0, pgPort: 0, ilpPort: 0 };
  const env = { QDB_HTTP_USER: 'plantwire', QDB_HTTP_PASSWORD: PASSWORD };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'plantwire-e2e-questdb-'));
    ports.httpPort = await freePort();
    ports.pgPort = await freePort();
    ports.ilpPort = await freePort();
    red = await startNodeRed();
  });
  afterAll(async () => {
    await red?.stop();
    await questdb?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const probe = async () =>
    (await (await fetch(`${red.url}/probe`)).json()) as { emitted?: number; queued?: number };

  it('deploys while QuestDB is down, writes once it is up, and loses nothing when it restarts mid-stream', async () => {
    await red.deploy([
      { id: 'tab', type: 'tab' },
      {
        id: 'db',
        type: 'questdb-config',
        url: `http://127.0.0.1:${ports.httpPort}`,
        flushIntervalMs: '50',
        maxAttempts: '2',
        requestTimeoutS: '2',
        credentials: { username: 'plantwire', password: PASSWORD },
      },
      {
        id: 'sim',
        z: 'tab',
        type: 'machine-sim',
        tenant: 'acme',
        plant: 'plant-1',
        lines: '1',
        machinesPerLine: '3',
        machineTypes: 'cnc,press,pump',
        interval: '0.1',
        seed: '5',
        output: 'array',
        autostart: true,
        wires: [['buffer', 'count'], [], []],
      },
      flowCounter('tab', 'count', 'emitted'),
      {
        id: 'buffer',
        z: 'tab',
        type: 'store-forward',
        storeName: 'edge',
        directory: root,
        minFreeMB: '0',
        maxWaitMs: '100',
        backoffBaseS: '0.2',
        backoffMaxS: '1',
        statsIntervalS: '0.5',
        wires: [['write'], ['stats']],
      },
      {
        id: 'write',
        z: 'tab',
        type: 'questdb-write',
        server: 'db',
        table: 'plantwire_telemetry',
        partitionBy: 'DAY',
        ttlDays: '0',
        wires: [['buffer'], []],
      },
      { id: 'catch', z: 'tab', type: 'catch', scope: ['write'], uncaught: false, wires: [['buffer']] },
      {
        id: 'stats',
        z: 'tab',
        type: 'change',
        rules: [{ t: 'set', p: 'queued', pt: 'flow', to: 'payload.rows', tot: 'msg' }],
        wires: [[]],
      },
      ...flowContextProbe('tab', '/probe', ['emitted', 'queued']),
      {
        id: 'stop-in',
        z: 'tab',
        type: 'http in',
        url: '/stop',
        method: 'post',
        wires: [['stop-cmd', 'stop-out']],
      },
      {
        id: 'stop-cmd',
        z: 'tab',
        type: 'change',
        rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"cmd":"stop"}', tot: 'json' }],
        wires: [['sim']],
      },
      { id: 'stop-out', z: 'tab', type: 'http response', wires: [] },
    ]);

    // Exported flows carry no secret.
    expect(JSON.stringify(await red.api('/flows'))).not.toContain('pw-3f9c');

    // QuestDB is down: points pile up in the buffer.
    await waitFor('a backlog', async () => (((await probe()).queued ?? 0) > 200 ? true : undefined), 20_000);
    questdb = await startQuestDb({ root, ...ports, env });
    await waitFor(
      'rows in QuestDB',
      async () => {
        const rows = await questdb!.exec('SELECT count() FROM plantwire_telemetry').catch(() => undefined);
        return Number(rows?.dataset[0]?.[0] ?? 0) > 300 ? true : undefined;
      },
      30_000,
    );

    // Mid-stream, QuestDB dies (kill -9) and comes back on the same ports and data.
    await questdb.kill();
    await sleep(3000);
    questdb = await startQuestDb({ root, ...ports, env });

    await fetch(`${red.url}/stop`, { method: 'POST' });
    await sleep(500);
    const { emitted } = await probe();
    await waitFor(
      'the buffer to drain',
      async () => ((await probe()).queued === 0 ? true : undefined),
      60_000,
    );
    await questdb.waitForWal('plantwire_telemetry');
    const [counted] = (await questdb.exec('SELECT count() FROM plantwire_telemetry')).dataset as number[][];
    expect(counted![0]).toBe(emitted);
    expect(red.log()).not.toContain('pw-3f9c');
  }, 180_000);
});

// `npm run chaos` at its CI size (docs/reliability.md, "Chaos"): real QuestDB, mosquitto, the cloud and the edge
// Node-RED running the demo flows, a producer of known ids at >= 2,000 points/s, and kill -9 of every part while
// it runs. The figures go to the CI log as the script's one `[chaos]` line.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, waitFor, type ManagedProcess } from '@plantwire/testkit';

const root = fileURLToPath(new URL('..', import.meta.url));

interface ChaosFigures {
  produced: number;
  accepted: number;
  stored: number;
  lost: number;
  duplicated: number;
  points_per_s: number;
  edge_kills: number;
  cloud_kills: number;
  questdb_kills: number;
  broker_kills: number;
  mqtt_reconnects: number;
  network_outages: number;
}

describe('the chaos run: every point the edge accepted is in QuestDB exactly once', () => {
  let dir: string;
  let run: ManagedProcess;
  let status: number | string;
  let figures: ChaosFigures;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plantwire-chaos-test-'));
    const report = join(dir, 'chaos.json');
    run = startProcess(process.execPath, [join(root, 'scripts', 'chaos.mjs'), '--report', report], {
      cwd: root,
    });
    status = await run.exited;
    const line = run.output().match(/^\[chaos\] (PASS|FAIL).*$/m)?.[0];
    console.log(status === 0 && line ? line : run.output().slice(-5000));
    figures = JSON.parse(readFileSync(report, 'utf8')) as ChaosFigures;
  }, 900_000);
  afterAll(() => {
    if (run?.exitStatus() === undefined) void run?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses and duplicates nothing the edge accepted', () => {
    expect(figures.accepted).toBeGreaterThan(0);
    expect(figures.stored).toBeGreaterThanOrEqual(figures.accepted);
    expect(figures.lost).toBe(0);
    expect(figures.duplicated).toBe(0);
    expect(status).toBe(0);
  });

  it('produced at >= 2,000 points/s', () => {
    expect(figures.points_per_s).toBeGreaterThanOrEqual(2000);
  });

  it('killed the edge >= 20 times, the cloud >= 5, QuestDB >= 3, and cut the network', () => {
    expect(figures.edge_kills).toBeGreaterThanOrEqual(20);
    expect(figures.cloud_kills).toBeGreaterThanOrEqual(5);
    expect(figures.questdb_kills).toBeGreaterThanOrEqual(3);
    expect(figures.network_outages).toBeGreaterThanOrEqual(1);
  });

  it('restarted the MQTT broker >= 3 times, and the same edge process answered over MQTT after each', () => {
    expect(figures.broker_kills).toBeGreaterThanOrEqual(3);
    expect(figures.mqtt_reconnects).toBe(figures.broker_kills);
  });
});

/** What a run listed in its spawn log (test/fixtures/failing-starts.cjs) that still runs or still exists. */
function leftovers(spawnLog: string): string[] {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  return readFileSync(spawnLog, 'utf8')
    .trim()
    .split('\n')
    .filter((line) => {
      const [first, second] = line.split(' ');
      return first === 'dir' ? existsSync(second!) : alive(Number(first));
    });
}

describe('a chaos run whose edge Node-RED cannot start', () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops QuestDB, the broker and the cloud it started, removes its data and exits 1', async () => {
    dir = mkdtempSync(join(tmpdir(), 'plantwire-chaos-start-test-'));
    const spawnLog = join(dir, 'spawned.log');
    const run = startProcess(
      process.execPath,
      ['--require', join(root, 'test', 'fixtures', 'failing-starts.cjs'), join(root, 'scripts', 'chaos.mjs')],
      {
        cwd: root,
        // The edge's start and its two retries fail.
        env: {
          ...process.env,
          PLANTWIRE_FAIL_NODE_RED: 'edge:1,edge:2,edge:3',
          PLANTWIRE_SPAWN_LOG: spawnLog,
        },
      },
    );
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('[chaos] the run could not start: Node-RED exited (7)');
    const started = readFileSync(spawnLog, 'utf8');
    for (const part of ['java', 'mosquitto', 'plantwire-chaos-']) expect(started).toContain(part);
    expect(leftovers(spawnLog)).toEqual([]);
  }, 600_000);
});

describe('a chaos run whose cloud Node-RED cannot restart', () => {
  let dir: string;
  let data: string | undefined;
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    if (data) rmSync(data, { recursive: true, force: true });
  });

  it('lets the other fault loops finish their restarts, then stops every part, and fails', async () => {
    dir = mkdtempSync(join(tmpdir(), 'plantwire-chaos-loop-test-'));
    const spawnLog = join(dir, 'spawned.log');
    const run = startProcess(
      process.execPath,
      [
        '--require',
        join(root, 'test', 'fixtures', 'failing-starts.cjs'),
        join(root, 'scripts', 'chaos.mjs'),
        ...['--minutes', '0.5', '--edge-kills', '12', '--cloud-kills', '1'],
        ...['--questdb-kills', '0', '--broker-kills', '0', '--outages', '0'],
      ],
      {
        cwd: root,
        // The cloud's restart and its two retries fail, while the edge is killed and restarted every few seconds.
        env: {
          ...process.env,
          PLANTWIRE_FAIL_NODE_RED: 'cloud:2,cloud:3,cloud:4',
          PLANTWIRE_SPAWN_LOG: spawnLog,
        },
      },
    );
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('[chaos] the run failed: Error: Node-RED exited (7)');
    // A failed run keeps its data for a look; nothing else stays.
    data = /data kept in (\S+)\)/.exec(run.output())?.[1];
    expect(data).toBeDefined();
    expect(leftovers(spawnLog)).toEqual([`dir ${data}`]);
  }, 600_000);
});

describe('a chaos run stopped by SIGTERM', () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops every part, removes its data and exits 143', async () => {
    dir = mkdtempSync(join(tmpdir(), 'plantwire-chaos-signal-test-'));
    const spawnLog = join(dir, 'spawned.log');
    const run = startProcess(
      process.execPath,
      ['--require', join(root, 'test', 'fixtures', 'failing-starts.cjs'), join(root, 'scripts', 'chaos.mjs')],
      { cwd: root, env: { ...process.env, PLANTWIRE_SPAWN_LOG: spawnLog } },
    );
    // Every part started, and the faults under way.
    await waitFor(
      'the run to start',
      async () => run.output().includes('WAN link') || undefined,
      300_000,
      500,
    );
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect(await run.stop('SIGTERM', 300_000)).toBe(143);
    expect(run.output()).toContain('[teardown] SIGTERM: stopping what this script started');
    expect(leftovers(spawnLog)).toEqual([]);
  }, 600_000);
});

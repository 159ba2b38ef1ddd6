// npm run bench:pipeline: the whole path, edge and cloud as separate Node-RED processes over a WAN link that can
// be cut, into a real QuestDB. Prints one JSON line:
//   e2e_points_per_s         machine-sim backfilling -> store-forward -> http request -> cloud /ingest ->
//                            telemetry-validate -> questdb-write, sustained for BENCH_E2E_SECONDS (default 60), with
//                            the CPU of each process (share of one core)
//   backfill_1m_s            1,000,000 points accepted by the edge during an outage, then the link restored: seconds
//                            until QuestDB holds them all, while live points keep flowing
//   live_p99_ms              end-to-end latency of those live points (created after the restore, while the backlog
//                            drains: live-first), p99; QuestDB is polled every 100 ms
//   edge_rss_mb_10m_backlog  RSS of the edge process with 10,000,000 points queued and the cloud unreachable
//   peer_e2e_points_per_s    the same path from stock nodes, as users build it today: node-red-node-sqlite
//                            store-and-forward (a row per message, a 100 ms poll forwarding up to 1,000 rows), http
//                            request, node-red-contrib-influxdb (a point per message) into QuestDB's /write; null when
//                            the peer cannot be installed here
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, PlantSimulator } from '@plantwire/node-red-simulator';
import {
  sleep,
  startNodeRed,
  startQuestDb,
  startWanLink,
  teardown,
  telemetryPoint,
  waitFor,
} from '@plantwire/testkit';
import { toCloud } from '../scripts/flows/edge-agent.mjs';
import { tab } from '../scripts/flows/plant.mjs';
import { writeBacklog } from './lib/backlog.mjs';
import { influxPeerConfig, influxPeerOut, influxPeerPayload, peerModules } from './lib/peers.mjs';

const E2E_SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 60);
const BACKFILL_POINTS = Number(process.env.BENCH_BACKFILL_POINTS ?? 1_000_000);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 10_000_000);
const TOKEN = 'bench-token';
const SIM = { lines: 10, machinesPerLine: 10, intervalS: 1 };
export const work = mkdtempSync(join(tmpdir(), 'plantwire-bench-pipeline-'));
const log = (line) => process.stderr.write(`[bench:pipeline] ${line}\n`);

/** CPU seconds a process has used so far (user + system), from /proc. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const rssMb = (pid) =>
  Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024);

export function cloudFlow(questdbUrl) {
  const example = JSON.parse(
    readFileSync(
      new URL('../packages/nodes-ingest/examples/01 - Cloud ingest.json', import.meta.url),
      'utf8',
    ),
  );
  return example.map((node) =>
    node.type === 'questdb-config'
      ? { ...node, url: questdbUrl }
      : node.type === 'telemetry-validate'
        ? { ...node, credentials: { tokens: `${TOKEN} acme` } }
        : node,
  );
}

/**
 * The edge: machine-sim and, with `httpEntry`, an http entry (answered once store-forward has committed the points)
 * feeding the demo's durable path to the cloud (scripts/flows/edge-agent.mjs), with its store in `directory`.
 * The entry answers from a Complete node, and Node-RED deep-copies every message a Complete node gets, the
 * simulator's too (about 40% of the edge's CPU in the e2e run): so the e2e run goes without it.
 */
export function edgeFlow(cloudUrl, directory, { httpEntry = true } = {}) {
  const z = 'bench-edge';
  const at = (id, type, props, wires = []) => ({ id, type, z, x: 100, y: 100, wires, ...props });
  const path = toCloud('edge-points', 1, 1, {
    store: 'bench-points',
    order: 'live-first',
    endpoint: '/ingest',
    label: 'points to cloud',
  }).map((node) =>
    node.type === 'store-forward'
      ? { ...node, z, directory, statsIntervalS: '1', wires: [node.wires[0], ['bench-keep-stats']] }
      : node.type === 'http request'
        ? { ...node, z, credentials: { user: '', password: TOKEN } }
        : { ...node, z },
  );
  return [
    tab(z, 'Bench edge', '', { CLOUD_URL: cloudUrl }),
    ...path,
    at('bench-cmd-in', 'http in', { url: '/bench/cmd', method: 'post', upload: false }, [
      ['bench-sim', 'bench-cmd-ok'],
    ]),
    at('bench-cmd-ok', 'http response', { statusCode: '204' }),
    at(
      'bench-sim',
      'machine-sim',
      {
        tenant: 'acme',
        plant: 'sim',
        lines: String(SIM.lines),
        machinesPerLine: String(SIM.machinesPerLine),
        machineTypes: 'cnc,press,pump',
        interval: String(SIM.intervalS),
        seed: '7',
        output: 'array',
        autostart: false,
      },
      [['edge-points-buffer'], [], []],
    ),
    ...(httpEntry
      ? [
          at('bench-points-in', 'http in', { url: '/bench/points', method: 'post', upload: false }, [
            ['edge-points-buffer'],
          ]),
          at('bench-accepted', 'complete', { scope: ['edge-points-buffer'], uncaught: false }, [
            ['bench-from-http'],
          ]),
          at(
            'bench-from-http',
            'switch',
            { property: 'res', rules: [{ t: 'nnull' }], checkall: 'true', outputs: 1 },
            [['bench-answer']],
          ),
          at(
            'bench-answer',
            'change',
            { rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'stored', tot: 'str' }] },
            [['bench-respond']],
          ),
          at('bench-respond', 'http response', { statusCode: '200' }),
        ]
      : []),
    at('bench-keep-stats', 'change', {
      rules: [{ t: 'set', p: 'stats', pt: 'flow', to: 'payload', tot: 'msg' }],
    }),
    at('bench-stats-in', 'http in', { url: '/bench/stats', method: 'get', upload: false }, [
      ['bench-stats-get'],
    ]),
    at(
      'bench-stats-get',
      'change',
      { rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'stats', tot: 'flow' }] },
      [['bench-stats-out']],
    ),
    at('bench-stats-out', 'http response', { statusCode: '200' }),
  ];
}

async function count(questdb, where = '') {
  const [row] = await questdb
    .rows(`SELECT count() n FROM plantwire_telemetry ${where}`)
    .catch(() => [{ n: 0 }]);
  return Number(row.n);
}

async function post(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
}

/** e2e: the simulator backfills hour after hour, never more than ~1.5M points ahead of QuestDB. */
async function sustained({ questdb, edge, cloud }) {
  const config = parseConfig({
    seed: 7,
    lines: SIM.lines,
    machinesPerLine: SIM.machinesPerLine,
    intervalMs: SIM.intervalS * 1000,
  });
  const start = Date.UTC(2025, 0, 6);
  const CHUNK_MS = 600_000;
  let perChunk = 0;
  for (const batch of PlantSimulator.backfill(config, start, start + CHUNK_MS))
    perChunk += batch.points.length;
  let issued = 0;
  let chunk = 0;
  // The next ten simulated minutes once machine-sim has handed over the last ones and the store holds < 1M.
  const feed = async () => {
    const stats = await (await fetch(`${edge.url}/bench/stats`)).json().catch(() => null);
    const enqueued = stats ? stats.acked + stats.rows : 0;
    if (issued > 0 && (enqueued < issued || stats.rows > 1_000_000)) return;
    const from = start + chunk++ * CHUNK_MS;
    await post(`${edge.url}/bench/cmd`, JSON.stringify({ cmd: 'backfill', from, to: from + CHUNK_MS }));
    issued += perChunk;
  };
  const stored = () => count(questdb, "WHERE plant = 'sim'");
  await feed();
  // Warm-up: the JIT, QuestDB's first partitions, the store's first batches.
  for (let i = 0; i < 20; i++) {
    await sleep(500);
    await feed();
  }
  const snapshot = async () => ({
    at: Date.now(),
    rows: await stored(),
    edge: cpuSeconds(edge.process.pid),
    cloud: cpuSeconds(cloud.process.pid),
    questdb: cpuSeconds(questdb.process.pid),
  });
  const first = await snapshot();
  while (Date.now() < first.at + E2E_SECONDS * 1000) {
    await sleep(500);
    await feed();
  }
  const last = await snapshot();
  const seconds = (last.at - first.at) / 1000;
  const share = (name) => Math.round(((last[name] - first[name]) / seconds) * 100) / 100;
  return {
    e2e_points_per_s: Math.round((last.rows - first.rows) / seconds),
    e2e_seconds: Math.round(seconds),
    e2e_cpu_cores: { edge: share('edge'), cloud: share('cloud'), questdb: share('questdb') },
  };
}

/** backfill_1m_s and live_p99_ms: an outage's backlog drained while live points keep coming. */
async function backfill({ questdb, edge, link }) {
  await link.cut();
  log(`outage: posting ${BACKFILL_POINTS.toLocaleString('en-US')} points to the edge`);
  const first = Date.UTC(2025, 5, 1);
  let next = 0;
  const poster = async () => {
    while (next < BACKFILL_POINTS / 1000) {
      const b = next++;
      const body = Array.from({ length: 1000 }, (_, i) =>
        telemetryPoint(first + b * 1000 + i, { plant: 'backfill', machine: `m-${i % 100}` }),
      );
      await post(`${edge.url}/bench/points`, JSON.stringify(body));
    }
  };
  await Promise.all(Array.from({ length: 4 }, poster));

  // Live points: 10 every 50 ms, stamped with their creation time.
  let live = true;
  const liveFeed = (async () => {
    while (live) {
      const now = Date.now();
      const body = Array.from({ length: 10 }, (_, i) =>
        telemetryPoint(now, { plant: 'live', machine: `l-${i}` }),
      );
      await post(`${edge.url}/bench/points`, JSON.stringify(body));
      await sleep(50);
    }
  })();
  await sleep(2000);
  const restored = Date.now();
  await link.restore();
  const latencies = [];
  const seen = new Set();
  let stored = 0;
  while (stored < BACKFILL_POINTS) {
    await sleep(100);
    const polledAt = Date.now();
    // Live points created after the restore: stored now, if not seen before.
    const rows = await questdb.rows(
      `SELECT id, cast(ts AS long) / 1000 ts FROM plantwire_telemetry WHERE plant = 'live' AND ts >= ${restored * 1000}L`,
    );
    for (const { id, ts } of rows) {
      if (seen.has(id)) continue;
      seen.add(id);
      latencies.push(polledAt - Number(ts));
    }
    stored = await count(questdb, "WHERE plant = 'backfill'");
    if (polledAt - restored > 600_000) throw new Error(`backfill stalled at ${stored} points`);
  }
  const backfill_1m_s = Math.round((Date.now() - restored) / 100) / 10;
  live = false;
  await liveFeed;
  latencies.sort((a, b) => a - b);
  return {
    backfill_1m_s,
    live_p99_ms: latencies.length ? latencies[Math.floor(latencies.length * 0.99)] : null,
    live_points_measured: latencies.length,
  };
}

/** The edge process with a 10M backlog in its store (written before it starts) and the cloud unreachable. */
async function rssWithBacklog(directory) {
  log(`building a backlog of ${BACKLOG.toLocaleString('en-US')} points`);
  writeBacklog(join(directory, 'bench-points.db'), BACKLOG);
  const parts = teardown();
  try {
    const edge = parts.add(await startNodeRed({ flows: edgeFlow('http://127.0.0.1:9', directory) }));
    await sleep(10_000); // the node opens the store, counts it and starts retrying the unreachable cloud
    return rssMb(edge.process.pid);
  } finally {
    await parts.close();
  }
}

/** The peer pipeline: stock nodes only. */
export async function peer(questdb) {
  const modules = peerModules(log);
  if (!modules) return null;
  const userDir = (name) => {
    const dir = join(work, name);
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    for (const [name, path] of Object.entries(modules)) symlinkSync(path, join(dir, 'node_modules', name));
    return dir;
  };
  const parts = teardown();
  try {
    const cloud = parts.add(
      await startNodeRed({
        userDir: userDir('peer-cloud'),
        flows: [
          { id: 'pc', type: 'tab', label: 'peer cloud' },
          influxPeerConfig('peer-influx', '127.0.0.1', questdb.httpPort),
          {
            id: 'peer-in',
            z: 'pc',
            type: 'http in',
            url: '/peer-ingest',
            method: 'post',
            upload: false,
            wires: [['peer-ok', 'peer-split']],
          },
          { id: 'peer-ok', z: 'pc', type: 'http response', statusCode: '200', wires: [] },
          {
            id: 'peer-split',
            z: 'pc',
            type: 'split',
            splt: '\\n',
            spltType: 'str',
            arraySplt: 1,
            arraySpltType: 'len',
            stream: false,
            addname: '',
            wires: [['peer-shape']],
          },
          {
            id: 'peer-shape',
            z: 'pc',
            type: 'function',
            func: `msg.payload = (${influxPeerPayload})(msg.payload);\nreturn msg;`,
            outputs: 1,
            wires: [['peer-out']],
          },
          { ...influxPeerOut('peer-out', 'peer-influx', 'peer_telemetry'), z: 'pc', wires: [] },
        ],
      }),
    );
    const dbFile = join(work, 'peer.db');
    const edge = parts.add(
      await startNodeRed({
        userDir: userDir('peer-edge'),
        flows: [
          { id: 'pe', type: 'tab', label: 'peer edge' },
          { id: 'peer-db', type: 'sqlitedb', db: dbFile, mode: 'RWC' },
          {
            id: 'peer-create',
            z: 'pe',
            type: 'sqlite',
            mydb: 'peer-db',
            sqlquery: 'fixed',
            sql: 'CREATE TABLE IF NOT EXISTS buffer (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT)',
            wires: [['peer-seed']],
          },
          {
            id: 'peer-start',
            z: 'pe',
            type: 'inject',
            once: true,
            onceDelay: '0.5',
            repeat: '',
            props: [],
            wires: [['peer-create']],
          },
          // A producer that inserts the next point when the last insert is done: as fast as the store takes them.
          {
            id: 'peer-seed',
            z: 'pe',
            type: 'function',
            func: 'flow.set("n", 0);\nreturn msg;',
            outputs: 1,
            wires: [['peer-next']],
          },
          {
            id: 'peer-next',
            z: 'pe',
            type: 'function',
            func: 'const n = flow.get("n") || 0;\nif (flow.get("stop")) return null;\nflow.set("n", n + 1);\nconst ts = 1767225600000 + n;\nreturn { params: { $payload: JSON.stringify({ ts, id: crypto.randomUUID(), tenant: "acme", plant: "peer", line: "l", machine: "m-" + (n % 100), metric: "temperature", value: n % 97, unit: "degC", q: 100 }) } };',
            libs: [{ var: 'crypto', module: 'crypto' }],
            outputs: 1,
            wires: [['peer-insert']],
          },
          {
            id: 'peer-insert',
            z: 'pe',
            type: 'sqlite',
            mydb: 'peer-db',
            sqlquery: 'prepared',
            sql: 'INSERT INTO buffer (payload) VALUES ($payload)',
            wires: [['peer-next']],
          },
          // Forwarding: every 100 ms, up to 1,000 oldest rows, one request at a time; deleted once the cloud said 200.
          {
            id: 'peer-tick',
            z: 'pe',
            type: 'inject',
            once: true,
            onceDelay: '1',
            repeat: '0.1',
            props: [],
            wires: [['peer-gate']],
          },
          {
            id: 'peer-gate',
            z: 'pe',
            type: 'function',
            func: 'if (flow.get("busy")) return null;\nflow.set("busy", true);\nmsg.topic = "SELECT id, payload FROM buffer ORDER BY id LIMIT 1000";\nreturn msg;',
            outputs: 1,
            wires: [['peer-select']],
          },
          {
            id: 'peer-select',
            z: 'pe',
            type: 'sqlite',
            mydb: 'peer-db',
            sqlquery: 'msg.topic',
            sql: '',
            wires: [['peer-body']],
          },
          {
            id: 'peer-body',
            z: 'pe',
            type: 'function',
            func: 'if (!msg.payload.length) { flow.set("busy", false); return null; }\nmsg.maxId = msg.payload[msg.payload.length - 1].id;\nmsg.payload = msg.payload.map((row) => JSON.parse(row.payload));\nreturn msg;',
            outputs: 1,
            wires: [['peer-send']],
          },
          {
            id: 'peer-send',
            z: 'pe',
            type: 'http request',
            method: 'POST',
            ret: 'txt',
            paytoqs: 'ignore',
            url: `${cloud.url}/peer-ingest`,
            persist: true,
            senderr: false,
            headers: [],
            wires: [['peer-sent']],
          },
          {
            id: 'peer-sent',
            z: 'pe',
            type: 'function',
            func: 'if (msg.statusCode !== 200) { flow.set("busy", false); return null; }\nmsg.params = { $max: msg.maxId };\nreturn msg;',
            outputs: 1,
            wires: [['peer-delete']],
          },
          {
            id: 'peer-delete',
            z: 'pe',
            type: 'sqlite',
            mydb: 'peer-db',
            sqlquery: 'prepared',
            sql: 'DELETE FROM buffer WHERE id <= $max',
            wires: [['peer-free']],
          },
          {
            id: 'peer-free',
            z: 'pe',
            type: 'function',
            func: 'flow.set("busy", false);\nreturn null;',
            outputs: 1,
            wires: [],
          },
        ],
      }),
    );
    const stored = async () => {
      const [row] = await questdb.rows('SELECT count() n FROM peer_telemetry').catch(() => [{ n: 0 }]);
      return Number(row.n);
    };
    await waitFor(
      'the peer pipeline to deliver',
      async () => ((await stored()) > 0 ? true : undefined),
      60_000,
      500,
    ).catch((error) => {
      log(
        `peer edge:\n${edge.process.output().slice(-3000)}\npeer cloud:\n${cloud.process.output().slice(-3000)}`,
      );
      throw error;
    });
    await sleep(5000);
    const first = { at: Date.now(), rows: await stored() };
    await sleep(E2E_SECONDS * 1000);
    const last = { at: Date.now(), rows: await stored() };
    return Math.round((last.rows - first.rows) / ((last.at - first.at) / 1000));
  } finally {
    await parts.close();
  }
}

if (!process.env.BENCH_ONLY_LOAD) await main();

async function main() {
  const parts = teardown();
  parts.defer(() => rmSync(work, { recursive: true, force: true }));
  try {
    const questdb = parts.add(await startQuestDb({ heap: '2g' }));
    const directory = join(work, 'edge-store');
    let figures;
    // The cloud, the WAN link and the edge of the e2e and backfill runs: stopped before the next parts start.
    const path = teardown();
    try {
      const cloud = path.add(await startNodeRed({ flows: cloudFlow(questdb.httpUrl) }));
      const link = path.add(await startWanLink({ target: { host: '127.0.0.1', port: cloud.port } }));
      mkdirSync(directory, { recursive: true });
      const edge = path.add(
        await startNodeRed({ flows: edgeFlow(link.url, directory, { httpEntry: false }) }),
      );
      log(`e2e: ${E2E_SECONDS} s of machine-sim backfill through the edge and the cloud`);
      const e2e = await sustained({ questdb, edge, cloud });
      log(`e2e: ${JSON.stringify(e2e)}`);
      // Let the rest of the e2e backlog drain so the backfill run starts from an empty store.
      await post(`${edge.url}/bench/cmd`, JSON.stringify({ cmd: 'stop' })).catch(() => undefined);
      await waitFor(
        'the edge store to drain',
        async () => {
          const a = await count(questdb, "WHERE plant = 'sim'");
          await sleep(2000);
          return a === (await count(questdb, "WHERE plant = 'sim'")) ? true : undefined;
        },
        600_000,
        0,
      );
      await edge.deploy(edgeFlow(link.url, directory));
      const drained = await backfill({ questdb, edge, link });
      log(`backfill: ${JSON.stringify(drained)}`);
      figures = { ...e2e, ...drained };
    } finally {
      await path.close();
    }
    rmSync(directory, { recursive: true, force: true });
    mkdirSync(directory, { recursive: true });
    figures.edge_rss_mb_10m_backlog = await rssWithBacklog(directory);
    rmSync(directory, { recursive: true, force: true });
    figures.peer_e2e_points_per_s = await peer(questdb);
    figures.e2e_vs_peer = figures.peer_e2e_points_per_s
      ? Math.round(figures.e2e_points_per_s / figures.peer_e2e_points_per_s)
      : null;
    console.log(JSON.stringify({ ...figures, node: process.version }));
  } finally {
    await parts.close();
  }
  process.exit(0);
}

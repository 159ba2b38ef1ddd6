// npm run bench:buffer: the store-forward node, measured in one run. Prints one JSON line:
//   enqueue_points_per_s          through the node in Node-RED, arrays of 1,000, synchronous=FULL (goal >= 150,000)
//   raw_sqlite_points_per_s       better-sqlite3 alone, 1,000 rows per transaction, FULL (the node should reach >= 80%)
//   drain_points_per_s            forwarding to a sink that acks at once (goal >= 250,000)
//   peer_flow_sqlite_points_per_s store-and-forward as users build it today: node-red-node-sqlite, one INSERT per
//                                 message; null when the peer cannot be installed here
//   enqueue_vs_sqlite_peer        enqueue_points_per_s / peer_flow_sqlite_points_per_s (should be >= 30)
//   rss_mb_10m_backlog            RSS of a whole Node-RED process with 10M points queued (goal <= 250)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeRed, teardown, telemetryPoint, waitFor } from '@plantwire/testkit';
import { writeBacklog } from './lib/backlog.mjs';
import { peerPackage } from './lib/peers.mjs';

const require = createRequire(import.meta.url);
const POINTS = Number(process.env.BENCH_POINTS ?? 300_000);
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 10_000_000);
const work = mkdtempSync(join(tmpdir(), 'plantwire-bench-buffer-'));
// Removed at the end, or when the run is stopped (Ctrl-C, SIGTERM).
const parts = teardown();
parts.defer(() => rmSync(work, { recursive: true, force: true }));
const log = (line) => process.stderr.write(`[bench:buffer] ${line}\n`);

const point = (i) =>
  telemetryPoint(1_767_225_600_000 + i, { line: `line-${i % 10}`, machine: `cnc-${i % 100}` });
const arrays = (count, size) =>
  Array.from({ length: count }, (_, a) => Array.from({ length: size }, (_, i) => point(a * size + i)));
const rate = (points, startedNs) => Math.round(points / (Number(process.hrtime.bigint() - startedNs) / 1e9));

function rawSqlite(batches) {
  const Database = require(
    require.resolve('better-sqlite3', { paths: [require.resolve('@plantwire/node-red-buffer')] }),
  );
  const db = new Database(join(work, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(
    'CREATE TABLE queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, enqueued_at INTEGER NOT NULL, bytes INTEGER NOT NULL, item TEXT NOT NULL)',
  );
  const insert = db.prepare('INSERT INTO queue (enqueued_at, bytes, item) VALUES (?, ?, ?)');
  const write = db.transaction((rows) => {
    for (const row of rows) insert.run(Date.now(), row.length, row);
  });
  const started = process.hrtime.bigint();
  for (const batch of batches) write(batch.map((p) => JSON.stringify(p)));
  const result = rate(batches.length * batches[0].length, started);
  db.close();
  return result;
}

const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));
const storeForward = require('@plantwire/node-red-buffer/dist/nodes/store-forward/store-forward.js');
const completeNode = require('@node-red/nodes/core/common/24-complete.js');

const sfNode = (extra) => ({
  id: 'sf',
  type: 'store-forward',
  storeName: 'bench',
  directory: work,
  minFreeMB: '0',
  statsIntervalS: '0',
  maxWaitMs: '20',
  wires: [['sink'], ['stats']],
  ...extra,
});

async function throughNode(batches) {
  await helper.load(storeForward, [
    sfNode({}),
    { id: 'sink', type: 'helper' },
    { id: 'stats', type: 'helper' },
  ]);
  const sf = helper.getNode('sf');
  const sink = helper.getNode('sink');
  const total = batches.length * batches[0].length;
  let rows = -1;
  helper.getNode('stats').on('input', (msg) => (rows = msg.payload.rows));
  /** Asks for stats every few ms until the queue holds `wanted` rows. */
  const rowsReach = (wanted) =>
    waitFor(
      `${wanted} rows`,
      async () => {
        sf.receive({ control: 'stats' });
        return rows === wanted ? true : undefined;
      },
      300_000,
      2,
    );
  sf.receive({ control: 'pause' });
  await rowsReach(0);

  // Enqueue: one array of 1,000 per event-loop turn, as an upstream node sending as fast as it can.
  const started = process.hrtime.bigint();
  for (const batch of batches) {
    sf.receive({ payload: batch });
    await new Promise((resolve) => setImmediate(resolve));
  }
  await rowsReach(total);
  const enqueue = rate(total, started);

  // Drain to a sink that acks each batch at once; done when the sink has had every item.
  let delivered = 0;
  let drained;
  const allDelivered = new Promise((resolve) => (drained = resolve));
  sink.on('input', (msg) => {
    delivered += msg.payload.length;
    sf.receive({ sf: msg.sf, statusCode: 200 });
    if (delivered >= total) drained();
  });
  const drainStarted = process.hrtime.bigint();
  sf.receive({ control: 'resume' });
  await allDelivered;
  const drain = rate(total, drainStarted);
  await rowsReach(0);
  await helper.unload();
  return { enqueue, drain };
}

async function peerFlow(count) {
  const folder = peerPackage('node-red-node-sqlite', log);
  if (!folder) return null;
  const sqliteNode = require(join(folder, 'sqlite.js'));
  const file = join(work, 'peer.db');
  await helper.load(
    [sqliteNode, completeNode],
    [
      { id: 'db', type: 'sqlitedb', db: file, mode: 'RWC' },
      {
        id: 'insert',
        type: 'sqlite',
        mydb: 'db',
        sqlquery: 'prepared',
        sql: 'INSERT INTO buffer (payload) VALUES ($payload)',
        wires: [['inserted']],
      },
      { id: 'inserted', type: 'helper' },
      {
        id: 'create',
        type: 'sqlite',
        mydb: 'db',
        sqlquery: 'fixed',
        sql: 'CREATE TABLE IF NOT EXISTS buffer (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT)',
        wires: [['created']],
      },
      { id: 'created', type: 'helper' },
    ],
  );
  await new Promise((resolve) => {
    helper.getNode('created').once('input', resolve);
    helper.getNode('create').receive({});
  });
  const insert = helper.getNode('insert');
  let next = 0;
  const finished = new Promise((resolve) =>
    helper
      .getNode('inserted')
      .on('input', () =>
        next < count ? insert.receive({ params: { $payload: JSON.stringify(point(next++)) } }) : resolve(),
      ),
  );
  const started = process.hrtime.bigint();
  insert.receive({ params: { $payload: JSON.stringify(point(next++)) } });
  await finished;
  const result = rate(count, started);
  await helper.unload();
  return result;
}

/** A real Node-RED process whose store-forward node opens a queue of BACKLOG points; its RSS once settled. */
async function rssWithBacklog() {
  const directory = join(work, 'backlog');
  log(`building a backlog of ${BACKLOG.toLocaleString('en-US')} points`);
  writeBacklog(join(directory, 'backlog.db'), BACKLOG);
  const node = teardown();
  try {
    const red = node.add(
      await startNodeRed({
        flows: [
          { id: 'tab', type: 'tab' },
          {
            id: 'sf',
            z: 'tab',
            type: 'store-forward',
            storeName: 'backlog',
            directory,
            minFreeMB: '0',
            maxRows: String(BACKLOG * 2),
            maxMB: '100000',
            wires: [[], []],
          },
        ],
      }),
    );
    // Forwarding is not wired: the backlog stays; let the node open it, count it and settle.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const status = readFileSync(`/proc/${red.process.pid}/status`, 'utf8');
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
  } finally {
    await node.close();
  }
}

try {
  const batches = arrays(POINTS / 1000, 1000);
  const raw_sqlite_points_per_s = rawSqlite(batches);
  await helper.startServer();
  const { enqueue, drain } = await throughNode(batches);
  const peer_flow_sqlite_points_per_s = await peerFlow(Math.min(POINTS, 20_000));
  await helper.stopServer();
  const rss_mb_10m_backlog = await rssWithBacklog();
  console.log(
    JSON.stringify({
      enqueue_points_per_s: enqueue,
      raw_sqlite_points_per_s,
      enqueue_vs_raw: Math.round((enqueue / raw_sqlite_points_per_s) * 100) / 100,
      drain_points_per_s: drain,
      peer_flow_sqlite_points_per_s,
      enqueue_vs_sqlite_peer: peer_flow_sqlite_points_per_s
        ? Math.round(enqueue / peer_flow_sqlite_points_per_s)
        : null,
      rss_mb_10m_backlog,
      backlog_points: BACKLOG,
      node: process.version,
    }),
  );
} finally {
  await parts.close();
}
process.exit(0);

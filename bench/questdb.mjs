// npm run bench:questdb: writing telemetry to a real QuestDB, measured in one run. Prints one JSON line:
//   ilp_ceiling_rows_per_s   pre-encoded ILP posted straight to the same QuestDB, 4 requests in flight: the limit
//   questdb_write_rows_per_s questdb-write in Node-RED, arrays of 1,000 (goal: >= 150k and >= 35% of the limit)
//   raw_client_rows_per_s    @questdb/nodejs-client in a plain script, the same rows (what questdb-write used before)
//   peer_influxdb_rows_per_s node-red-contrib-influxdb, one point per message, to QuestDB's /write;
//                            null when the peer cannot be installed here
//   write_vs_influxdb_peer   questdb_write_rows_per_s / peer_influxdb_rows_per_s
//   ingest_http_points_per_s POST /ingest with 1,000-point bodies through telemetry-validate and questdb-write,
//                            16 clients, after 50 warm-up bodies
//                            (goal: >= 100k)
//   write_rows_measured      rows each of the write figures (raw client, questdb-write) was measured over
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Sender } from '@questdb/nodejs-client';
import {
  DEFAULT_TABLE,
  IlpBuffer,
  IlpPoster,
  telemetryFormat,
  telemetryTableDdl,
} from '@plantwire/node-red-questdb';
import { startQuestDb, teardown, telemetryPoint, writeWithOfficialClient } from '@plantwire/testkit';
import { influxPeerConfig, influxPeerOut, influxPeerPayload, peerPackage } from './lib/peers.mjs';
import { ingestPointsPerSecond } from './lib/ingest.mjs';

const require = createRequire(import.meta.url);
const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
// QuestDB applies ~400k rows/s: the ceiling needs a million rows to last long enough to be measured.
const CEILING_ROWS = Math.max(ROWS, 1_000_000);
const log = (line) => process.stderr.write(`[bench:questdb] ${line}\n`);
const start = Date.UTC(2026, 0, 5);
const batches = (table, rows) =>
  Array.from({ length: rows / 1000 }, (_, b) =>
    Array.from({ length: 1000 }, (_, i) =>
      telemetryPoint(start + table * 10_000_000 + b * 1000 + i, { machine: `cnc-${i % 50}` }),
    ),
  );
const rate = (rows, startedNs) => Math.round(rows / (Number(process.hrtime.bigint() - startedNs) / 1e9));

/** The server's limit: rows encoded before the clock starts, 10,000 a request, 4 requests in flight. */
async function ilpCeiling(questdb) {
  const table = { ...DEFAULT_TABLE, name: 'ilp_ceiling' };
  await questdb.exec(telemetryTableDdl(table));
  const format = telemetryFormat(table);
  const bodies = [];
  const data = batches(0, CEILING_ROWS).flat(); // the first 50,000 rows warm up
  for (let i = 0; i < data.length; i += 10_000) {
    const out = new IlpBuffer();
    for (const p of data.slice(i, i + 10_000)) format.encode(p, out);
    bodies.push(Buffer.from(out.view()));
  }
  const poster = new IlpPoster({ url: questdb.httpUrl }, 4);
  // Warm-up: QuestDB's first partitions and JIT, and ours, before the clock starts.
  for (const body of bodies.slice(0, 5)) await poster.post(body);
  let next = 5;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < bodies.length) await poster.post(bodies[next++]);
    }),
  );
  const result = rate(CEILING_ROWS - 50_000, started);
  poster.close();
  return result;
}

async function rawClient(questdb) {
  const sender = await Sender.fromConfig(
    `http::addr=${questdb.host}:${questdb.httpPort};auto_flush=off;protocol_version=1;`,
  );
  // The same table and rows as questdb-write, written the way it did before it encoded ILP itself.
  const table = { ...DEFAULT_TABLE, name: 'raw_client' };
  await questdb.exec(telemetryTableDdl(table));
  const data = batches(1, ROWS);
  const started = process.hrtime.bigint();
  let pending = 0;
  for (const batch of data) {
    for (const p of batch) await writeWithOfficialClient(sender, table.name, p);
    pending += batch.length;
    if (pending >= 10_000) {
      await sender.flush();
      pending = 0;
    }
  }
  await sender.flush();
  const result = rate(ROWS, started);
  await sender.close();
  return result;
}

const helper = require('node-red-node-test-helper');
helper.init(require.resolve('node-red'));
const configNode = require('@plantwire/node-red-questdb/dist/nodes/questdb-config/questdb-config.js');
const writeNode = require('@plantwire/node-red-questdb/dist/nodes/questdb-write/questdb-write.js');
const completeNode = require('@node-red/nodes/core/common/24-complete.js');

async function throughNode(questdb) {
  await helper.load(
    [configNode, writeNode],
    [
      { id: 'db', type: 'questdb-config', url: questdb.httpUrl, flushRows: '10000', flushIntervalMs: '50' },
      { id: 'write', type: 'questdb-write', server: 'db', table: 'node_write', wires: [['done'], []] },
      { id: 'done', type: 'helper' },
    ],
  );
  const data = batches(2, ROWS);
  let done = 0;
  const finished = new Promise((resolve) =>
    helper.getNode('done').on('input', (msg) => {
      done += msg.questdb.written;
      if (done >= ROWS) resolve();
    }),
  );
  const started = process.hrtime.bigint();
  for (const batch of data) helper.getNode('write').receive({ payload: batch });
  await finished;
  const result = rate(ROWS, started);
  await helper.unload();
  return result;
}

async function peerInflux(questdb, count) {
  const folder = peerPackage('node-red-contrib-influxdb', log);
  if (!folder) return null;
  const influx = require(join(folder, 'influxdb.js'));
  await helper.load(
    [influx, completeNode],
    [
      influxPeerConfig('influx-db', questdb.host, questdb.httpPort),
      influxPeerOut('out', 'influx-db', 'peer_influx'),
      { id: 'completer', type: 'complete', scope: ['out'], uncaught: false, wires: [['done']] },
      { id: 'done', type: 'helper' },
    ],
  );
  const points = batches(3, Math.ceil(count / 1000) * 1000)
    .flat()
    .slice(0, count);
  // As its users do: one point per message (fields in payload[0], tags in payload[1]), each sent when the one
  // before is done.
  const message = (p) => ({ payload: influxPeerPayload(p) });
  let done = 0;
  const finished = new Promise((resolve) =>
    helper
      .getNode('done')
      .on('input', () => (++done < count ? helper.getNode('out').receive(message(points[done])) : resolve())),
  );
  const started = process.hrtime.bigint();
  helper.getNode('out').receive(message(points[0]));
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 120_000))]);
  const result = rate(done, started);
  await helper.unload();
  return done > 0 ? result : null;
}

const parts = teardown();
try {
  const questdb = parts.add(await startQuestDb());
  const ilp_ceiling_rows_per_s = await ilpCeiling(questdb);
  const raw_client_rows_per_s = await rawClient(questdb);
  await helper.startServer();
  const questdb_write_rows_per_s = await throughNode(questdb);
  const peer_influxdb_rows_per_s = await peerInflux(questdb, Number(process.env.BENCH_PEER_POINTS ?? 3000));
  await helper.stopServer();
  // Each figure on its own: the tables written above are applied before /ingest is measured.
  for (const table of ['ilp_ceiling', 'raw_client', 'node_write']) await questdb.waitForWal(table, 120_000);
  const ingest_http_points_per_s = await ingestPointsPerSecond(questdb, {
    points: ROWS * 2,
    firstTs: start + 40_000_000,
  });
  console.log(
    JSON.stringify({
      ilp_ceiling_rows_per_s,
      questdb_write_rows_per_s,
      write_vs_ceiling: Math.round((questdb_write_rows_per_s / ilp_ceiling_rows_per_s) * 100) / 100,
      raw_client_rows_per_s,
      peer_influxdb_rows_per_s,
      write_vs_influxdb_peer: peer_influxdb_rows_per_s
        ? Math.round(questdb_write_rows_per_s / peer_influxdb_rows_per_s)
        : null,
      ingest_http_points_per_s,
      write_rows_measured: ROWS,
      node: process.version,
    }),
  );
} finally {
  await parts.close();
}
process.exit(0);

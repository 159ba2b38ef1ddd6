// npm run bench:reports: plant-report's work for one day of a 9-machine plant (3 lines x 3 machines, one sample
// every 2 s: 43,200 ticks, about 4.7M telemetry rows, with the simulator's own events) in a real QuestDB.
// Prints one JSON line:
//   report_day_ms   all four formats (pdf, xlsx, csv, json) as one plant-report node with format "all" makes
//                   them: the queries once, then the four files (median of 3 rounds, after one cold round)
//   cold_day_ms     the same, the first time after the data was written
//   four_nodes_ms   the four formats as four separate report nodes make them (each queries; median of 3)
//   query_ms        the queries alone (median), and pdf_ms, xlsx_ms, csv_ms, json_ms the rendering alone
//   report_day_rows telemetry rows in the day
// The day is written as pre-encoded ILP over HTTP (the fill is not measured).
import http from 'node:http';
import {
  DEFAULT_TABLE,
  DEFAULT_IDEAL_RATES,
  eventsFormat,
  QuestDbWriter,
  telemetryTableDdl,
  toEvents,
} from '@plantwire/node-red-questdb';
import { parseConfig, PlantSimulator } from '@plantwire/node-red-simulator';
import { queryReport, renderReport, FORMATS, resolvePeriod } from '@plantwire/node-red-reports';
import { startQuestDb, teardown } from '@plantwire/testkit';

const log = (line) => process.stderr.write(`[bench:reports] ${line}\n`);
const FROM = Date.UTC(2026, 0, 5);
const TO = FROM + 86_400_000;

function post(questdb, body) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: questdb.host, port: questdb.httpPort, path: '/write?precision=ms', method: 'POST' },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () =>
          response.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${response.statusCode}: ${text}`)),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const tag = (value) => value.replace(/[ ,=]/g, '\\$&');

async function fill(questdb) {
  await questdb.exec(telemetryTableDdl(DEFAULT_TABLE));
  const config = parseConfig({ lines: 3, machinesPerLine: 3, seed: 7 });
  const events = [];
  let rows = 0;
  for (const batch of PlantSimulator.backfill(config, FROM - 2000, TO - 2000, 100_000)) {
    let body = '';
    for (const p of batch.points) {
      body +=
        `plantwire_telemetry,tenant=${tag(p.tenant)},plant=${tag(p.plant)},line=${tag(p.line)},` +
        `machine=${tag(p.machine)},metric=${tag(p.metric)},unit=${tag(p.unit || '-')} ` +
        `id="${p.id}",value=${p.value},q=${p.q}i ${p.ts}\n`;
    }
    await post(questdb, body);
    rows += batch.points.length;
    events.push(...batch.events);
  }
  const writer = new QuestDbWriter({ url: questdb.httpUrl }, eventsFormat());
  await writer.write(toEvents(events).events);
  await writer.close();
  await questdb.waitForWal('plantwire_telemetry', 600_000);
  await questdb.waitForWal('plantwire_events');
  return rows;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const parts = teardown();
try {
  const questdb = parts.add(await startQuestDb({ startTimeoutMs: 300_000 }));
  const filled = Date.now();
  const rows = await fill(questdb);
  log(`${rows} rows written in ${Date.now() - filled} ms`);
  const connection = { url: questdb.httpUrl };
  const period = resolvePeriod('given', 0, { from: FROM, to: TO });
  const options = {
    idealRates: DEFAULT_IDEAL_RATES,
    chatterCount: 5,
    chatterWindowS: 60,
    topN: 20,
    title: 'Daily report',
  };
  const scope = { tenant: 'acme', plant: 'plant-1', line: '' };
  const tables = { telemetry: 'plantwire_telemetry', events: 'plantwire_events' };
  const query = () => queryReport(connection, tables, scope, period, options, TO);
  /** One node, format "all": one query, four files. */
  const allFormats = async () => {
    const started = performance.now();
    const report = await query();
    for (const format of FORMATS) await renderReport(report, format);
    return performance.now() - started;
  };
  /** Four nodes, one per format: each queries and renders. */
  const fourNodes = async () => {
    const started = performance.now();
    for (const format of FORMATS) await renderReport(await query(), format);
    return performance.now() - started;
  };
  const cold = await allFormats();
  const rounds = [await allFormats(), await allFormats(), await allFormats()];
  const separate = [await fourNodes(), await fourNodes(), await fourNodes()];
  const queries = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await query();
    queries.push(performance.now() - started);
  }
  const report = await query();
  const render = {};
  for (const format of FORMATS) {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await renderReport(report, format);
      times.push(performance.now() - started);
    }
    render[`${format}_ms`] = Math.round(median(times));
  }
  console.log(
    JSON.stringify({
      report_day_ms: Math.round(median(rounds)),
      cold_day_ms: Math.round(cold),
      four_nodes_ms: Math.round(median(separate)),
      query_ms: Math.round(median(queries)),
      ...render,
      report_day_rows: rows,
      machines: report.summary.machines,
      oee: report.summary.oee,
    }),
  );
} finally {
  await parts.close();
}

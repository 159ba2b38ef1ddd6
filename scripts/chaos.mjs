#!/usr/bin/env node
// `npm run chaos [-- --minutes N]`: the product's promise end to end. Real QuestDB, a cloud and an edge Node-RED
// running the demo flows (flows/cloud-ingest.json, flows/edge-agent.json) behind the WAN link, and a producer of
// known ids posting >= 2,000 points/s to the edge's POST /edge/points, which answers only once store-forward has
// committed them. Meanwhile the edge, the cloud, QuestDB and the plant's MQTT broker (mosquitto) are killed with
// SIGKILL and restarted, and the network is cut and restored. Then every point the edge accepted must be in
// QuestDB exactly once. After each broker restart the same edge process must answer an MQTT command with an MQTT
// message (its mqtt in and mqtt out reconnected).
// Prints one line `[chaos] produced ..., lost 0, duplicated 0; ...`; `--report <file>` writes the figures as JSON.
// Exit code 0 only when lost and duplicated are 0 and every kill target was met.
import { randomBytes } from 'node:crypto';
import { connectAsync } from 'mqtt';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  freePort,
  GiveUp,
  mosquittoBinary,
  sleep,
  startMosquitto,
  startNodeRed,
  startQuestDb,
  startWanLink,
  teardown,
  waitFor,
} from '@plantwire/testkit';
import { FLOW_FILES, flowsWithToken } from './deploy-flows.mjs';
import { PLANT, TENANT, TOPICS } from './flows/plant.mjs';

const { values: options } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    rate: { type: 'string', default: '2400' },
    'edge-kills': { type: 'string' },
    'cloud-kills': { type: 'string' },
    'questdb-kills': { type: 'string' },
    'broker-kills': { type: 'string' },
    outages: { type: 'string' },
    report: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const minutes = Number(options.minutes);
const runMs = minutes * 60_000;
/** How many of each fault: as asked, else at least the CI run's counts and more in a longer run. */
const count = (name, least, perMinute) =>
  options[name] === undefined ? Math.max(least, Math.round(perMinute * minutes)) : Number(options[name]);
const targets = {
  edge: count('edge-kills', 20, 10),
  cloud: count('cloud-kills', 5, 2.5),
  questdb: count('questdb-kills', 3, 1),
  broker: count('broker-kills', 3, 1),
  outages: count('outages', 4, 2),
};
/** Points per second offered to the edge, in batches of BATCH every BATCH/rate seconds. */
const rate = Number(options.rate);
const BATCH = 100;
/** The producer's points go to a machine of their own, so the check reads only them. */
const MACHINE = 'chaos-01';
const TABLE = 'plantwire_telemetry';

const say = (line) => console.log(`[chaos] ${line}`);
// The broker is one of the parts killed: without mosquitto the run cannot start (npm run chaos installs it).
try {
  mosquittoBinary();
} catch (error) {
  console.error(`[chaos] ${error.message}`);
  process.exit(1);
}
const host = '127.0.0.1';
const data = mkdtempSync(join(tmpdir(), 'plantwire-chaos-'));
/** What was started, stopped on the way out; the data is removed last, unless kept (--keep, a failed run). */
const parts = teardown();
let keepData = options.keep;
parts.defer(() => keepData || rmSync(data, { recursive: true, force: true }));
const token = `pw-${randomBytes(18).toString('hex')}`;
const credentialSecret = randomBytes(24).toString('hex');
const ports = {
  edge: await freePort(host),
  cloud: await freePort(host),
  questdbHttp: await freePort(host),
  questdbPg: await freePort(host),
  questdbIlp: await freePort(host),
  mqtt: await freePort(host),
};
const kills = { edge: 0, cloud: 0, questdb: 0, broker: 0, outages: 0 };
/** Broker restarts after which the same edge process answered an MQTT command over MQTT. */
let mqttReconnects = 0;
let stopping = false;

// Ids carry the producer's sequence number in their last 12 hex digits, so the check needs no id set.
const runPrefix = randomBytes(4).toString('hex');
const idOf = (seq) => `${runPrefix}-0000-7000-8000-${seq.toString(16).padStart(12, '0')}`;
const seqOf = (id) => (id.startsWith(runPrefix) ? parseInt(id.slice(-12), 16) : -1);

// ---- the parts ---------------------------------------------------------------------------------------------

/** Starts a part, trying again when a start times out on a machine too busy to start it in time. */
async function restart(what, start) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt === 3) throw error;
      say(`${what} did not start (${error.message.split('\n')[0]}); trying again`);
    }
  }
}

const startQuest = () =>
  restart('QuestDB', () =>
    startQuestDb({
      root: join(data, 'questdb'),
      httpPort: ports.questdbHttp,
      pgPort: ports.questdbPg,
      ilpPort: ports.questdbIlp,
      heap: '512m',
      startTimeoutMs: 180_000,
    }),
  );

/** The cloud runs its ingest flow without the dashboard, which would only add load to a 2-core machine. */
const CHAOS_FLOWS = { edge: FLOW_FILES.edge, cloud: ['cloud-ingest.json'] };

/** A Node-RED of the demo on a fixed port and userDir: the flows are deployed once and survive every kill. */
async function nodeRed(name, env, first) {
  return restart(`the ${name} Node-RED`, () =>
    startNodeRed({
      userDir: join(data, name),
      port: ports[name],
      env,
      settings: { credentialSecret },
      ...(first ? { flows: flowsWithToken(CHAOS_FLOWS[name], token, TENANT) } : {}),
      startTimeoutMs: 180_000,
    }),
  );
}

/** SIGKILL, as a crash or a power cut of the box would; resolves once the process is gone. Its log is kept. */
async function crash(part, name) {
  part.process.child.kill('SIGKILL');
  await part.process.exited;
  appendFileSync(join(data, `${name}.log`), part.process.output());
}

// The parts are replaced as they are killed and restarted: each is stopped as it is at the end.
let questdb, broker, cloud, link, edge, plantClient, cloudEnv, edgeEnv;
let alarmLists = 0;
say(`data in ${data}`);
try {
  questdb = await startQuest();
  parts.defer(() => questdb.stop());
  broker = await startMosquitto({ port: ports.mqtt });
  parts.defer(() => broker.stop());
  // The reference plant on both sides, whatever PLANTWIRE_TENANT and PLANTWIRE_PLANT this shell has.
  const mqtt = {
    PLANTWIRE_MQTT_HOST: host,
    PLANTWIRE_MQTT_PORT: String(broker.port),
    PLANTWIRE_TENANT: TENANT,
    PLANTWIRE_PLANT: PLANT,
  };
  cloudEnv = { ...mqtt, PLANTWIRE_QUESTDB_URL: questdb.httpUrl };
  cloud = await nodeRed('cloud', cloudEnv, true);
  parts.defer(() => cloud.stop());
  link = parts.add(await startWanLink({ host, target: { host, port: ports.cloud } }));
  edgeEnv = { ...mqtt, PLANTWIRE_CLOUD_URL: link.url };
  edge = await nodeRed('edge', edgeEnv, true);
  parts.defer(() => edge.stop());
  say(
    `QuestDB ${questdb.httpUrl}, cloud ${cloud.url}, edge ${edge.url}, WAN link ${link.url}, MQTT ${broker.url}`,
  );

  // A plant client on the broker: it sends the edge `list` commands and sees the alarm lists the edge publishes.
  plantClient = await connectAsync(broker.url, { reconnectPeriod: 300 });
  parts.defer(() => plantClient.endAsync(true));
  plantClient.on('message', () => alarmLists++);
  plantClient.on('connect', () => void plantClient.subscribe(TOPICS.alarms, { qos: 1 }));
  await plantClient.subscribeAsync(TOPICS.alarms, { qos: 1 });
} catch (error) {
  console.error(`[chaos] the run could not start: ${error.message}`);
  await parts.close().catch((stopError) => console.error(`[chaos] stopping: ${stopError.message}`));
  process.exit(1);
}

/**
 * The edge's kills and the broker's restarts take turns, so a reconnect is not mistaken for a fresh start. A turn
 * still waiting when the run stops is not taken.
 */
let edgeTurn = Promise.resolve();
const withEdge = (action) => (edgeTurn = edgeTurn.then(() => (stopping ? undefined : action())));

/** Whether this edge process, as it runs, answers a `list` command on the broker with its alarm list. */
async function mqttRoundTrip(timeoutMs) {
  const before = alarmLists;
  return waitFor(
    'the edge to answer a command over MQTT',
    async () => {
      if (stopping) throw new GiveUp('the run is stopping');
      if (plantClient.connected)
        plantClient.publish(TOPICS.command, JSON.stringify({ cmd: 'list' }), { qos: 1 });
      await sleep(1000);
      return alarmLists > before || undefined;
    },
    timeoutMs,
    0,
  ).then(
    () => true,
    () => false,
  );
}

// ---- the producer ------------------------------------------------------------------------------------------

let produced = 0;
let accepted = 0;
let refusedByEdge = 0;
const acceptedSeqs = [];
let nextSeq = 0;

/** One batch to the edge; accepted only when the edge answers 200 with every point committed. */
async function postBatch() {
  const first = nextSeq;
  nextSeq += BATCH;
  const ts = Date.now();
  // Written as text: on a busy 2-core machine the producer must not be what limits the rate.
  const body = `[${Array.from(
    { length: BATCH },
    (_, i) =>
      `{"ts":${ts},"id":"${idOf(first + i)}","tenant":"${TENANT}","plant":"${PLANT}","line":"line-chaos",` +
      `"machine":"${MACHINE}","metric":"sequence","value":${first + i},"unit":"","q":100}`,
  ).join(',')}]`;
  produced += BATCH;
  try {
    const response = await fetch(`http://${host}:${ports.edge}/edge/points`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    // Node-RED answers 404 in HTML while its flows are still starting.
    const answer = await response.json().catch(() => ({}));
    if (response.status === 200 && answer.accepted === BATCH) {
      accepted += BATCH;
      acceptedSeqs.push(first);
    } else refuse(`HTTP ${response.status} ${answer.error ?? ''}`.trim());
  } catch (error) {
    refuse(error.cause?.code ?? error.name);
  }
}

/** Why points were not accepted (the edge down, a timeout, a refusal), counted for the progress lines. */
const refusals = new Map();
function refuse(reason) {
  refusedByEdge += BATCH;
  refusals.set(reason, (refusals.get(reason) ?? 0) + BATCH);
}

async function produce() {
  const everyMs = (BATCH / rate) * 1000;
  const inFlight = new Set();
  let slot = Date.now();
  while (!stopping) {
    slot += everyMs;
    const wait = slot - Date.now();
    if (wait > 0) await sleep(wait);
    // A slow edge must not pile up requests without limit: at most 64 batches in flight, then wait.
    while (inFlight.size >= 64) await Promise.race(inFlight);
    const request = postBatch().finally(() => inFlight.delete(request));
    inFlight.add(request);
  }
  await Promise.all(inFlight);
}

// ---- the chaos ---------------------------------------------------------------------------------------------

const started = Date.now();
/** Spreads `count` events over the run, with jitter, and keeps going past the end until the count is met. */
async function every(count, action) {
  for (let done = 0; done < count && !stopping; done++) {
    const due = started + ((done + 0.5 + (Math.random() - 0.5) * 0.6) * runMs) / count;
    if (due > Date.now()) await sleep(due - Date.now());
    if (stopping) return;
    await action();
  }
}

const chaos = [
  every(targets.edge, () =>
    withEdge(async () => {
      await crash(edge, 'edge');
      kills.edge++;
      edge = await nodeRed('edge', edgeEnv, false);
      // Each edge life accepts points before the next kill, or the kills would only test start-up (unless the
      // run is stopping: the producer is done).
      const before = accepted;
      await waitFor(
        'the edge to accept points',
        async () => accepted > before || stopping || undefined,
        30_000,
      ).catch(() => say(`the edge accepted nothing for 30 s after its restart`));
    }),
  ),
  every(targets.broker, () =>
    withEdge(async () => {
      const pid = edge.process.pid;
      await broker.kill();
      kills.broker++;
      await sleep(1000);
      broker = await restart('mosquitto', () => startMosquitto({ port: ports.mqtt }));
      if ((await mqttRoundTrip(60_000)) && edge.process.pid === pid) mqttReconnects++;
      else if (!stopping) say('the edge did not answer over MQTT within 60 s of a broker restart');
    }),
  ),
  every(targets.cloud, async () => {
    await crash(cloud, 'cloud');
    kills.cloud++;
    cloud = await nodeRed('cloud', cloudEnv, false);
  }),
  every(targets.questdb, async () => {
    await crash(questdb, 'questdb');
    kills.questdb++;
    // Down for a while, as a crashed server is until its supervisor restarts it.
    await sleep(2000);
    questdb = await startQuest();
  }),
  every(targets.outages, async () => {
    await link.cut();
    kills.outages++;
    await sleep(3000 + Math.random() * 5000);
    await link.restore();
  }),
];

const producing = produce();
// Stopped by a signal (testkit's teardown closes the parts): the fault loops and the producer end first, a
// restart under way finishing, so the parts stopped are the ones running.
parts.defer(async () => {
  stopping = true;
  await Promise.allSettled(chaos);
  await producing;
});
const progress = setInterval(
  () =>
    say(
      `${Math.round((Date.now() - started) / 1000)} s: produced ${produced}, accepted ${accepted}; kill -9 edge ${kills.edge}, cloud ${kills.cloud}, QuestDB ${kills.questdb}, broker ${kills.broker}; outages ${kills.outages}; not accepted: ${JSON.stringify(Object.fromEntries(refusals))}`,
    ),
  15_000,
);
let failure;
try {
  await Promise.all(chaos);
  if (Date.now() - started < runMs) await sleep(runMs - (Date.now() - started));
} catch (error) {
  failure = error;
  // The other fault loops may be mid-restart: let them finish (they start nothing more once stopping), so the
  // parts they start are the ones stopped below.
  stopping = true;
  await Promise.allSettled(chaos);
}
stopping = true;
await producing;
clearInterval(progress);
const chaosMs = Date.now() - started;

// ---- the check ---------------------------------------------------------------------------------------------

/** How often each of this run's ids is in QuestDB, read a million at a time (a point's value is its sequence). */
async function storedCounts() {
  const counts = new Uint8Array(nextSeq);
  const PAGE = 1_000_000;
  for (let from = 0; from < nextSeq; from += PAGE) {
    const sql = `SELECT id FROM ${TABLE} WHERE machine = '${MACHINE}' AND value >= ${from} AND value < ${from + PAGE}`;
    const response = await fetch(`${questdb.httpUrl}/exp?query=${encodeURIComponent(sql)}`);
    if (!response.ok) throw new Error(`QuestDB /exp: ${response.status} ${await response.text()}`);
    for (const line of (await response.text()).split('\n').slice(1)) {
      const seq = seqOf(line.replaceAll('"', '').trim());
      if (seq >= 0 && seq < counts.length) counts[seq] = Math.min(255, counts[seq] + 1);
    }
  }
  return counts;
}

function tally(counts) {
  let lost = 0;
  for (const first of acceptedSeqs) for (let i = 0; i < BATCH; i++) if (counts[first + i] === 0) lost++;
  let stored = 0;
  let duplicated = 0;
  for (const count of counts) {
    if (count > 0) stored++;
    if (count > 1) duplicated += count - 1;
  }
  return { lost, stored, duplicated };
}

let result = { lost: accepted, stored: 0, duplicated: 0 };
if (!failure) {
  say(`chaos over after ${Math.round(chaosMs / 1000)} s; waiting for the edge to deliver its backlog`);
  try {
    // Everything accepted is on the edge's disk; give the edge time to deliver it, as long as it makes progress.
    let lastStored = -1;
    let lastProgress = Date.now();
    for (;;) {
      await questdb.waitForWal(TABLE, 60_000).catch(() => {});
      result = tally(await storedCounts());
      if (result.lost === 0) break;
      if (result.stored !== lastStored) [lastStored, lastProgress] = [result.stored, Date.now()];
      if (Date.now() - lastProgress > 120_000) break;
      await sleep(2000);
    }
  } catch (error) {
    failure = error;
  }
}

const figures = {
  produced,
  accepted,
  stored: result.stored,
  lost: result.lost,
  duplicated: result.duplicated,
  refused_by_edge: refusedByEdge,
  points_per_s: Math.round(produced / (chaosMs / 1000)),
  edge_kills: kills.edge,
  cloud_kills: kills.cloud,
  questdb_kills: kills.questdb,
  broker_kills: kills.broker,
  mqtt_reconnects: mqttReconnects,
  network_outages: kills.outages,
  minutes: Math.round(chaosMs / 600) / 100,
};
const targetsMet =
  kills.edge >= targets.edge &&
  kills.cloud >= targets.cloud &&
  kills.questdb >= targets.questdb &&
  kills.broker >= targets.broker &&
  mqttReconnects === kills.broker &&
  kills.outages >= targets.outages;
const ok = !failure && figures.lost === 0 && figures.duplicated === 0 && targetsMet && accepted > 0;

keepData ||= !ok;
await parts.close().catch((error) => console.error(`[chaos] stopping: ${error.message}`));

if (options.report) writeFileSync(options.report, `${JSON.stringify(figures, null, 2)}\n`);
if (failure) console.error(`[chaos] the run failed: ${failure.stack ?? failure}`);
console.log(
  `[chaos] ${ok ? 'PASS' : 'FAIL'}: produced ${produced} (${figures.points_per_s}/s), accepted ${accepted}, ` +
    `stored ${figures.stored}, lost ${figures.lost}, duplicated ${figures.duplicated}; kill -9: edge ${kills.edge}, ` +
    `cloud ${kills.cloud}, QuestDB ${kills.questdb}, MQTT broker ${kills.broker} (edge reconnected ${mqttReconnects}); ` +
    `network outages ${kills.outages}; ${figures.minutes} min` +
    (ok ? '' : ` (data kept in ${data})`),
);
process.exit(ok ? 0 : 1);

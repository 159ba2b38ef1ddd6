// `npm start`: the whole factory on this machine until Ctrl-C. QuestDB, the plant's MQTT broker, a cloud
// Node-RED (ingest, API, Dashboard 2.0), the WAN link and an edge Node-RED (the simulated plant, alarms,
// anomaly detection, store-and-forward). Data and secrets stay in .plantwire/ (PLANTWIRE_DATA) between runs;
// delete it to start afresh. PLANTWIRE_TENANT and PLANTWIRE_PLANT name the plant (acme, plant-01 by default): the
// flows, the broker's accounts and the WAN link all follow them.
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  adminAuthSettings,
  newAdminPasswords,
  portIsFree,
  startAedesBroker,
  startNodeRed,
  startQuestDb,
  startWanLink,
} from '@plantwire/testkit';
import { FLOW_FILES, flowsWithToken } from './deploy-flows.mjs';
import { INGEST_MAX_KB } from './flows/cloud-ingest.mjs';
import { mqttAccounts, PLANT, TENANT, topicsOf } from './flows/plant.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const data = resolve(process.env.PLANTWIRE_DATA ?? join(root, '.plantwire'));
const host = process.env.PLANTWIRE_HOST ?? '127.0.0.1';
// Where the demo's own parts reach each other: the address they listen on (loopback when that is every address).
const local = host === '0.0.0.0' ? '127.0.0.1' : host;
const port = (name, fallback) => ({
  name,
  variable: `PLANTWIRE_${name}_PORT`,
  port: Number(process.env[`PLANTWIRE_${name}_PORT`] ?? fallback),
});
const ports = {
  edge: port('EDGE', 1880),
  cloud: port('CLOUD', 1881),
  wan: port('WAN', 1882),
  questdbHttp: port('QUESTDB_HTTP', 9000),
  questdbPg: port('QUESTDB_PG', 8812),
  questdbIlp: port('QUESTDB_ILP', 9009),
  mqtt: port('MQTT', 1883),
};
const say = (line) => console.log(`[plantwire] ${line}`);

/** The plant every part runs for: one tenant and plant for both Node-REDs, the broker's accounts and the WAN link. */
const tenant = process.env.PLANTWIRE_TENANT || TENANT;
const plant = process.env.PLANTWIRE_PLANT || PLANT;
for (const [variable, name] of [
  ['PLANTWIRE_TENANT', tenant],
  ['PLANTWIRE_PLANT', plant],
]) {
  // Names that are one MQTT topic level (machine-sim refuses others).
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    console.error(`[plantwire] ${variable}=${name}: letters, digits, '.', '_' and '-' only (64 at most)`);
    process.exit(1);
  }
}
const topics = topicsOf(tenant, plant);
const plantEnv = { PLANTWIRE_TENANT: tenant, PLANTWIRE_PLANT: plant };

/**
 * The demo's credential secret, ingest token, plant broker passwords and QuestDB login: made once, kept in
 * .plantwire/secrets.json (never in git). A secrets file of an older demo gets the parts it lacks.
 */
function secrets() {
  const file = join(data, 'secrets.json');
  const kept = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const secret = () => randomBytes(18).toString('hex');
  // A data folder from before broker accounts has flows whose brokers carry no credentials: its broker stays open.
  const openBroker = kept.openBroker ?? (existsSync(file) && kept.mqtt === undefined);
  const made = {
    credentialSecret: randomBytes(24).toString('hex'),
    ingestToken: `pw-${secret()}`,
    ...kept,
    mqtt: { edge: secret(), cloud: secret(), wan: secret(), ...kept.mqtt },
    admin: kept.admin ?? newAdminPasswords(),
    // QuestDB's HTTP (console, REST, ILP over HTTP) and PostgreSQL wire login: without one, any web page open in the
    // operator's browser could run SQL on it (`<img src="http://127.0.0.1:9000/exec?query=DROP TABLE ...">`).
    questdb: kept.questdb ?? { user: 'admin', password: secret() },
    // The plant its flows and broker accounts were made for (a folder from before this was the reference plant's).
    plant: kept.plant ?? (existsSync(file) ? { tenant: TENANT, plant: PLANT } : { tenant, plant }),
    ...(openBroker && { openBroker }),
  };
  if (!kept.admin) {
    // Shown this once; they stay in secrets.json (readable by this user only) for when they are forgotten.
    console.log(
      `\n  Node-RED editor logins (both Node-REDs), made now and kept in ${file}:\n` +
        Object.entries(made.admin)
          .map(([role, password]) => `    ${role.padEnd(9)} ${password}`)
          .join('\n') +
        '\n  admin: everything; engineer: read and deploy; operator: read only.\n',
    );
  }
  if (JSON.stringify(made) !== JSON.stringify(kept)) {
    mkdirSync(data, { recursive: true });
    writeFileSync(file, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600 });
  }
  return made;
}

// One demo per data folder: a second one on other ports would fail deep inside QuestDB's own lock, with its stack.
const lockFile = join(data, 'demo.pid');
const holder = existsSync(lockFile) ? Number(readFileSync(lockFile, 'utf8')) : NaN;
if (Number.isInteger(holder) && holder !== process.pid && isRunning(holder)) {
  console.error(
    `[plantwire] a demo (pid ${holder}) already runs on ${data}: stop it, or set PLANTWIRE_DATA to another folder ` +
      `(if pid ${holder} is no demo, delete ${lockFile}).`,
  );
  process.exit(1);
}

/** Whether a process of this pid exists (one of another user's counts too). */
function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

for (const { name, variable, port: number } of Object.values(ports)) {
  if (!(await portIsFree(number, host))) {
    console.error(
      `[plantwire] port ${number} (${name.toLowerCase()}) is in use: stop what holds it, or set ${variable} to another port.`,
    );
    process.exit(1);
  }
}

mkdirSync(data, { recursive: true });
writeFileSync(lockFile, `${process.pid}\n`);

const running = [];
/** A stop was asked for (Ctrl-C, SIGTERM); while the demo starts, it ends the start at the next part. */
let stopping = false;
let ready = false;

/** Keeps a part to stop on the way out (in reverse), and tells when it stops by itself. */
function started(what, part, stop = () => part.stop()) {
  running.push([what, stop]);
  if (stopping) throw new Error('stopped while starting');
  // A part that exits while the demo runs (killed, out of memory) leaves it half there: say so, and stop.
  part.process?.exited.then((status) => stoppedByItself(what, status));
}

function stoppedByItself(what, status) {
  if (stopping) return;
  console.error(`[plantwire] ${what} exited (${status}) while the demo ran; stopping the rest`);
  void shutdown(1);
}

/** Restarts of QuestDB in a row that may fail (or exit within a minute) before the demo gives up and stops. */
const QUESTDB_RESTARTS = 5;

/**
 * QuestDB, restarted when it exits while the demo runs (killed, out of memory): the same data folder, ports and
 * login, after 5, 10, 15, ... s (the dashboard, which asks every 5 s, always sees the outage). The edge and the cloud run on meanwhile: the cloud's ingest answers that QuestDB is
 * unavailable, the edge keeps its points and sends them once QuestDB is back; the dashboard says it is
 * unreachable. After QUESTDB_RESTARTS failed restarts in a row (a start that fails, or one that exits again
 * within a minute) the demo stops, as it does when another part exits.
 */
async function keptQuestDb(options) {
  let current = await startQuestDb(options);
  /** A restart under way: a stop waits for it, so that the QuestDB it starts is stopped too. */
  let restarting = Promise.resolve();
  const watch = (questdb, failures) => {
    const up = Date.now();
    questdb.process.exited.then((status) => {
      if (stopping) return;
      const failed = Date.now() - up < 60_000 ? failures + 1 : 1;
      restarting = restart(status, failed);
    });
  };
  const restart = async (status, failures) => {
    if (failures > QUESTDB_RESTARTS)
      return stoppedByItself(`QuestDB (restarted ${QUESTDB_RESTARTS} times)`, status);
    const delay = 5000 * failures;
    console.error(
      `[plantwire] QuestDB exited (${status}) while the demo ran; restarting it in ${delay / 1000} s ` +
        `(attempt ${failures} of ${QUESTDB_RESTARTS}): the edge keeps its points until it answers`,
    );
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (stopping) return;
    try {
      current = await startQuestDb(options);
    } catch (error) {
      console.error(`[plantwire] QuestDB did not start: ${error.message.split('\n')[0]}`);
      return restart('no start', failures + 1);
    }
    if (stopping) return; // stopped with the rest
    say(`QuestDB is back on ${current.httpUrl}`);
    watch(current, failures);
  };
  watch(current, 0);
  running.push([
    'QuestDB',
    async () => {
      await restarting;
      await current.stop();
    },
  ]);
  if (stopping) throw new Error('stopped while starting');
  return current;
}

async function shutdown(code) {
  stopping = true;
  await stopAll();
  rmSync(lockFile, { force: true });
  say('stopped');
  process.exit(code);
}

// Installed before anything starts: a SIGTERM during the start (a service manager, an IDE's stop) must not leave
// QuestDB running without its parent.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    if (ready) void shutdown(0);
  });
}

async function stopAll() {
  for (const [what, stop] of running.reverse()) {
    say(`stopping ${what}`);
    await stop().catch((error) => console.error(`[plantwire] ${what}: ${error.message}`));
  }
}

/**
 * A Node-RED of the demo; its flows are deployed on the first run only, so your own changes are kept. `questdb`
 * ({username, password}) is the login of its questdb-config nodes.
 */
async function nodeRed(name, env, { credentialSecret, ingestToken, admin }, mqtt, questdb) {
  const userDir = join(data, name);
  const firstRun = !existsSync(join(userDir, 'flows.json'));
  const flows = () =>
    flowsWithToken(FLOW_FILES[name], ingestToken, tenant, mqtt).map((node) =>
      node.type === 'questdb-config' && questdb ? { ...node, credentials: questdb } : node,
    );
  const red = await startNodeRed({
    userDir,
    host,
    port: ports[name].port,
    // Production: a request Node-RED's own body parser refuses (bad JSON) is answered without a stack trace.
    // A body larger than /ingest takes is refused before it is read, by any route, and so is a request another
    // web site makes a browser send (see node-red-guards.cjs).
    env: { NODE_ENV: 'production', PLANTWIRE_MAX_BODY_BYTES: String(INGEST_MAX_KB * 1024), ...env },
    nodeArgs: ['--require', join(root, 'scripts', 'node-red-guards.cjs')],
    settings: { credentialSecret, adminAuth: adminAuthSettings(admin) },
    login: { username: 'admin', password: admin.admin },
    ...(firstRun ? { flows: flows() } : {}),
  });
  started(`the ${name} Node-RED`, red);
  if (!firstRun && questdb) await loginToQuestDb(red, questdb);
  // Its log, for when something needs a look: what it printed so far, then as it comes.
  const log = createWriteStream(join(userDir, 'node-red.log'), { flags: 'a' });
  log.write(red.log());
  red.process.child.stdout?.pipe(log);
  red.process.child.stderr?.pipe(log);
  return red;
}

/**
 * The demo's questdb-config nodes (those on PLANTWIRE_QUESTDB_URL) of a data folder from before QuestDB had a login
 * have none: they get it, in a deploy of the flows as they are (a node's other credentials are kept).
 */
async function loginToQuestDb(red, questdb) {
  const nodes = await red.api('/flows');
  const missing = [];
  for (const node of nodes) {
    if (node.type !== 'questdb-config' || node.url !== '${QUESTDB_URL}') continue;
    const credentials = await red.api(`/credentials/questdb-config/${encodeURIComponent(node.id)}`);
    if (!credentials.has_password) missing.push(node.id);
  }
  if (missing.length === 0) return;
  say(`giving the QuestDB login to ${missing.join(', ')} (this data folder is from before QuestDB had one)`);
  await red.deploy(
    nodes.map((node) => (missing.includes(node.id) ? { ...node, credentials: questdb } : node)),
  );
}

try {
  const keys = secrets();
  if (keys.plant.tenant !== tenant || keys.plant.plant !== plant) {
    // Its flows hold the broker accounts of that plant: they would be refused by this plant's broker.
    throw new Error(
      `${data} runs tenant ${keys.plant.tenant}, plant ${keys.plant.plant}: set PLANTWIRE_TENANT and ` +
        'PLANTWIRE_PLANT to those, or PLANTWIRE_DATA to another folder for this plant',
    );
  }
  say('starting QuestDB');
  const questdb = await keptQuestDb({
    root: join(data, 'questdb'),
    httpPort: ports.questdbHttp.port,
    pgPort: ports.questdbPg.port,
    ilpPort: ports.questdbIlp.port,
    env: {
      QDB_HTTP_USER: keys.questdb.user,
      QDB_HTTP_PASSWORD: keys.questdb.password,
      QDB_PG_USER: keys.questdb.user,
      QDB_PG_PASSWORD: keys.questdb.password,
    },
  });
  const questdbLogin = { username: keys.questdb.user, password: keys.questdb.password };

  const accounts = mqttAccounts(keys.mqtt, { tenant, plant });
  const account = (username) => accounts.find((a) => a.username === username);
  if (keys.openBroker) {
    say(
      'starting the plant broker (aedes) WITHOUT accounts: this data folder predates them; delete it to turn them on',
    );
  } else say('starting the plant broker (aedes; a username and password per client, topics per account)');
  const broker = await startAedesBroker({
    host,
    port: ports.mqtt.port,
    ...(!keys.openBroker && { accounts }),
  });
  started('the plant broker', broker);
  const mqtt = { PLANTWIRE_MQTT_HOST: local, PLANTWIRE_MQTT_PORT: String(ports.mqtt.port) };

  say(`starting the cloud Node-RED (ingest, API, dashboard) for tenant ${tenant}, plant ${plant}`);
  const cloud = await nodeRed(
    'cloud',
    { ...mqtt, ...plantEnv, PLANTWIRE_QUESTDB_URL: questdb.httpUrl },
    keys,
    { user: `cloud-${tenant}`, password: account(`cloud-${tenant}`).password },
    questdbLogin,
  );

  const link = await startWanLink({
    host: '127.0.0.1',
    port: ports.wan.port,
    target: { host: local, port: cloud.port },
    mqttUrl: `mqtt://wan-link:${keys.mqtt.wan}@${local.includes(':') ? `[${local}]` : local}:${broker.port}`,
    commandTopic: topics.command,
    stateTopic: topics.link,
  });
  started('the WAN link', link);

  say('starting the edge Node-RED (the plant, alarms, store-and-forward)');
  const edge = await nodeRed('edge', { ...mqtt, ...plantEnv, PLANTWIRE_CLOUD_URL: link.url }, keys, {
    user: `edge-${plant}`,
    password: account(`edge-${plant}`).password,
  });

  const shown = host === '0.0.0.0' ? 'localhost' : host;
  console.log(`
  Dashboard          http://${shown}:${cloud.port}/dashboard
  Cloud Node-RED     http://${shown}:${cloud.port}        (ingest, API: /api/health, /api/kpis, ...)
  Edge Node-RED      http://${shown}:${edge.port}        (the plant, alarms, store-and-forward)
  QuestDB console    ${questdb.httpUrl}        (user ${keys.questdb.user}, password ${keys.questdb.password}; PostgreSQL wire too)
  MQTT broker        ${broker.url}        (accounts and passwords: ${join(data, 'secrets.json')})
  Data and secrets   ${data}
  Node-RED logs      ${join(data, 'edge', 'node-red.log')}, ${join(data, 'cloud', 'node-red.log')}

  Try: Faults > bearing fault on a machine, then Alarms > Ack; Faults > Cut the network, watch Edge health.
  Press Ctrl-C to stop.
`);
  say('ready');
  ready = true;
  if (stopping) await shutdown(0);
} catch (error) {
  if (stopping) await shutdown(0);
  console.error(`[plantwire] the demo could not start: ${error.message}`);
  await shutdown(1);
}

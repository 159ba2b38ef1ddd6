// `npm start`: QuestDB, an MQTT broker and Node-RED with the Plantwire packages, on this machine, until Ctrl-C.
// Data stays in .plantwire/ between runs (delete the folder to start afresh).
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAedesBroker, startNodeRed, startQuestDb } from '@plantwire/testkit';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const data = join(root, '.plantwire');
const host = process.env.PLANTWIRE_HOST ?? '127.0.0.1';
const ports = {
  'Node-RED': Number(process.env.PLANTWIRE_NODE_RED_PORT ?? 1880),
  'QuestDB HTTP': Number(process.env.PLANTWIRE_QUESTDB_HTTP_PORT ?? 9000),
  'QuestDB PostgreSQL': Number(process.env.PLANTWIRE_QUESTDB_PG_PORT ?? 8812),
  'QuestDB ILP': Number(process.env.PLANTWIRE_QUESTDB_ILP_PORT ?? 9009),
  MQTT: Number(process.env.PLANTWIRE_MQTT_PORT ?? 1883),
};
const say = (line) => console.log(`[plantwire] ${line}`);

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

for (const [what, port] of Object.entries(ports)) {
  if (!(await portIsFree(port))) {
    const variable = `PLANTWIRE_${what.toUpperCase().replaceAll('-', '_').replaceAll(' ', '_')}_PORT`;
    console.error(
      `[plantwire] port ${port} (${what}) is in use: stop what holds it, or set ${variable} to another port.`,
    );
    process.exit(1);
  }
}

const running = [];
async function stopAll() {
  for (const [what, stop] of running.reverse()) {
    say(`stopping ${what}`);
    await stop().catch((error) => console.error(`[plantwire] ${what}: ${error.message}`));
  }
}

try {
  say('starting QuestDB');
  const questdb = await startQuestDb({
    root: join(data, 'questdb'),
    httpPort: ports['QuestDB HTTP'],
    pgPort: ports['QuestDB PostgreSQL'],
    ilpPort: ports['QuestDB ILP'],
  });
  running.push(['QuestDB', () => questdb.stop()]);

  say('starting the MQTT broker (aedes)');
  const broker = await startAedesBroker({ host, port: ports.MQTT });
  running.push(['the MQTT broker', () => broker.stop()]);

  say('starting Node-RED');
  const userDir = join(data, 'node-red');
  const demoFlows = join(root, 'flows', 'demo.json');
  const firstRun = !existsSync(join(userDir, 'flows.json'));
  const nodeRed = await startNodeRed({
    userDir,
    host,
    port: ports['Node-RED'],
    env: { PLANTWIRE_QUESTDB_URL: questdb.httpUrl, PLANTWIRE_MQTT_URL: broker.url },
    // Your own changes to the flows are kept: the demo flows are deployed on the first run only.
    ...(firstRun && existsSync(demoFlows) ? { flows: JSON.parse(readFileSync(demoFlows, 'utf8')) } : {}),
  });
  running.push(['Node-RED', () => nodeRed.stop()]);

  const modules = (await nodeRed.api('/nodes')).filter((set) => set.module.startsWith('@plantwire/'));
  say(
    `Plantwire nodes loaded: ${modules.map((set) => `${set.module}/${set.name}`).join(', ') || 'none yet'}`,
  );
  console.log(`
  Node-RED editor   http://localhost:${ports['Node-RED']}
  QuestDB console   ${questdb.httpUrl}
  MQTT broker       ${broker.url}
  Data              ${data}

  Press Ctrl-C to stop.
`);
} catch (error) {
  console.error(`[plantwire] the demo could not start: ${error.message}`);
  await stopAll();
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await stopAll();
    process.exit(0);
  });
}

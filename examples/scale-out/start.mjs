#!/usr/bin/env node
// The scale-out path on one machine: a 3-broker Kafka cluster (Apache Kafka 4.1.1, KRaft), QuestDB, one edge
// Node-RED (edge.json) and N cloud worker Node-REDs (worker.json) sharing one consumer group. Ctrl-C stops
// everything. Needs `npm run setup` first (the build, the QuestDB jar); the first start fetches the Kafka jars
// with Maven (see examples/README.md).
//   node examples/scale-out/start.mjs [--workers N]        (default 2)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { portIsFree, startKafkaCluster, startNodeRed, startQuestDb, teardown } from '@plantwire/testkit';

const TOPIC = 'plantwire-points';
const PARTITIONS = 12;
const flow = (name) => JSON.parse(readFileSync(fileURLToPath(new URL(name, import.meta.url)), 'utf8'));
const say = (line) => console.log(`[scale-out] ${line}`);
const flag = process.argv.indexOf('--workers');
const workerCount = flag >= 0 ? Number(process.argv[flag + 1]) : 2;
if (!Number.isInteger(workerCount) || workerCount < 1) {
  console.error('usage: node examples/scale-out/start.mjs [--workers N]   (N >= 1)');
  process.exit(2);
}

// Fixed ports, as the Docker path has them: checked first, so a demo still running is named, not half-collided with.
const PORTS = [9092, 9093, 9094, 9192, 9193, 9194, 9000, 8812, 9009];
for (let port = 1880; port <= 1880 + workerCount; port++) PORTS.push(port);
for (const port of PORTS) {
  if (!(await portIsFree(port))) {
    console.error(
      `[scale-out] port ${port} is in use (is \`npm start\` still running?): stop what holds it first`,
    );
    process.exit(1);
  }
}

// Everything started is stopped on the way out, the last started first (the workers and the edge commit and flush
// on close, before Kafka and QuestDB stop): at Ctrl-C or SIGTERM (exit 130 or 143; a part still starting is
// stopped too) and when a start fails.
const parts = teardown();
try {
  say('starting Kafka (3 brokers on 127.0.0.1:9092-9094) and QuestDB (http://127.0.0.1:9000)');
  // Each part is stopped on the way out even when the other failed to start.
  const [kafkaStart, questdbStart] = await Promise.allSettled([
    startKafkaCluster({ ports: { brokers: [9092, 9093, 9094], controllers: [9192, 9193, 9194] } }),
    startQuestDb({ httpPort: 9000, pgPort: 8812, ilpPort: 9009 }),
  ]);
  for (const start of [kafkaStart, questdbStart]) if (start.status === 'fulfilled') parts.add(start.value);
  if (kafkaStart.status === 'rejected') throw kafkaStart.reason;
  if (questdbStart.status === 'rejected') throw questdbStart.reason;
  const cluster = kafkaStart.value;
  const questdb = questdbStart.value;
  await cluster.createTopic(TOPIC, PARTITIONS);
  say(`topic ${TOPIC}: ${PARTITIONS} partitions, replication factor 3, min.insync.replicas 2`);

  const env = {
    PLANTWIRE_KAFKA_BROKERS: cluster.brokers.join(','),
    PLANTWIRE_QUESTDB_URL: questdb.httpUrl,
    PLANTWIRE_PLANT: 'plant-1',
  };
  const start = async (label, flows, port) => {
    const red = parts.add(await startNodeRed({ flows, env, port }));
    say(`${label}: ${red.url}`);
    return red;
  };
  await start('edge', flow('./edge.json'), 1880);
  for (let i = 1; i <= workerCount; i++) await start(`worker ${i}`, flow('./worker.json'), 1880 + i);
  say(
    `running: points flow edge -> Kafka -> ${workerCount} worker(s) -> QuestDB table plantwire_telemetry. Ctrl-C stops.`,
  );
  say(`count them: ${questdb.httpUrl}/exec?query=SELECT%20count()%20FROM%20plantwire_telemetry`);
} catch (error) {
  console.error(`[scale-out] ${error.message}`);
  say('stopping');
  await parts.close().catch((failure) => console.error(`[scale-out] ${failure.message}`));
  process.exit(1);
}

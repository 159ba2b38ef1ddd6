// npm run bench:kafka: Kafka between edges and cloud workers, on a real 3-broker cluster (Apache Kafka 4.1.1,
// KRaft, RF 3, min.insync.replicas 2) and a real QuestDB, all on this machine. Prints one JSON line:
//   kafka_produce_points_per_s  the producer kafka-produce runs (acks=all, idempotent, delivery check on, gzip), arrays
//                               of 1,000 points handed over one per tick as Node-RED delivers them, each encoded
//                               (one record per machine per array) and resolved once all its records are
//                               acknowledged: points acknowledged per second over 1M points (goal >= 100k)
//   kafka_produce_cpu_us_per_point  CPU time of this process per point produced, encoding included
//   kafka_consume_points_per_s  one consumer-group member (kafka-consume's core) reading those 1M points, every
//                               batch settled at once
//   workers_{1,2,4}_points_per_s end to end: N real Node-RED processes, kafka-consume -> questdb-write -> back,
//                               from a full topic until QuestDB has every point
//   bottleneck                  per worker count: where the machine's CPU went while the workers ran
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Kafka, logLevel } from 'kafkajs';
import { DeliveringProducer, GroupConsumer, toRecords } from '@plantwire/node-red-kafka';
import {
  sleep,
  startKafkaCluster,
  startNodeRed,
  startQuestDb,
  teardown,
  telemetryPoint,
  waitFor,
} from '@plantwire/testkit';

const POINTS = Number(process.env.BENCH_POINTS ?? 300_000);
// The producer's figure is sustained over more points: its first send waits for the topic's partitions.
const PRODUCE_POINTS = Number(process.env.BENCH_PRODUCE_POINTS ?? 1_000_000);
const PARTITIONS = 12;
const log = (line) => process.stderr.write(`[bench:kafka] ${line}\n`);
const start = Date.UTC(2026, 0, 5);
/** The b-th message of 1,000 points (50 machines), as a machine-sim array. */
const message = (b) =>
  Array.from({ length: 1000 }, (_, i) =>
    telemetryPoint(start + b * 1000 + i, { machine: `cnc-${String(i % 50).padStart(2, '0')}` }),
  );
const perSecond = (points, startedNs) =>
  Math.round(points / (Number(process.hrtime.bigint() - startedNs) / 1e9));

async function produce(kafka, topic, points) {
  const producer = new DeliveringProducer(kafka, {
    deliveryCheck: true,
    maxBatchBytes: 900 * 1024,
    maxResends: 10,
    compression: 'gzip',
  });
  await producer.connect();
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  let makingUs = 0;
  // As kafka-produce gets them: one message per tick, encoded on arrival, each resolving when all its records
  // are acknowledged (acks=all). Messages are made as they go (a million points held at once would make the
  // garbage collector's work, not the producer's, the figure); the CPU spent making them is not counted.
  const deliveries = [];
  for (let b = 0; b < points / 1000; b++) {
    const making = process.cpuUsage();
    const batch = message(b);
    const made = process.cpuUsage(making);
    makingUs += made.user + made.system;
    deliveries.push(producer.deliver(topic, toRecords(batch, 'machine', 'bench', 500)));
    await new Promise(setImmediate);
  }
  await Promise.all(deliveries);
  const rate = perSecond(points, started);
  const cpu = process.cpuUsage(cpuBefore);
  await producer.disconnect();
  return { rate, cpuUsPerPoint: Number(((cpu.user + cpu.system - makingUs) / points).toFixed(2)) };
}

async function consume(kafka, topic, expected) {
  let points = 0;
  let consumer;
  const started = process.hrtime.bigint();
  consumer = new GroupConsumer(kafka, {
    groupId: 'bench-consume',
    topic,
    fromBeginning: true,
    maxInFlight: 8,
    ackTimeoutMs: 60_000,
    retryDelayMs: 1000,
    sessionTimeoutMs: 30_000,
    deliver: (delivery) => {
      points += delivery.items.length;
      setImmediate(() => consumer.settle(delivery.token, true));
    },
    onChange: () => {},
    onProblem: (message) => log(`consumer: ${message}`),
  });
  await consumer.start();
  await waitFor(
    'the consumer to read every point',
    async () => (points >= expected ? true : undefined),
    300_000,
    5,
  );
  const rate = perSecond(expected, started);
  await consumer.stop();
  return rate;
}

/** Clock ticks of CPU a process used so far (utime + stime), 0 once it is gone. */
function cpuTicks(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

const TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** Busy and total clock ticks of the whole machine. */
function machineTicks() {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const idle = values[3] + values[4];
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function workers(count, cluster, questdb, topic) {
  const table = `bench_kafka_workers_${count}`;
  const group = `bench-workers-${count}`;
  const flow = [
    { id: 'tab', type: 'tab' },
    { id: 'kafka', type: 'kafka-config', brokers: cluster.brokers.join(','), clientId: 'worker' },
    { id: 'db', type: 'questdb-config', url: questdb.httpUrl, flushRows: '10000', flushIntervalMs: '100' },
    {
      id: 'consume',
      z: 'tab',
      type: 'kafka-consume',
      cluster: 'kafka',
      topic,
      groupId: group,
      maxInFlight: '8',
      sessionTimeoutS: '10',
      wires: [['write']],
    },
    { id: 'write', z: 'tab', type: 'questdb-write', server: 'db', table, wires: [['consume'], []] },
    { id: 'failed', z: 'tab', type: 'catch', scope: ['write'], uncaught: false, wires: [['consume']] },
  ];
  const parts = teardown();
  try {
    // Started side by side, and stopped so; each one that started is stopped, also when another did not start.
    const starts = await Promise.allSettled(Array.from({ length: count }, () => startNodeRed()));
    const reds = starts.filter((start) => start.status === 'fulfilled').map((start) => start.value);
    parts.defer(() => Promise.all(reds.map((red) => red.stop())));
    const failed = starts.find((start) => start.status === 'rejected');
    if (failed) throw failed.reason;
    return await measureWorkers(count, reds, flow, cluster, questdb, table);
  } finally {
    await parts.close();
  }
}

async function measureWorkers(count, reds, flow, cluster, questdb, table) {
  const groups = {
    workers: reds.map((red) => red.process.pid),
    brokers: cluster.nodes.map((node) => node.process()?.pid),
    questdb: [questdb.process.pid],
  };
  const sample = () => ({
    machine: machineTicks(),
    ...Object.fromEntries(
      Object.entries(groups).map(([name, pids]) => [name, pids.reduce((sum, pid) => sum + cpuTicks(pid), 0)]),
    ),
  });
  const before = sample();
  const started = process.hrtime.bigint();
  await Promise.all(reds.map((red) => red.deploy(flow)));
  const count_ = await waitFor(
    `QuestDB to hold every point (${count} workers)`,
    async () => {
      const [row] = await questdb.rows(`SELECT count() n FROM ${table}`).catch(() => []);
      return row?.n >= POINTS ? row.n : undefined;
    },
    600_000,
    100,
  );
  const rate = perSecond(POINTS, started);
  const after = sample();
  // Shares of the machine's CPU time while the workers ran (100% = every core busy).
  const total = after.machine.total - before.machine.total;
  const share = (ticks) => Math.round((100 * ticks) / total);
  const usage = Object.fromEntries(
    Object.keys(groups).map((name) => [name, share(after[name] - before[name])]),
  );
  usage.other =
    share(after.machine.busy - before.machine.busy) - Object.values(usage).reduce((a, b) => a + b, 0);
  usage.idle = 100 - share(after.machine.busy - before.machine.busy);
  // What the workers achieve per second of CPU they got: the figure that carries over to a machine of one's own.
  usage.worker_points_per_cpu_s = Math.round(POINTS / ((after.workers - before.workers) / TICKS_PER_S));
  log(
    `${count} worker(s): ${rate} points/s into QuestDB (${count_} rows); CPU shares ${JSON.stringify(usage)}`,
  );
  return { rate, usage };
}

const parts = teardown();
try {
  const cluster = parts.add(await startKafkaCluster());
  const questdb = parts.add(await startQuestDb());
  const kafka = new Kafka({ clientId: 'bench', brokers: cluster.brokers, logLevel: logLevel.NOTHING });
  await cluster.createTopic('bench-produce', PARTITIONS);
  await cluster.createTopic('bench-e2e', PARTITIONS);
  log(`producing ${PRODUCE_POINTS} points`);
  const produced = await produce(kafka, 'bench-produce', PRODUCE_POINTS);
  log(`kafka_produce_points_per_s ${produced.rate}, ${produced.cpuUsPerPoint} us CPU per point`);
  const consumed = await consume(kafka, 'bench-produce', PRODUCE_POINTS);
  log(`kafka_consume_points_per_s ${consumed}`);
  // The workers' topic is filled first: they then race only each other, not the producer.
  await produce(kafka, 'bench-e2e', POINTS);
  const runs = {};
  for (const count of [1, 2, 4]) {
    runs[count] = await workers(count, cluster, questdb, 'bench-e2e');
    await sleep(2000);
  }
  const busiest = Object.entries(runs[4].usage)
    .filter(([name]) => !['idle', 'worker_points_per_cpu_s'].includes(name))
    .sort((a, b) => b[1] - a[1])[0];
  console.log(
    JSON.stringify({
      kafka_produce_points_per_s: produced.rate,
      kafka_produce_cpu_us_per_point: produced.cpuUsPerPoint,
      kafka_consume_points_per_s: consumed,
      workers_1_points_per_s: runs[1].rate,
      workers_2_points_per_s: runs[2].rate,
      workers_4_points_per_s: runs[4].rate,
      bottleneck: {
        cores: availableParallelism(),
        cpu_share_pct: { workers_1: runs[1].usage, workers_2: runs[2].usage, workers_4: runs[4].usage },
        verdict:
          runs[4].usage.idle < 10
            ? `CPU: with 4 workers the machine's cores were ${100 - runs[4].usage.idle}% busy, most of it ${busiest[0]} (${busiest[1]}%)`
            : `not CPU: ${runs[4].usage.idle}% idle with 4 workers`,
      },
      points: POINTS,
    }),
  );
} finally {
  await parts.close();
}

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssignerProtocol, Kafka, logLevel, type Admin } from 'kafkajs';
import { freePort, GiveUp, startProcess, waitFor, type ManagedProcess } from './process.js';
import { cacheDir, javaMajorVersion, runMaven } from './questdb.js';

/** Apache Kafka from Maven Central (KRaft, runs on Java 17); pinned so every run tests the same broker. */
export const KAFKA_VERSION = '4.1.1';
const LOG4J_VERSION = '2.24.3';

/** The broker's jars (kafka_2.13, kafka-tools, log4j): $PLANTWIRE_KAFKA_LIBS when set, else the cache. */
export function kafkaLibsPath(): string {
  return process.env.PLANTWIRE_KAFKA_LIBS ?? join(cacheDir(), `kafka-${KAFKA_VERSION}`, 'libs');
}

/** Fetches the broker's runtime jars from Maven Central with `mvn dependency:copy-dependencies` unless there. */
export function ensureKafkaLibs(log: (line: string) => void = () => {}): string {
  const libs = kafkaLibsPath();
  const complete = join(libs, '.complete');
  if (existsSync(complete)) return libs;
  if (process.env.PLANTWIRE_KAFKA_LIBS) {
    if (existsSync(libs) && readdirSync(libs).some((f) => f.startsWith('kafka_2.13-'))) return libs;
    throw new Error(`PLANTWIRE_KAFKA_LIBS points to ${libs}, which holds no kafka_2.13 jar`);
  }
  if (spawnSync('mvn', ['-v'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      `Maven (mvn) is needed once to fetch Apache Kafka ${KAFKA_VERSION} from Maven Central. Install Maven ` +
        '(Debian: apt-get install maven), or copy the runtime jars of org.apache.kafka:kafka_2.13 and ' +
        'kafka-tools into a folder and set PLANTWIRE_KAFKA_LIBS to it.',
    );
  }
  const project = mkdtempSync(join(tmpdir(), 'plantwire-kafka-pom-'));
  const dependency = (group: string, artifact: string, version: string) =>
    `<dependency><groupId>${group}</groupId><artifactId>${artifact}</artifactId><version>${version}</version></dependency>`;
  writeFileSync(
    join(project, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>plantwire</groupId><artifactId>kafka-libs</artifactId><version>1</version><dependencies>
  ${dependency('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION)}
  ${dependency('org.apache.kafka', 'kafka-tools', KAFKA_VERSION)}
  ${dependency('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION)}
</dependencies></project>\n`,
  );
  log(`fetching Apache Kafka ${KAFKA_VERSION} (org.apache.kafka:kafka_2.13) from Maven Central into ${libs}`);
  try {
    mkdirSync(libs, { recursive: true });
    runMaven(
      ['dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`],
      project,
    );
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  writeFileSync(complete, `${KAFKA_VERSION}\n`);
  return libs;
}

/** Two sets of `count` free ports (below the ephemeral range, never one twice: see freePort). */
async function listenerPorts(host: string, count: number): Promise<[number[], number[]]> {
  const ports: number[] = [];
  while (ports.length < 2 * count) ports.push(await freePort(host));
  return [ports.slice(0, count), ports.slice(count)];
}

/** A Kafka Uuid as its tools print them: 16 random bytes, base64url without padding, never starting with '-'. */
function kafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface KafkaNode {
  /** node.id, 1-based */
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  /** The running process; undefined while the node is killed. */
  process(): ManagedProcess | undefined;
}

export interface KafkaCluster {
  /** host:port of every broker, for a client's bootstrap list */
  readonly brokers: string[];
  readonly nodes: KafkaNode[];
  /** A topic with replication factor 3 and min.insync.replicas 2; resolves once every partition has a leader. */
  createTopic(name: string, partitions?: number): Promise<void>;
  /** The node id leading `partition` of `topic` now. */
  leaderOf(topic: string, partition?: number): Promise<number>;
  /** SIGKILL, as a crash would; resolves once the process (and its ports) is gone. */
  kill(nodeId: number): Promise<void>;
  /** Starts a killed node again on its own log dir and ports. */
  restart(nodeId: number): Promise<void>;
  /** Waits until every partition of `topic` has all 3 replicas in sync. */
  waitForFullIsr(topic: string, timeoutMs?: number): Promise<void>;
  /** The committed offset of `group` per partition of `topic` (-1 when none). */
  committedOffsets(group: string, topic: string): Promise<Map<number, number>>;
  /** The log end offset per partition of `topic`. */
  endOffsets(topic: string): Promise<Map<number, number>>;
  /** The group's state and each member's client id, host and assigned partitions of `topic`, for error messages. */
  describeGroup(group: string, topic: string): Promise<string>;
  stop(): Promise<void>;
}

export interface KafkaClusterOptions {
  /** Max heap per node (default 512m: the cluster then takes about 1.9 GB). */
  heap?: string;
  /** The brokers' client ports and controller ports (3 each); free ones below 32768 when omitted. */
  ports?: { brokers: number[]; controllers: number[] };
  startTimeoutMs?: number;
}

/**
 * Three combined broker+controller nodes of Apache Kafka (KRaft) on loopback, each its own process with its own
 * log dir, internal topics with replication factor 3. Resolves once all three brokers are in the metadata.
 */
export async function startKafkaCluster(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const libs = ensureKafkaLibs();
  javaMajorVersion();
  const host = '127.0.0.1';
  const root = mkdtempSync(join(tmpdir(), 'plantwire-kafka-'));
  const ids = [1, 2, 3];
  const [ports, controllerPorts] = options.ports
    ? [options.ports.brokers, options.ports.controllers]
    : await listenerPorts(host, ids.length);
  const clusterId = kafkaUuid();
  const dirIds = ids.map(() => kafkaUuid());
  const classpath = `${libs}/*`;
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const heap = options.heap ?? '512m';
  const configOf = (id: number) => join(root, `node-${id}.properties`);

  for (const id of ids) {
    const i = id - 1;
    writeFileSync(
      configOf(id),
      [
        'process.roles=broker,controller',
        `node.id=${id}`,
        `controller.quorum.bootstrap.servers=${controllerPorts.map((p) => `${host}:${p}`).join(',')}`,
        `listeners=PLAINTEXT://${host}:${ports[i]},CONTROLLER://${host}:${controllerPorts[i]}`,
        `advertised.listeners=PLAINTEXT://${host}:${ports[i]},CONTROLLER://${host}:${controllerPorts[i]}`,
        'controller.listener.names=CONTROLLER',
        'inter.broker.listener.name=PLAINTEXT',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        `log.dirs=${join(root, `data-${id}`)}`,
        'num.partitions=6',
        'default.replication.factor=3',
        'min.insync.replicas=2',
        'offsets.topic.replication.factor=3',
        'offsets.topic.num.partitions=6',
        'transaction.state.log.replication.factor=3',
        'transaction.state.log.min.isr=2',
        'share.coordinator.state.topic.replication.factor=3',
        'share.coordinator.state.topic.min.isr=2',
        'group.initial.rebalance.delay.ms=0',
        // A killed node is fenced (its partitions get new leaders) after 6 s rather than 9 s: shorter chaos tests.
        'broker.session.timeout.ms=6000',
        'broker.heartbeat.interval.ms=1000',
        'auto.create.topics.enable=false',
        '',
      ].join('\n'),
    );
  }
  const initialControllers = ids
    .map((id) => `${id}@${host}:${controllerPorts[id - 1]}:${dirIds[id - 1]}`)
    .join(',');
  // Formatting is three short JVM runs: in parallel, as they share nothing.
  await Promise.all(
    ids.map(
      (id) =>
        new Promise<void>((resolve, reject) => {
          const args = ['-Xmx256m', '-cp', classpath, 'kafka.tools.StorageTool', 'format'];
          args.push('--cluster-id', clusterId, '--config', configOf(id));
          args.push('--initial-controllers', initialControllers);
          const format = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
          let output = '';
          format.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
          format.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
          format.once('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`formatting Kafka node ${id} failed:\n${output}`)),
          );
        }),
    ),
  );

  const running = new Map<number, ManagedProcess>();
  const launch = (id: number) =>
    running.set(
      id,
      startProcess(java, [`-Xmx${heap}`, `-Xms${heap}`, '-cp', classpath, 'kafka.Kafka', configOf(id)], {
        env: { ...process.env, KAFKA_LOG4J_OPTS: '' },
      }),
    );
  ids.forEach(launch);

  const brokers = ports.map((port) => `${host}:${port}`);
  // Few, quick retries: waitFor polls, and a broker being killed must not stall a call for kafkajs's 30 s.
  const kafka = new Kafka({
    clientId: 'plantwire-testkit',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  let admin: Admin | undefined;
  const withAdmin = async <T>(use: (admin: Admin) => Promise<T>): Promise<T> => {
    if (!admin) {
      const fresh = kafka.admin();
      await fresh.connect();
      admin = fresh;
    }
    try {
      return await use(admin);
    } catch (error) {
      // A connection to a killed broker can stay broken: the next call starts afresh.
      await admin.disconnect().catch(() => {});
      admin = undefined;
      throw error;
    }
  };
  const exited = () => {
    for (const [id, child] of running) {
      const exit = child.exitStatus();
      if (exit !== undefined)
        throw new GiveUp(`Kafka node ${id} exited (${exit}):\n${child.output().slice(-3000)}`);
    }
  };

  const stop = async () => {
    await admin?.disconnect().catch(() => {});
    await Promise.all([...running.values()].map((child) => child.stop('SIGTERM', 10_000)));
    running.clear();
    rmSync(root, { recursive: true, force: true });
  };

  try {
    await waitFor(
      'all 3 Kafka brokers to register',
      async () => {
        exited();
        const cluster = await withAdmin((a) => a.describeCluster());
        return cluster.brokers.length === 3 ? true : undefined;
      },
      options.startTimeoutMs ?? 90_000,
      250,
    );
  } catch (error) {
    await stop();
    throw error;
  }

  const partitionsOf = async (topic: string) => {
    const { topics } = await withAdmin((a) => a.fetchTopicMetadata({ topics: [topic] }));
    return topics[0]!.partitions;
  };

  return {
    brokers,
    nodes: ids.map((id) => ({
      id,
      port: ports[id - 1]!,
      controllerPort: controllerPorts[id - 1]!,
      process: () => running.get(id),
    })),
    async createTopic(name, partitions = 6) {
      await waitFor(
        `topic ${name} to be created`,
        () =>
          withAdmin((a) =>
            a.createTopics({
              waitForLeaders: true,
              topics: [
                {
                  topic: name,
                  numPartitions: partitions,
                  replicationFactor: 3,
                  configEntries: [{ name: 'min.insync.replicas', value: '2' }],
                },
              ],
            }),
          ).then(() => true),
        60_000,
        500,
      );
      await waitFor(
        `every partition of ${name} to have a leader`,
        async () => {
          const found = await partitionsOf(name);
          return found.length === partitions && found.every((p) => p.leader >= 0) ? true : undefined;
        },
        60_000,
        200,
      );
    },
    async leaderOf(topic, partition = 0) {
      return waitFor(
        `a leader for ${topic}-${partition}`,
        async () => {
          const leader = (await partitionsOf(topic)).find((p) => p.partitionId === partition)?.leader;
          return leader !== undefined && leader >= 0 && running.has(leader) ? leader : undefined;
        },
        60_000,
        200,
      );
    },
    async kill(nodeId) {
      const child = running.get(nodeId);
      if (!child) throw new Error(`Kafka node ${nodeId} is not running`);
      running.delete(nodeId);
      await child.stop('SIGKILL');
    },
    async restart(nodeId) {
      if (running.has(nodeId)) throw new Error(`Kafka node ${nodeId} is running`);
      launch(nodeId);
    },
    async waitForFullIsr(topic, timeoutMs = 90_000) {
      await waitFor(
        `every partition of ${topic} to have 3 replicas in sync`,
        async () => {
          exited();
          const found = await partitionsOf(topic);
          return found.every((p) => p.isr.length === 3) ? true : undefined;
        },
        timeoutMs,
        250,
      );
    },
    async committedOffsets(group, topic) {
      const [found] = await withAdmin((a) => a.fetchOffsets({ groupId: group, topics: [topic] }));
      return new Map(found!.partitions.map((p) => [p.partition, Number(p.offset)]));
    },
    async endOffsets(topic) {
      const found = await withAdmin((a) => a.fetchTopicOffsets(topic));
      return new Map(found.map((p) => [p.partition, Number(p.high)]));
    },
    async describeGroup(group, topic) {
      const { groups } = await withAdmin((a) => a.describeGroups([group]));
      const found = groups[0];
      if (!found) return `group ${group}: not found`;
      const members = found.members.map((member) => {
        const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        const partitions = assignment?.assignment[topic] ?? [];
        return `${member.clientId}@${member.clientHost}: [${partitions.join(',')}]`;
      });
      return `group ${group}: ${found.state}, members ${members.length > 0 ? members.join('; ') : 'none'}`;
    },
    stop,
  };
}

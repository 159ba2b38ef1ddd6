import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, GiveUp, startProcess, waitFor, type ManagedProcess } from './process.js';

/**
 * The newest QuestDB on Maven Central that runs on Java 17 (9.3.3 was never published there; 9.4+ needs Java 25).
 * test/questdb.test.ts proves it starts here.
 */
export const QUESTDB_VERSION = '9.3.4';

/** Where downloads live, outside git: $PLANTWIRE_CACHE or ~/.cache/plantwire. */
export function cacheDir(): string {
  return process.env.PLANTWIRE_CACHE ?? join(homedir(), '.cache', 'plantwire');
}

/** The jar: $PLANTWIRE_QUESTDB_JAR when set (a pre-fetched jar), else the cache. */
export function questDbJarPath(): string {
  return process.env.PLANTWIRE_QUESTDB_JAR ?? join(cacheDir(), 'questdb', `questdb-${QUESTDB_VERSION}.jar`);
}

/**
 * Runs `mvn -q -B <args>` in `cwd`. What Maven prints goes to stderr: a benchmark's stdout is its one JSON line,
 * and `-q` still prints colour codes.
 */
export function runMaven(args: string[], cwd: string): void {
  execFileSync('mvn', ['-q', '-B', ...args], { stdio: ['ignore', 2, 2], cwd });
}

/** Fetches org.questdb:questdb from Maven Central with `mvn dependency:copy` unless the jar is already there. */
export function ensureQuestDbJar(log: (line: string) => void = () => {}): string {
  const jar = questDbJarPath();
  if (existsSync(jar)) return jar;
  if (process.env.PLANTWIRE_QUESTDB_JAR) {
    throw new Error(`PLANTWIRE_QUESTDB_JAR points to ${jar}, which does not exist`);
  }
  if (spawnSync('mvn', ['-v'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      `Maven (mvn) is needed once to fetch the QuestDB ${QUESTDB_VERSION} jar from Maven Central. Install Maven ` +
        `(Debian: apt-get install maven), or download org.questdb:questdb:${QUESTDB_VERSION} yourself and set ` +
        'PLANTWIRE_QUESTDB_JAR to its path.',
    );
  }
  const dir = join(cacheDir(), 'questdb');
  mkdirSync(dir, { recursive: true });
  log(`fetching org.questdb:questdb:${QUESTDB_VERSION} from Maven Central into ${dir}`);
  runMaven(
    ['dependency:copy', `-Dartifact=org.questdb:questdb:${QUESTDB_VERSION}`, `-DoutputDirectory=${dir}`],
    dir,
  );
  if (!existsSync(jar)) throw new Error(`mvn finished but ${jar} is not there`);
  return jar;
}

/** The major version of `java` on the PATH (or $JAVA_HOME/bin/java), or a clear error when there is none. */
export function javaMajorVersion(java = javaBinary()): number {
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'Java 17 or newer is needed to run QuestDB: install a JDK (Debian: apt-get install openjdk-17-jre-headless)',
    );
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(probe.stderr);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : NaN;
  if (!(major >= 17))
    throw new Error(
      `QuestDB ${QUESTDB_VERSION} needs Java 17 or newer; ${java} is ${probe.stderr.split('\n')[0]}`,
    );
  return major;
}

function javaBinary(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

export interface QueryResult {
  columns: { name: string; type: string }[];
  dataset: unknown[][];
  count: number;
}

export interface QuestDb {
  readonly host: string;
  readonly httpPort: number;
  readonly pgPort: number;
  readonly ilpPort: number;
  /** http://127.0.0.1:<httpPort> */
  readonly httpUrl: string;
  readonly root: string;
  readonly process: ManagedProcess;
  /** Runs SQL through /exec; throws with QuestDB's own error text on failure. */
  exec(sql: string): Promise<QueryResult>;
  /** Rows as objects keyed by column name. */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Waits until every WAL transaction of `table` is applied (writerTxn = sequencerTxn), failing if it is suspended. */
  waitForWal(table: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process (and so its ports) is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
}

export interface QuestDbOptions {
  /** Data directory; a new temporary one (removed on stop) when omitted. */
  root?: string;
  host?: string;
  httpPort?: number;
  pgPort?: number;
  ilpPort?: number;
  startTimeoutMs?: number;
  /** Extra QDB_* settings, for example { QDB_HTTP_USER: 'admin' }. */
  env?: Record<string, string>;
  /** Max heap, for example '512m' (default 1g: two of them fit beside Node-RED on a 2-core test machine). */
  heap?: string;
}

/** Starts a real QuestDB on loopback with its own root and telemetry off; resolves once `SELECT 1` answers. */
export async function startQuestDb(options: QuestDbOptions = {}): Promise<QuestDb> {
  const jar = ensureQuestDbJar();
  javaMajorVersion();
  const host = options.host ?? '127.0.0.1';
  const ownRoot = options.root === undefined;
  const root = options.root ?? mkdtempSync(join(tmpdir(), 'plantwire-questdb-'));
  mkdirSync(root, { recursive: true });
  const httpPort = options.httpPort ?? (await freePort(host));
  const pgPort = options.pgPort ?? (await freePort(host));
  const ilpPort = options.ilpPort ?? (await freePort(host));
  const minPort = await freePort(host);
  const env = {
    ...process.env,
    QDB_HTTP_BIND_TO: `${host}:${httpPort}`,
    QDB_PG_NET_BIND_TO: `${host}:${pgPort}`,
    QDB_LINE_TCP_NET_BIND_TO: `${host}:${ilpPort}`,
    QDB_HTTP_MIN_NET_BIND_TO: `${host}:${minPort}`,
    QDB_LINE_UDP_ENABLED: 'false',
    QDB_TELEMETRY_ENABLED: 'false',
    QDB_HTTP_FRONTEND_ENABLED: 'true',
    ...options.env,
  };
  const child = startProcess(
    javaBinary(),
    [
      `-Xmx${options.heap ?? '1g'}`,
      '--add-exports',
      'java.base/jdk.internal.math=io.questdb',
      '-p',
      jar,
      '-m',
      'io.questdb/io.questdb.ServerMain',
      '-d',
      root,
    ],
    { env },
  );
  const httpUrl = `http://${host}:${httpPort}`;

  // A server started with QDB_HTTP_USER / QDB_HTTP_PASSWORD wants them on every request.
  const user = options.env?.QDB_HTTP_USER;
  const headers: Record<string, string> = user
    ? {
        Authorization: `Basic ${Buffer.from(`${user}:${options.env?.QDB_HTTP_PASSWORD ?? ''}`).toString('base64')}`,
      }
    : {};

  async function exec(sql: string): Promise<QueryResult> {
    const response = await fetch(`${httpUrl}/exec?query=${encodeURIComponent(sql)}`, { headers });
    const body = (await response.json()) as QueryResult & { error?: string };
    if (!response.ok || body.error) throw new Error(`QuestDB: ${body.error ?? response.statusText} (${sql})`);
    return body;
  }

  async function rows<T>(sql: string): Promise<T[]> {
    const { columns, dataset } = await exec(sql);
    return dataset.map((row) => Object.fromEntries(columns.map((c, i) => [c.name, row[i]])) as T);
  }

  let removed = false;
  const cleanUp = () => {
    if (ownRoot && !removed) {
      removed = true;
      rmSync(root, { recursive: true, force: true });
    }
  };

  try {
    await waitFor(
      `QuestDB to answer on ${httpUrl}`,
      async () => {
        const exit = child.exitStatus();
        if (exit !== undefined) throw new GiveUp(`QuestDB exited (${exit}):\n${child.output().slice(-3000)}`);
        const { dataset } = await exec('SELECT 1');
        return dataset[0]?.[0] === 1 ? true : undefined;
      },
      options.startTimeoutMs ?? 60_000,
      200,
    );
  } catch (error) {
    await child.stop('SIGKILL');
    cleanUp();
    throw error;
  }

  return {
    host,
    httpPort,
    pgPort,
    ilpPort,
    httpUrl,
    root,
    process: child,
    exec,
    rows,
    async waitForWal(table, timeoutMs = 30_000) {
      const status = await waitFor(
        `WAL of ${table} to be applied`,
        async () => {
          const [wal] = await rows<{ writerTxn: number; sequencerTxn: number; suspended: boolean }>(
            `SELECT writerTxn, sequencerTxn, suspended FROM wal_tables() WHERE name = '${table.replaceAll("'", "''")}'`,
          );
          if (!wal) throw new Error(`${table} is not a WAL table (yet)`);
          return wal.suspended || wal.writerTxn === wal.sequencerTxn ? wal : undefined;
        },
        timeoutMs,
        50,
      );
      // A suspended table never catches up: say so now rather than at a deadline.
      if (status.suspended)
        throw new Error(`WAL table ${table} is suspended: QuestDB stopped applying its transactions`);
    },
    async stop(graceMs = 15_000) {
      await child.stop('SIGTERM', graceMs);
      cleanUp();
    },
    async kill() {
      await child.stop('SIGKILL');
    },
  };
}

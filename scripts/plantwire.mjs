#!/usr/bin/env node
// The one entry point behind `npm start`, `npm test` and `npm run setup`. Dependency-free on purpose: it runs
// right after `git clone`, before anything is installed, and installs, builds and fetches what is missing.
//   setup   npm dependencies (native builds included), the build, the QuestDB jar
//   test    setup, Debian's mosquitto and chromium, the Kafka jars, then every test (vitest); extra arguments go
//           to vitest
//   start   setup, then the demo: QuestDB, an MQTT broker and Node-RED on http://localhost:1880
//   chaos   Debian's mosquitto, setup, then scripts/chaos.mjs; extra arguments go to it
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const stamps = join(root, 'node_modules', '.plantwire');
// Setup talks on stderr, its tools' output too: stdout is the command's own (a bench's one JSON line).
const say = (line) => console.error(`[plantwire] ${line}`);

function fail(message) {
  console.error(`\n[plantwire] ${message}\n`);
  process.exit(1);
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: ['inherit', 2, 'inherit'], ...options });
  if (result.error) fail(`${command} could not run: ${result.error.message}`);
  return result.status ?? 1;
}

function has(command, args = ['--version']) {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return !result.error && result.status === 0;
}

function checkNode() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20)
    fail(`Plantwire needs Node.js 20 or newer; this is ${process.version}. Install Node 20 LTS or 22.`);
}

/** Native modules (better-sqlite3) compile here: point node-gyp at Node's own headers when the system has them. */
function nativeBuildEnv() {
  const env = { ...process.env };
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  return env;
}

function stamp(name) {
  const file = join(stamps, name);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

function writeStamp(name, value) {
  mkdirSync(stamps, { recursive: true });
  writeFileSync(join(stamps, name), value);
}

function hashFiles(paths) {
  const hash = createHash('sha256');
  for (const path of paths) hash.update(relative(root, path)).update(readFileSync(path));
  return hash.digest('hex');
}

function walk(dir, keep) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory())
        return entry.name === 'node_modules' || entry.name === 'dist' ? [] : walk(path, keep);
      return keep(path) ? [path] : [];
    });
}

function installDependencies() {
  const manifests = () =>
    hashFiles([
      join(root, 'package-lock.json'),
      join(root, 'package.json'),
      ...walk(join(root, 'packages'), (p) => p.endsWith('/package.json')),
    ]);
  if (stamp('install') === manifests() && existsSync(join(root, 'node_modules'))) return;
  say('installing npm dependencies (native modules compile from source, which can take a few minutes)');
  // `npm install`, not `npm ci`: the lockfile pins every version, but a registry that carries only this
  // platform's optional packages (rollup, esbuild) makes `npm ci` refuse the lockfile as out of sync.
  if (run('npm', ['install', '--no-audit', '--no-fund'], { env: nativeBuildEnv() }) !== 0) {
    fail(
      'npm install failed (see above). Check the npm registry is reachable; native builds need a C++ compiler and python3.',
    );
  }
  writeStamp('install', manifests());
}

function buildPackages() {
  const sources = walk(join(root, 'packages'), (p) => !p.includes('/test/') && !p.includes('/examples/'));
  const wanted = hashFiles([...sources, join(root, 'scripts', 'build-node-package.mjs')]);
  // node-shell has no build of its own: it is bundled into each node package.
  const built = readdirSync(join(root, 'packages'))
    .filter(
      (pkg) => JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')).scripts?.build,
    )
    .every((pkg) => existsSync(join(root, 'packages', pkg, 'dist')));
  if (stamp('build') === wanted && built) return;
  say('building the packages');
  if (run('npm', ['run', 'build', '--silent']) !== 0) fail('the build failed (see above)');
  writeStamp('build', wanted);
}

function fetchQuestDb() {
  if (!has(process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java', ['-version'])) {
    fail(
      'Java 17 or newer is needed to run QuestDB. Install a JDK (Debian: apt-get install openjdk-17-jre-headless) and run this again.',
    );
  }
  if (
    run(process.execPath, [join(root, 'packages', 'testkit', 'dist', 'cli.js'), 'fetch-questdb'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    }) !== 0
  ) {
    fail('the QuestDB jar could not be fetched (see above)');
  }
}

function fetchKafka() {
  if (
    run(process.execPath, [join(root, 'packages', 'testkit', 'dist', 'cli.js'), 'fetch-kafka'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    }) !== 0
  ) {
    fail('the Apache Kafka jars could not be fetched (see above)');
  }
}

/** Debian packages the tests need; installed when this is a root shell with apt, as on CI and fresh dev machines. */
function ensureDebianPackages(packages) {
  const missing = packages.filter(([, binary]) => !existsSync(binary)).map(([name]) => name);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get', ['--version'])) {
    fail(
      `the tests need ${missing.join(', ')}: install with  sudo apt-get install -y ${missing.join(' ')}  and run this again.`,
    );
  }
  say(`installing ${missing.join(', ')} from Debian`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  if (run('apt-get', ['install', '-y', '-qq', ...missing], { env }) !== 0)
    fail(`apt-get install ${missing.join(' ')} failed`);
}

function setup() {
  checkNode();
  installDependencies();
  buildPackages();
  fetchQuestDb();
}

/** Runs vitest and ends with the plain "N passed, N failed" line. */
function test(args) {
  ensureDebianPackages([
    ['mosquitto', '/usr/sbin/mosquitto'],
    ['chromium', '/usr/bin/chromium'],
  ]);
  setup();
  // The Kafka test cluster's jars: the tests need them, the demo does not.
  fetchKafka();
  const report = join(stamps, 'vitest-report.json');
  rmSync(report, { force: true });
  const status = run(
    process.execPath,
    [
      join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...args,
    ],
    { stdio: 'inherit' },
  );
  if (existsSync(report)) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = JSON.parse(
      readFileSync(report, 'utf8'),
    );
    console.log(
      `\ntests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`,
    );
  }
  process.exit(status);
}

const [command = 'setup', ...rest] = process.argv.slice(2);
if (command === 'setup') setup();
else if (command === 'test') test(rest);
else if (command === 'start') {
  setup();
  await import('./demo.mjs');
} else if (command === 'chaos') {
  ensureDebianPackages([['mosquitto', '/usr/sbin/mosquitto']]);
  setup();
  process.argv.splice(2, 1); // chaos.mjs reads its own options from the arguments after this command
  await import('./chaos.mjs');
} else fail(`unknown command ${command}: use setup, test, start or chaos`);

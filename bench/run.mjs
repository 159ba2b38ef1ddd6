// npm run bench: every benchmark of the repository in one run, on this machine. Runs each `bench:<name>` script
// of the root package.json (its bench/<name>.mjs) BENCH_REPEATS times (default 3; the long end-to-end ones once),
// then writes bench/results/<date>.json and regenerates docs/performance.md with its plots (docs/images/perf-*.svg).
// Prints one JSON line: every figure's median, and bench_total_s.
// When a run of a benchmark failed, or two benchmarks emitted a figure of the same name, the run is incomplete:
// its results go to bench/results/<date>-incomplete.json, docs/performance.md (and the plots and <date>.json it
// cites) stay those of the last complete run, what went wrong is said on stderr, and the exit code is 1.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { QUESTDB_VERSION, startProcess, teardown } from '@plantwire/testkit';
import { GOALS, check } from './lib/goals.mjs';
import { renderPerformance } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** Minutes each, and their own repeated windows or phases: once per run. */
const ONCE = new Set(['buffer', 'pipeline', 'kafka', 'reports']);
const log = (line) => process.stderr.write(`[bench] ${line}\n`);
const started = Date.now();

const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
const names = Object.keys(scripts)
  .filter((script) => script.startsWith('bench:'))
  .map((script) => script.slice('bench:'.length));

/**
 * One run of bench/<name>.mjs, its stderr passed on as it comes: its exit status and stdout. Stopped by a signal,
 * this script stops the benchmark (which stops its own parts) before it exits.
 */
async function runBench(name) {
  const parts = teardown();
  try {
    const bench = startProcess(process.execPath, [join(root, 'bench', `${name}.mjs`)], { cwd: root });
    parts.add({ stop: () => bench.stop('SIGTERM', 120_000) });
    let stdout = '';
    bench.child.stdout.on('data', (chunk) => (stdout += chunk));
    bench.child.stderr.pipe(process.stderr);
    return { status: await bench.exited, stdout };
  } finally {
    await parts.close();
  }
}

const runs = {};
for (const name of names) {
  const repeats = ONCE.has(name) ? 1 : REPEATS;
  runs[name] = [];
  for (let i = 1; i <= repeats; i++) {
    log(`${name} ${i}/${repeats}`);
    const t0 = Date.now();
    // What else ran: the 1-minute load average as the benchmark started (2 cores: above 2 means others waited).
    const load = Math.round(loadavg()[0] * 10) / 10;
    const child = await runBench(name);
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    let figures;
    try {
      figures = JSON.parse(line);
    } catch {
      // Left undefined: no JSON line.
    }
    const error =
      child.status !== 0
        ? `exit ${child.status}`
        : typeof figures !== 'object' || figures === null
          ? 'no JSON line on stdout'
          : undefined;
    if (error) {
      log(`${name} failed (${error}); its figures are left out`);
      runs[name].push({ error });
      continue;
    }
    runs[name].push({ ...figures, seconds: Math.round((Date.now() - t0) / 1000), load });
  }
}

/**
 * Every numeric figure over the runs of its benchmark: median, min, max. A figure's name is the benchmark's own:
 * when two benchmarks emit the same name (a number, or null for one not measured), one would silently replace the
 * other in the results and on the page, so the run is refused as incomplete (see clashes).
 */
const figures = {};
/** Which benchmark emitted each figure name first. */
const owners = new Map();
const clashes = [];
for (const [bench, results] of Object.entries(runs)) {
  const ok = results.filter((result) => !result.error);
  const keys = new Set(ok.flatMap((result) => Object.keys(result)));
  for (const key of keys) {
    if (key === 'seconds' || key === 'load') continue;
    const emitted = ok.map((result) => result[key]);
    if (!emitted.some((value) => typeof value === 'number' || value === null)) continue;
    if (owners.has(key)) {
      clashes.push(`${key} (from ${owners.get(key)} and ${bench})`);
      continue;
    }
    owners.set(key, bench);
    const values = emitted.filter((value) => typeof value === 'number');
    if (values.length === 0) continue;
    values.sort((a, b) => a - b);
    figures[key] = {
      bench,
      median: values[Math.floor((values.length - 1) / 2)],
      min: values[0],
      max: values.at(-1),
      runs: values.length,
    };
  }
}
figures.bench_total_s = {
  bench: 'run',
  median: Math.round((Date.now() - started) / 1000),
  min: null,
  max: null,
  runs: 1,
};

const cpu = cpus();
const result = {
  date: new Date().toISOString(),
  machine: {
    cores: cpu.length,
    cpu: cpu[0]?.model ?? 'unknown',
    memory_gb: Math.round(totalmem() / 2 ** 30),
  },
  versions: {
    node: process.version,
    'node-red': require('node-red/package.json').version,
    questdb: QUESTDB_VERSION,
  },
  // What was special about this run (BENCH_NOTE), said on the page next to its figures.
  note: process.env.BENCH_NOTE ?? null,
  goals: GOALS.map((goal) => check(goal, figures)),
  figures,
  runs,
};

/** Benchmarks with a failed run, each with its runs' errors; then figure names two benchmarks emitted. */
const failed = Object.entries(runs)
  .filter(([, results]) => results.some((run) => run.error))
  .map(([name, results]) => `${name} (${results.map((run) => run.error ?? 'ok').join(', ')})`);
if (clashes.length > 0) failed.push(`figure names emitted by two benchmarks: ${clashes.join(', ')}`);
if (failed.length > 0) result.failed = failed;

const day = result.date.slice(0, 10);
// An incomplete run must not replace the page's table (figures missing from it would just vanish), nor the
// results file of a complete run of the same day, which the page cites.
const resultsFile = `bench/results/${day}${failed.length > 0 ? '-incomplete' : ''}.json`;
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, resultsFile), `${JSON.stringify(result, null, 2)}\n`);
if (failed.length === 0) renderPerformance(result, root);
// The generated files are part of the repository: formatted as the rest of it is.
spawnSync(
  process.execPath,
  [
    require.resolve('prettier/bin/prettier.cjs'),
    '--write',
    ...(failed.length === 0 ? ['docs/performance.md'] : []),
    resultsFile,
  ],
  { cwd: root, stdio: 'ignore' },
);
if (failed.length === 0) log(`wrote ${resultsFile} and docs/performance.md`);
else
  log(
    `FAILED: ${failed.join('; ')}. Wrote ${resultsFile}; docs/performance.md still shows the last complete run.`,
  );
console.log(
  JSON.stringify(Object.fromEntries(Object.entries(figures).map(([key, figure]) => [key, figure.median]))),
);
process.exitCode = failed.length > 0 ? 1 : 0;

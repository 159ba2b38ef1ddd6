// npm run profile:ingest: where the cloud /ingest path spends its time. Runs the ingest benchmark with the
// Node-RED process under `node --cpu-prof`, then prints one JSON line: points per second and the functions (and
// packages) with the most self time, as shares of the samples.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startQuestDb, teardown } from '@plantwire/testkit';
import { ingestPointsPerSecond } from './lib/ingest.mjs';

const POINTS = Number(process.env.BENCH_ROWS ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'plantwire-profile-'));
// Removed at the end, or when the run is stopped (Ctrl-C, SIGTERM).
const parts = teardown();
parts.defer(() => rmSync(dir, { recursive: true, force: true }));

/** The samples from the first one inside `marker` (a function of the request path) on: start-up left out. */
function steadySamples(profile, marker) {
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const names = new Map(profile.nodes.map((node) => [node.id, node.callFrame.functionName]));
  const inside = (id) => {
    for (let at = id; at !== undefined; at = parent.get(at)) if (names.get(at) === marker) return true;
    return false;
  };
  const first = profile.samples.findIndex(inside);
  return profile.samples.slice(Math.max(first, 0));
}

/** Self time per function and per package (node_modules/<name>, or the file's package in this repo). */
function summarise(profile, top = 15) {
  const self = new Map();
  const byPackage = new Map();
  const ids = new Map(profile.nodes.map((node) => [node.id, node]));
  const counts = new Map();
  const samples = steadySamples(profile, 'admit');
  for (const id of samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const total = samples.length;
  for (const [id, count] of counts) {
    const { functionName, url, lineNumber } = ids.get(id).callFrame;
    const where = url.replace(/^file:\/\//, '');
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1] ??
      /packages\/([^/]+)\//.exec(where)?.[1] ??
      (where === '' ? '(native, gc, idle)' : where.startsWith('node:') ? 'node' : where);
    const name = `${functionName || '(anonymous)'} ${where.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + count);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + count);
  }
  const shares = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, count]) => ({ name, share: Math.round((count / total) * 1000) / 1000 }));
  return { samples: total, functions: shares(self), packages: shares(byPackage) };
}

try {
  const questdb = parts.add(await startQuestDb());
  const points_per_s = await ingestPointsPerSecond(questdb, {
    points: POINTS,
    firstTs: Date.UTC(2026, 0, 6),
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error('Node-RED wrote no profile');
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  console.log(JSON.stringify({ ingest_http_points_per_s: points_per_s, ...summarise(profile) }));
} finally {
  await parts.close();
}
process.exit(0);

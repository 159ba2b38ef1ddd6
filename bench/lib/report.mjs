// docs/performance.md and its plots, from one `npm run bench` result (bench/run.mjs). Everything in the page is
// generated: edit this file, not the page.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const number = (value) =>
  value === null || value === undefined
    ? '-'
    : Math.abs(value) >= 100
      ? Math.round(value).toLocaleString('en-US')
      : String(Math.round(value * 100) / 100);
const range = (figure) =>
  figure.runs > 1
    ? `${number(figure.median)} (${number(figure.min)}-${number(figure.max)})`
    : number(figure.median);
const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * Bars of measured / goal on a log scale (1 = the goal): lower-is-better goals are inverted so that right of
 * the line is always good. Whiskers span the runs' min and max.
 */
function goalsSvg(goals) {
  const rows = goals.filter((goal) => goal.measured && (goal.at_least ?? goal.at_most));
  const width = 760;
  const left = 250;
  const plot = width - left - 30;
  const rowHeight = 26;
  const height = 50 + rows.length * rowHeight;
  const [lo, hi] = [0.1, 10];
  const x = (ratio) =>
    left +
    ((Math.log10(Math.min(hi, Math.max(lo, ratio))) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) *
      plot;
  const score = (goal, value) => (goal.at_least !== undefined ? value / goal.at_least : goal.at_most / value);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-weight="bold">measured / goal (log scale; right of the line meets the goal)</text>`,
  ];
  for (const tick of [0.1, 0.3, 1, 3, 10])
    parts.push(
      `<line x1="${x(tick)}" x2="${x(tick)}" y1="28" y2="${height - 10}" stroke="${tick === 1 ? '#333' : '#ddd'}"/>`,
      `<text x="${x(tick)}" y="${height - 1}" text-anchor="middle" fill="#666">${tick}</text>`,
    );
  rows.forEach((goal, i) => {
    const y = 34 + i * rowHeight;
    const { median, min, max } = goal.measured;
    const value = score(goal, median);
    const color = goal.met ? '#2e7d32' : '#c62828';
    parts.push(
      `<text x="${left - 8}" y="${y + 13}" text-anchor="end">${escape(goal.figure)}</text>`,
      `<rect x="${x(lo)}" y="${y + 3}" width="${Math.max(1, x(value) - x(lo))}" height="14" fill="${color}" opacity="0.75"/>`,
    );
    if (goal.measured.runs > 1) {
      const [a, b] = [score(goal, min), score(goal, max)].sort((p, q) => p - q);
      parts.push(`<line x1="${x(a)}" x2="${x(b)}" y1="${y + 10}" y2="${y + 10}" stroke="#000"/>`);
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Two bars, ours and the peer's, on a log scale. */
function peerSvg(ours, peer) {
  const width = 760;
  const left = 250;
  const plot = width - left - 120;
  const max = Math.log10(Math.max(ours, peer, 10) * 2);
  const x = (value) => (Math.log10(Math.max(1, value)) / max) * plot;
  const bar = (y, label, value, color) =>
    `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${escape(label)}</text>` +
    `<rect x="${left}" y="${y}" width="${Math.max(1, x(value))}" height="20" fill="${color}"/>` +
    `<text x="${left + x(value) + 6}" y="${y + 14}">${number(value)} points/s</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="100" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="18" font-weight="bold">edge to QuestDB, sustained (log scale)</text>`,
    bar(30, 'Plantwire (e2e_points_per_s)', ours, '#1565c0'),
    bar(62, 'stock nodes (peer_e2e_points_per_s)', peer, '#9e9e9e'),
    '</svg>',
  ].join('\n');
}

function profileSection(root) {
  const file = join(root, 'bench', 'results', 'ingest-profile.json');
  if (!existsSync(file)) return [];
  const { before, after } = JSON.parse(readFileSync(file, 'utf8'));
  const table = (profile) => [
    `${number(profile.ingest_http_points_per_s)} points/s; share of the Node-RED process's samples while serving:`,
    '',
    '| self time | function |',
    '| --- | --- |',
    ...profile.functions.slice(0, 8).map((f) => `| ${Math.round(f.share * 1000) / 10}% | \`${f.name}\` |`),
    '',
  ];
  return [
    '## Where /ingest spends its time',
    '',
    '`npm run profile:ingest` runs the ingest benchmark with the cloud Node-RED under `node --cpu-prof` and sums self',
    'time per function from the first request on (bench/results/ingest-profile.json keeps the two runs below).',
    '',
    `**Before** (${before.note}):`,
    '',
    ...table(before),
    `**After** (${after.note}):`,
    '',
    ...table(after),
  ];
}

export function renderPerformance(result, root) {
  const images = join(root, 'docs', 'images');
  mkdirSync(images, { recursive: true });
  writeFileSync(join(images, 'perf-goals.svg'), `${goalsSvg(result.goals)}\n`);
  const e2e = result.figures.e2e_points_per_s?.median;
  const peer = result.figures.peer_e2e_points_per_s?.median;
  const hasPeer = e2e !== undefined && peer;
  if (hasPeer) writeFileSync(join(images, 'perf-e2e-vs-peer.svg'), `${peerSvg(e2e, peer)}\n`);

  const { machine, versions } = result;
  const goalRows = result.goals.map((goal) => {
    const target = goal.at_least !== undefined ? `>= ${number(goal.at_least)}` : `<= ${number(goal.at_most)}`;
    const ratio = goal.ratio
      ? `${goal.ratio_value === null ? '-' : number(goal.ratio_value)} ${goal.ratio.label} (goal >= ${goal.ratio.at_least})`
      : '';
    const verdict = goal.met === null ? 'not measured' : goal.met ? 'met' : '**not met**';
    return `| \`${goal.figure}\` | ${goal.what} | ${goal.measured ? range(goal.measured) : '-'} | ${target} | ${ratio} | ${verdict} |`;
  });
  const goalNames = new Set(result.goals.map((goal) => goal.figure));
  const other = Object.entries(result.figures)
    .filter(([name]) => !goalNames.has(name))
    .map(([name, figure]) => `| \`${name}\` | ${figure.bench} | ${range(figure)} |`);
  const page = [
    '# Performance',
    '',
    `Generated by \`npm run bench\` on ${result.date.slice(0, 10)}: every benchmark of the repository in one run, each`,
    'short one repeated (median, then min-max of the runs in brackets), the long end-to-end ones once. Raw results:',
    `\`bench/results/${result.date.slice(0, 10)}.json\`. Figures are what a user sees on this machine, not tuned to it.`,
    '',
    `Machine: ${machine.cores} cores (${machine.cpu}), ${machine.memory_gb} GB. Node ${versions.node}, Node-RED`,
    `${versions['node-red']}, QuestDB ${versions.questdb} (same machine, Java 17). The benchmarks share the machine`,
    'with QuestDB and every Node-RED process they start, so a figure is the whole system on 2 cores, not one part alone.',
    ...(result.note ? ['', `**This run:** ${result.note}`] : []),
    '',
    '![measured / goal per figure](images/perf-goals.svg)',
    '',
    '| figure | what | measured | goal | ratio | |',
    '| --- | --- | --- | --- | --- | --- |',
    ...goalRows,
    '',
    ...(hasPeer
      ? [
          '## Against the way users build it today',
          '',
          '![Plantwire against stock nodes, edge to QuestDB](images/perf-e2e-vs-peer.svg)',
          '',
          'The peer is built from stock nodes only: node-red-node-sqlite as the store (an INSERT per message, a 100 ms',
          'poll forwarding up to 1,000 rows, deleted after a 200), http request, and node-red-contrib-influxdb writing a',
          "point per message to QuestDB's `/write`. Same machine, same QuestDB, same run.",
          '',
        ]
      : []),
    ...profileSection(root),
    '## Every figure',
    '',
    '| figure | benchmark | measured |',
    '| --- | --- | --- |',
    ...other,
    '',
  ];
  writeFileSync(join(root, 'docs', 'performance.md'), page.join('\n'));
}

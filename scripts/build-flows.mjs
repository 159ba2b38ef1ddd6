#!/usr/bin/env node
// Writes the demo flows in flows/ from their sources in scripts/flows/ (`--check`: fails when a file differs,
// so the committed flows never drift from their sources).
//   flows/edge-agent.json     the edge Node-RED
//   flows/cloud-ingest.json   the cloud Node-RED: ingest and the API
//   flows/dashboard.json      the cloud Node-RED: Dashboard 2.0
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudIngest } from './flows/cloud-ingest.mjs';
import { dashboard } from './flows/dashboard.mjs';
import { edgeAgent } from './flows/edge-agent.mjs';

const flows = join(dirname(dirname(fileURLToPath(import.meta.url))), 'flows');
const files = {
  'edge-agent.json': edgeAgent(),
  'cloud-ingest.json': cloudIngest(),
  'dashboard.json': dashboard(),
};

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, nodes] of Object.entries(files)) {
  const text = `${JSON.stringify(nodes, null, 2)}\n`;
  const path = join(flows, file);
  if (!check) writeFileSync(path, text);
  else if (readFileSync(path, 'utf8') !== text) {
    console.error(`flows/${file} differs from scripts/flows: run node scripts/build-flows.mjs`);
    stale++;
  }
}
process.exit(stale ? 1 : 0);

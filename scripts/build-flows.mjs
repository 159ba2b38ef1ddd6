#!/usr/bin/env node
// Writes the demo flows in flows/ from their sources in scripts/flows/ (`--check`: fails when a file differs,
// so the committed flows never drift from their sources).
//   flows/edge-agent.json     the edge Node-RED
//   flows/cloud-ingest.json   the cloud Node-RED: ingest and the API
//   flows/dashboard.json      the cloud Node-RED: Dashboard 2.0
//   docker/mosquitto.acl      the plant broker's ACL in docker/compose.yaml (testkit's MQTT rules, written out)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mosquittoAcl } from '@plantwire/testkit';
import { cloudIngest } from './flows/cloud-ingest.mjs';
import { dashboard } from './flows/dashboard.mjs';
import { edgeAgent } from './flows/edge-agent.mjs';
import { DOCKER_MQTT_ACCOUNTS } from './flows/plant.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const json = (nodes) => `${JSON.stringify(nodes, null, 2)}\n`;
const files = {
  'flows/edge-agent.json': json(edgeAgent()),
  'flows/cloud-ingest.json': json(cloudIngest()),
  'flows/dashboard.json': json(dashboard()),
  'docker/mosquitto.acl': mosquittoAcl(DOCKER_MQTT_ACCOUNTS),
};

const check = process.argv.includes('--check');
let stale = 0;
for (const [file, text] of Object.entries(files)) {
  const path = join(root, file);
  if (!check) writeFileSync(path, text);
  else if (readFileSync(path, 'utf8') !== text) {
    console.error(`${file} differs from scripts/flows: run node scripts/build-flows.mjs`);
    stale++;
  }
}
process.exit(stale ? 1 : 0);

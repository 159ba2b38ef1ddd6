#!/usr/bin/env node
// The demo flows for one Node-RED, with the secrets set where Node-RED keeps them (credentials): the bearer token
// of the edge's POST nodes, the token list of the cloud's telemetry-validate nodes and the plant broker's username
// and password of its mqtt-broker nodes. `npm start` uses it; so does docker/compose.yaml, which runs it as a
// script against the two Node-RED containers:
//   PLANTWIRE_INGEST_TOKEN=... [PLANTWIRE_MQTT_USER=... PLANTWIRE_MQTT_PASSWORD=...] \
//     node scripts/deploy-flows.mjs --edge http://edge:1880 --cloud http://cloud:1880
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const flows = join(dirname(dirname(fileURLToPath(import.meta.url))), 'flows');

/** The flow files each Node-RED of the demo runs. */
export const FLOW_FILES = { edge: ['edge-agent.json'], cloud: ['cloud-ingest.json', 'dashboard.json'] };

/** The flows of `files` with their secrets; `mqtt` ({user, password}) is this Node-RED's broker account. */
export function flowsWithToken(files, token, tenant, mqtt) {
  return files
    .flatMap((file) => JSON.parse(readFileSync(join(flows, file), 'utf8')))
    .map((node) => {
      if (node.type === 'http request' && node.authType === 'bearer')
        return { ...node, credentials: { user: '', password: token } };
      if (node.type === 'telemetry-validate')
        return { ...node, credentials: { tokens: `${token} ${tenant}` } };
      if (node.type === 'mqtt-broker' && mqtt) return { ...node, credentials: { ...mqtt } };
      return node;
    });
}

/** A full deploy through the admin API, as the editor's Deploy button does. */
export async function deploy(url, nodes) {
  const response = await fetch(`${url}/flows`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify(nodes),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const token = process.env.PLANTWIRE_INGEST_TOKEN;
  const tenant = process.env.PLANTWIRE_TENANT ?? 'acme';
  if (!token) {
    console.error('set PLANTWIRE_INGEST_TOKEN: the token the edge sends and the cloud accepts');
    process.exit(1);
  }
  const args = process.argv.slice(2);
  for (const name of ['edge', 'cloud']) {
    const at = args.indexOf(`--${name}`);
    if (at < 0) continue;
    const url = args[at + 1];
    // A Node-RED container answers a little after it starts: try for a minute. A Node-RED that has flows
    // already keeps them, so your own changes survive `docker compose up`.
    for (let attempt = 1; ; attempt++) {
      try {
        const current = await fetch(`${url}/flows`).then((r) =>
          r.ok ? r.json() : Promise.reject(new Error(r.statusText)),
        );
        if (current.length > 0) {
          console.log(`${url} has flows already: left as they are`);
          break;
        }
        const { PLANTWIRE_MQTT_USER: user, PLANTWIRE_MQTT_PASSWORD: password } = process.env;
        await deploy(
          url,
          flowsWithToken(FLOW_FILES[name], token, tenant, user ? { user, password } : undefined),
        );
        console.log(`deployed the ${name} flows to ${url}`);
        break;
      } catch (error) {
        if (attempt >= 30) throw error;
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }
}

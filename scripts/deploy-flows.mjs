#!/usr/bin/env node
// The demo flows for one Node-RED, with the secrets set where Node-RED keeps them (credentials): the bearer token
// of the edge's POST nodes, the token list of the cloud's telemetry-validate nodes and the plant broker's username
// and password of its mqtt-broker nodes. `npm start` uses it; so does docker/compose.yaml, which runs it as a
// script against the two Node-RED containers, with the secrets docker/make-secrets.sh made:
//   PLANTWIRE_SECRETS=/secrets PLANTWIRE_EDGE_MQTT_USER=edge-plant-01 PLANTWIRE_CLOUD_MQTT_USER=cloud-acme \
//     node scripts/deploy-flows.mjs --edge http://edge:1880 --cloud http://cloud:1880
// (PLANTWIRE_INGEST_TOKEN, when set, is the token instead of $PLANTWIRE_SECRETS/ingest-token.)
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * The secrets of a deploy from the environment: the ingest token, and per Node-RED (`edge`, `cloud`) its broker
 * account, the user named by PLANTWIRE_<NAME>_MQTT_USER whose password is the file $PLANTWIRE_SECRETS/mqtt/<user>.
 */
export function secretsFromEnv(env) {
  const file = (path) =>
    env.PLANTWIRE_SECRETS && existsSync(join(env.PLANTWIRE_SECRETS, path))
      ? readFileSync(join(env.PLANTWIRE_SECRETS, path), 'utf8').trim()
      : undefined;
  const account = (name) => {
    const user = env[`PLANTWIRE_${name.toUpperCase()}_MQTT_USER`];
    if (!user) return undefined;
    const password = file(join('mqtt', user));
    if (password === undefined)
      throw new Error(`no password for the MQTT user ${user} in $PLANTWIRE_SECRETS/mqtt`);
    return { user, password };
  };
  return {
    token: env.PLANTWIRE_INGEST_TOKEN ?? file('ingest-token'),
    mqtt: { edge: account('edge'), cloud: account('cloud') },
  };
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
  const { token, mqtt } = secretsFromEnv(process.env);
  const tenant = process.env.PLANTWIRE_TENANT ?? 'acme';
  if (!token) {
    console.error(
      'set PLANTWIRE_INGEST_TOKEN or PLANTWIRE_SECRETS (its ingest-token file): the token the edge sends and the cloud accepts',
    );
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
        await deploy(url, flowsWithToken(FLOW_FILES[name], token, tenant, mqtt[name]));
        console.log(`deployed the ${name} flows to ${url}`);
        break;
      } catch (error) {
        if (attempt >= 30) throw error;
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }
}

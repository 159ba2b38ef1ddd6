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

/** An answer of the admin API other than 2xx. */
class HttpError extends Error {
  constructor(url, status, text) {
    super(`${url}: ${status} ${text}`.trim());
    this.status = status;
  }
}

/** A full deploy through the admin API, as the editor's Deploy button does. */
export async function deploy(url, nodes) {
  const response = await fetch(`${url}/flows`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
    body: JSON.stringify(nodes),
  });
  if (!response.ok) throw new HttpError(url, response.status, await response.text());
}

/** The codes of a fetch that did not reach the server, or lost it: a Node-RED not up yet, or restarting. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
/** Why fetch could not reach the server (ECONNREFUSED...); undefined when it failed for another reason. */
function networkCode(error) {
  const cause = error?.cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return NETWORK_CODES.has(code) ? code : undefined;
}

/**
 * Whether trying again can help: the Node-RED is not up yet (a network error) or failed for now (5xx). A refusal
 * (400, 401...) or a bad URL stays what it is.
 */
const retryable = (error) =>
  error instanceof HttpError ? error.status >= 500 : networkCode(error) !== undefined;

/** Deploys the flows of `name` to the Node-RED at `url` unless it has flows already. */
async function deployTo(name, url, secrets) {
  // A Node-RED container answers a little after it starts: try for a minute, while trying again can help. A
  // Node-RED that has flows already keeps them, so your own changes survive `docker compose up`.
  const [tries, everyMs] = [30, 2000];
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await fetch(`${url}/flows`);
      if (!answer.ok) throw new HttpError(url, answer.status, await answer.text());
      const current = await answer.json().catch(() => {
        throw new Error(`${url}/flows answered no JSON: is ${url} a Node-RED?`);
      });
      if (current.length > 0) {
        console.log(`${url} has flows already: left as they are`);
        return;
      }
      const { token, tenant, mqtt } = secrets;
      await deploy(url, flowsWithToken(FLOW_FILES[name], token, tenant, mqtt[name]));
      console.log(`deployed the ${name} flows to ${url}`);
      return;
    } catch (error) {
      if (!retryable(error)) throw error;
      if (attempt >= tries) {
        const why = error instanceof HttpError ? error.message : `${url}: ${networkCode(error)}`;
        throw new Error(`gave up after ${(tries * everyMs) / 1000} s: ${why}`);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}

async function main(args, env) {
  const { token, mqtt } = secretsFromEnv(env);
  const tenant = env.PLANTWIRE_TENANT ?? 'acme';
  if (!token) {
    throw new Error(
      'set PLANTWIRE_INGEST_TOKEN or PLANTWIRE_SECRETS (its ingest-token file): the token the edge sends and the cloud accepts',
    );
  }
  // Every URL is checked before anything is deployed.
  const targets = [];
  for (const name of ['edge', 'cloud']) {
    const at = args.indexOf(`--${name}`);
    if (at < 0) continue;
    const url = args[at + 1];
    if (url === undefined || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      throw new Error(
        `--${name} wants the URL of its Node-RED (such as http://${name}:1880), not ${url ?? 'nothing'}`,
      );
    targets.push([name, url]);
  }
  for (const [name, url] of targets) await deployTo(name, url, { token, tenant, mqtt });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(process.argv.slice(2), process.env).catch((error) => {
    const cause = error.cause?.message ? ` (${error.cause.message})` : '';
    console.error(`deploy-flows: ${error.message}${cause}`);
    process.exit(1);
  });
}

// The cloud answering slowly: the demo's edge Node-RED (flows/edge-agent.json, its ack timeout shortened to 5 s so
// the test is short) sends to a cloud that holds every request 8 s, longer than the ack timeout, while a producer
// posts 2,000 points/s to the edge. Every batch times out and is retried with backoff; the backlog must grow on
// disk, not in memory: the edge's RSS and its requests in flight stay bounded. Once the cloud is quick again the
// backlog drains and every point the edge accepted arrives.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  sleep,
  startAedesBroker,
  startNodeRed,
  telemetryPoint,
  waitFor,
  type Broker,
  type FlowNode,
  type NodeRed,
} from '@plantwire/testkit';

const root = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 'pw-slow-cloud-test-token';
const ACK_TIMEOUT_S = 5;
const CLOUD_DELAY_MS = 8000;

/** The demo edge flow with a bearer token, and a shorter ack timeout. */
function edgeFlow(): FlowNode[] {
  const nodes = JSON.parse(readFileSync(`${root}/flows/edge-agent.json`, 'utf8')) as FlowNode[];
  return nodes.map((node) => {
    if (node.type === 'http request') return { ...node, credentials: { user: '', password: TOKEN } };
    if (node.type === 'store-forward') return { ...node, ackTimeoutS: String(ACK_TIMEOUT_S) };
    return node;
  });
}

const telemetryStore = edgeFlow().find((node) => node.storeName === 'edge-telemetry')!;
/** The batches the edge's telemetry store keeps in flight at most (its `window` setting). */
const WINDOW = Number(telemetryStore.window);
/** The most points those batches hold: a backlog beyond this waits on disk. */
const IN_FLIGHT_POINTS = WINDOW * Number(telemetryStore.batchRows);

/** The edge's resident memory, from the kernel. */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

interface EdgeStatus {
  stores: Record<string, { rows: number; inFlight: number; retries: number }>;
}

describe('the cloud answering slowly: the edge keeps memory bounded and loses nothing', () => {
  let broker: Broker;
  let cloud: Server;
  let edge: NodeRed;
  let delayMs = CLOUD_DELAY_MS;
  let open = 0;
  let mostOpen = 0;
  const arrived = new Set<string>();

  beforeAll(async () => {
    broker = await startAedesBroker();
    const port = await freePort();
    cloud = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      open++;
      mostOpen = Math.max(mostOpen, open);
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const wait = delayMs;
        setTimeout(() => {
          open--;
          if (request.url === '/ingest' && !response.destroyed) {
            const points = JSON.parse(Buffer.concat(chunks).toString()) as { id: string }[];
            for (const point of points) arrived.add(point.id);
          }
          response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"accepted":1}');
        }, wait);
      });
    });
    await new Promise<void>((resolve) => cloud.listen(port, '127.0.0.1', resolve));
    edge = await startNodeRed({
      env: {
        PLANTWIRE_CLOUD_URL: `http://127.0.0.1:${port}`,
        PLANTWIRE_MQTT_HOST: '127.0.0.1',
        PLANTWIRE_MQTT_PORT: String(broker.port),
      },
      flows: edgeFlow(),
    });
  }, 180_000);
  afterAll(async () => {
    await edge?.stop();
    cloud?.closeAllConnections();
    await new Promise((resolve) => cloud?.close(resolve));
    await broker?.stop();
  });

  const status = async () => (await (await fetch(`${edge.url}/edge/status`)).json()) as EdgeStatus;

  it('grows the backlog on disk while RSS and requests in flight stay bounded, then delivers it all', async () => {
    const pid = edge.process.pid;
    const accepted: string[] = [];
    const start = rssMb(pid);
    let peakRss = start;
    let peakRows = 0;
    let mostInFlight = 0;

    // 2,000 points/s for 40 s, 100 a request, answered once committed.
    const until = Date.now() + 40_000;
    let ts = Date.UTC(2026, 0, 5);
    for (let next = Date.now(); Date.now() < until; next += 50) {
      const points = Array.from({ length: 100 }, () => telemetryPoint(ts++, { machine: 'slow-01' }));
      const response = await fetch(`${edge.url}/edge/points`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(points),
      });
      if (response.status === 200) accepted.push(...points.map((p) => p.id));
      if (ts % 2000 === 0) {
        peakRss = Math.max(peakRss, rssMb(pid));
        const telemetry = (await status()).stores['edge-telemetry'];
        peakRows = Math.max(peakRows, telemetry?.rows ?? 0);
        mostInFlight = Math.max(mostInFlight, telemetry?.inFlight ?? 0);
      }
      if (next > Date.now()) await sleep(next - Date.now());
    }
    const telemetry = (await status()).stores['edge-telemetry']!;
    console.log(
      `[slow cloud] accepted ${accepted.length}, backlog ${peakRows} points, edge RSS ${Math.round(start)} -> ` +
        `${Math.round(peakRss)} MB, batches in flight <= ${mostInFlight}, requests open at the cloud <= ${mostOpen}, ` +
        `retries ${telemetry.retries}`,
    );
    expect(accepted.length).toBeGreaterThanOrEqual(50_000);
    // The cloud took at most what the window and the timeouts allow, and the rest waited on disk: more than the
    // batches in flight can hold.
    expect(telemetry.retries).toBeGreaterThan(0);
    expect(peakRows).toBeGreaterThan(IN_FLIGHT_POINTS);
    expect(mostInFlight).toBeLessThanOrEqual(WINDOW);
    expect(mostOpen).toBeLessThanOrEqual(20);
    expect(peakRss - start).toBeLessThan(150);

    // The cloud is quick again: the backlog drains and every accepted point arrives.
    delayMs = 0;
    await waitFor(
      'every accepted point at the cloud',
      async () => accepted.every((id) => arrived.has(id)) || undefined,
      180_000,
      1000,
    );
  }, 400_000);
});

// The cloud /ingest path as the benchmarks drive it: the package's own "Cloud ingest" example in a real Node-RED,
// 1,000-point bodies posted by 16 clients at once (a cloud serves many edges), each with a bearer token.
import { readFileSync } from 'node:fs';
import { startNodeRed, telemetryPoint } from '@plantwire/testkit';

const TOKEN = 'bench-token';

export function ingestBodies(points, firstTs) {
  const bodies = [];
  for (let b = 0; b < points / 1000; b++) {
    bodies.push(
      JSON.stringify(
        Array.from({ length: 1000 }, (_, i) =>
          telemetryPoint(firstTs + b * 1000 + i, { machine: `cnc-${i % 50}` }),
        ),
      ),
    );
  }
  return bodies;
}

/** Points per second through POST /ingest; `nodeArgs` go to the Node-RED process (a profiler, say). */
export async function ingestPointsPerSecond(questdb, { points, firstTs, nodeArgs, clients = 16 }) {
  const example = JSON.parse(
    readFileSync(
      new URL('../../packages/nodes-ingest/examples/01 - Cloud ingest.json', import.meta.url),
      'utf8',
    ),
  );
  const red = await startNodeRed({ nodeArgs });
  try {
    await red.deploy(
      example.map((node) =>
        node.type === 'questdb-config'
          ? { ...node, url: questdb.httpUrl }
          : node.type === 'telemetry-validate'
            ? { ...node, credentials: { tokens: `${TOKEN} acme` } }
            : node,
      ),
    );
    const bodies = ingestBodies(points, firstTs);
    let next = 0;
    const client = async () => {
      while (next < bodies.length) {
        const response = await fetch(`${red.url}/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: bodies[next++],
        });
        if (response.status !== 200)
          throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
      }
    };
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: clients }, client));
    return Math.round(points / (Number(process.hrtime.bigint() - started) / 1e9));
  } finally {
    await red.stop();
  }
}

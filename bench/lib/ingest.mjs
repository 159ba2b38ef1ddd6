// The cloud /ingest path as the benchmarks drive it: the package's own "Cloud ingest" example in a real Node-RED,
// 1,000-point bodies posted by 16 clients at once (a cloud serves many edges), each with a bearer token.
import { readFileSync } from 'node:fs';
import { startNodeRed, teardown, telemetryPoint } from '@plantwire/testkit';

const TOKEN = 'bench-token';
const WARM_UP_BODIES = 50;

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
  const parts = teardown();
  try {
    const red = parts.add(await startNodeRed({ nodeArgs }));
    await red.deploy(
      example.map((node) =>
        node.type === 'questdb-config'
          ? { ...node, url: questdb.httpUrl }
          : node.type === 'telemetry-validate'
            ? { ...node, credentials: { tokens: `${TOKEN} acme` } }
            : node,
      ),
    );
    // The first bodies warm up the JIT and QuestDB's table before the clock starts, as a running cloud is warm.
    const warmUp = WARM_UP_BODIES * 1000;
    const bodies = ingestBodies(warmUp + points, firstTs);
    let next = 0;
    const client = (last) => async () => {
      while (next < last) {
        const response = await fetch(`${red.url}/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
          body: bodies[next++],
        });
        if (response.status !== 200)
          throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
      }
    };
    await Promise.all(Array.from({ length: clients }, client(WARM_UP_BODIES)));
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: clients }, client(bodies.length)));
    return Math.round(points / (Number(process.hrtime.bigint() - started) / 1e9));
  } finally {
    await parts.close();
  }
}

// Dashboard and API queries take the tenant from the cloud's own configuration (PLANTWIRE_TENANT), never from
// the request: the demo's cloud flows in a real Node-RED over a real QuestDB holding two tenants' rows.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNodeRed,
  startQuestDb,
  telemetryPoint,
  type FlowNode,
  type NodeRed,
  type QuestDb,
} from '@plantwire/testkit';

const cloudFlows = fileURLToPath(new URL('../../flows/cloud-ingest.json', import.meta.url));

describe("tenant B's rows never reach tenant A's API", () => {
  let red: NodeRed;
  let questdb: QuestDb;
  const now = Date.now();

  beforeAll(async () => {
    questdb = await startQuestDb();
    red = await startNodeRed({
      env: { PLANTWIRE_QUESTDB_URL: questdb.httpUrl, PLANTWIRE_TENANT: 'acme', PLANTWIRE_MQTT_PORT: '1' },
    });
    const flows = (JSON.parse(readFileSync(cloudFlows, 'utf8')) as FlowNode[]).map((node) =>
      node.type === 'telemetry-validate'
        ? { ...node, credentials: { tokens: 'tok-a acme\ntok-b globex' } }
        : node,
    );
    await red.deploy(flows);
    for (const [token, tenant] of [
      ['tok-a', 'acme'],
      ['tok-b', 'globex'],
    ] as const) {
      const points = Array.from({ length: 30 }, (_, i) =>
        telemetryPoint(now - 60_000 + i * 1000, {
          tenant,
          machine: `${tenant}-m1`,
          value: tenant === 'acme' ? 1 : 999,
        }),
      );
      const response = await fetch(`${red.url}/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(points),
      });
      expect(response.status).toBe(200);
    }
    await questdb.waitForWal('plantwire_telemetry');
  });
  afterAll(async () => {
    await red?.stop();
    await questdb?.stop();
  });

  const get = async (path: string) => JSON.stringify(await (await fetch(`${red.url}${path}`)).json());

  it('both tenants are in QuestDB', async () => {
    expect(
      (await questdb.exec('SELECT tenant, count() FROM plantwire_telemetry ORDER BY tenant')).dataset,
    ).toEqual([
      ['acme', 30],
      ['globex', 30],
    ]);
  });

  it.each([
    '/api/series?minutes=10&metric=temperature',
    '/api/series?minutes=10&tenant=globex&machine=globex-m1',
    "/api/series?minutes=10&machine=globex-m1'%20OR%20'1'='1",
    '/api/kpis?minutes=10&tenant=globex',
    '/api/stats?tenant=globex',
  ])('GET %s shows acme only', async (path) => {
    const answer = await get(path);
    expect(answer).not.toMatch(/globex|999/);
  });

  it('the series of tenant A has its rows', async () => {
    const rows = JSON.parse(await get('/api/series?minutes=10&machine=acme-m1')) as unknown[];
    expect(rows.length).toBeGreaterThan(0);
  });
});

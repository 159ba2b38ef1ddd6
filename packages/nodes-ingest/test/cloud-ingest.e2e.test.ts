import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import {
  startAedesBroker,
  waitFor,
  startNodeRed,
  startQuestDb,
  telemetryPoint,
  type FlowNode,
  type NodeRed,
  type QuestDb,
} from '@plantwire/testkit';

const example = fileURLToPath(new URL('../examples/01 - Cloud ingest.json', import.meta.url));
const mqttExample = fileURLToPath(new URL('../examples/02 - MQTT ingest.json', import.meta.url));
const MODULE = '@plantwire/node-red-questdb';
const at = Date.UTC(2026, 0, 5);

describe('the cloud ingest flow in a real Node-RED, against a real QuestDB', () => {
  let red: NodeRed;
  let questdb: QuestDb;

  beforeAll(async () => {
    questdb = await startQuestDb();
    red = await startNodeRed();
    const flow = (JSON.parse(readFileSync(example, 'utf8')) as FlowNode[]).map((node) => {
      if (node.type === 'questdb-config') return { ...node, url: questdb.httpUrl };
      if (node.type === 'telemetry-validate') {
        return {
          ...node,
          maxPoints: '50',
          credentials: { tokens: 'tok-acme-7f2 acme\ntok-globex-91c globex' },
        };
      }
      return node;
    });
    await red.deploy(flow);
  });
  afterAll(async () => {
    await red?.stop();
    await questdb?.stop();
  });

  const ingest = async (body: unknown, token?: string) => {
    const response = await fetch(`${red.url}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as { accepted: number; rejected: { index: number; reason: string }[] },
    };
  };

  it('registers every node of the package and lists its examples', async () => {
    const sets = await red.api<{ module: string; types: string[]; err?: unknown }[]>('/nodes');
    expect(
      sets
        .filter((s) => s.module === MODULE)
        .flatMap((s) => s.types)
        .sort(),
    ).toEqual(['questdb-config', 'questdb-query', 'questdb-write', 'telemetry-validate']);
    expect(await red.api(`/library/examples/flows/${MODULE}`)).toEqual([
      { fn: '01 - Cloud ingest' },
      { fn: '02 - MQTT ingest' },
      { fn: '03 - Dashboard queries' },
    ]);
  });

  it('stores a tenant its points and answers {accepted, rejected}', async () => {
    const points = Array.from({ length: 20 }, (_, i) => telemetryPoint(at + i));
    const bad = { ...telemetryPoint(at + 99), value: 'hot' };
    expect(await ingest([...points, bad], 'tok-acme-7f2')).toEqual({
      status: 200,
      body: { accepted: 20, rejected: [{ index: 20, reason: 'value must be a finite number (got "hot")' }] },
    });
    // The same request again changes nothing: ids deduplicate.
    await ingest(points, 'tok-acme-7f2');
    await questdb.waitForWal('plantwire_telemetry');
    expect(
      (await questdb.exec("SELECT count() FROM plantwire_telemetry WHERE tenant = 'acme'")).dataset,
    ).toEqual([[20]]);
  });

  it('keeps tenants apart and refuses with 401, 403, 400 and 413', async () => {
    expect((await ingest([telemetryPoint(at)])).status).toBe(401);
    expect((await ingest([telemetryPoint(at)], 'tok-nobody')).status).toBe(401);
    const theirs = await ingest([telemetryPoint(at + 500, { tenant: 'globex' })], 'tok-acme-7f2');
    expect(theirs.status).toBe(403);
    expect(theirs.body.rejected[0]!.reason).toBe('tenant "globex" is not the token\'s tenant');
    expect((await ingest([{ nonsense: true }], 'tok-acme-7f2')).status).toBe(400);
    const tooMany = Array.from({ length: 51 }, (_, i) => telemetryPoint(at + 1000 + i));
    expect((await ingest(tooMany, 'tok-acme-7f2')).status).toBe(413);
    await questdb.waitForWal('plantwire_telemetry');
    expect(
      (await questdb.exec("SELECT count() FROM plantwire_telemetry WHERE tenant = 'globex'")).dataset,
    ).toEqual([[0]]);
  });

  it('never exports a token: GET /flows and the flow file carry none', async () => {
    const flows = JSON.stringify(await red.api('/flows'));
    expect(flows).not.toContain('tok-acme-7f2');
    expect(readFileSync(`${red.userDir}/flows.json`, 'utf8')).not.toContain('tok-acme-7f2');
  });

  it('the MQTT variant: points published on v1/... reach QuestDB, refused ones are reported', async () => {
    const broker = await startAedesBroker();
    try {
      const flow = (JSON.parse(readFileSync(mqttExample, 'utf8')) as FlowNode[]).map((node) => {
        if (node.type === 'questdb-config') return { ...node, url: questdb.httpUrl };
        if (node.type === 'mqtt-broker') return { ...node, broker: broker.host, port: String(broker.port) };
        return node;
      });
      await red.deploy(flow);
      await red.waitForLog(/Connected to broker/, 10_000);
      const client = await mqtt.connectAsync(broker.url);
      const points = Array.from({ length: 10 }, (_, i) =>
        telemetryPoint(at + 5000 + i, { tenant: 'initech', machine: 'pump-04' }),
      );
      await client.publishAsync('v1/initech/plant-1/line-1/pump-04/temperature', JSON.stringify(points), {
        qos: 1,
      });
      await client.publishAsync(
        'v1/initech/plant-1/line-1/pump-04/temperature',
        JSON.stringify({ nonsense: 1 }),
        { qos: 1 },
      );
      await client.endAsync();
      await waitFor(
        'the points in QuestDB',
        async () => {
          await questdb.waitForWal('plantwire_telemetry');
          const { dataset } = await questdb.exec(
            "SELECT count() FROM plantwire_telemetry WHERE tenant = 'initech'",
          );
          return dataset[0]?.[0] === 10 ? true : undefined;
        },
        15_000,
      );
    } finally {
      await broker.stop();
    }
  });
});

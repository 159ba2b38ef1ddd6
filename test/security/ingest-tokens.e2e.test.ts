// Ingest tokens in a real Node-RED against a real QuestDB: a line-scoped token's mixed batch (403 per foreign
// point, the rest stored exactly once), revocation by editing the tokens file (no redeploy), and the per-token
// rate limit end to end: the cloud answers 429 with Retry-After and the edge's store-forward waits that long,
// then delivers every point exactly once.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  flowContextProbe,
  startNodeRed,
  startQuestDb,
  telemetryPoint,
  waitFor,
  type FlowNode,
  type NodeRed,
  type QuestDb,
} from '@plantwire/testkit';

const example = fileURLToPath(
  new URL('../../packages/nodes-ingest/examples/01 - Cloud ingest.json', import.meta.url),
);
const at = Date.UTC(2026, 1, 1);

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { accepted: number; rejected: { index: number; reason: string; status?: number }[]; error?: string };
}

describe('ingest tokens in a real Node-RED and QuestDB', () => {
  let red: NodeRed;
  let questdb: QuestDb;
  let dir: string;
  let tokensFile: string;

  /** The edge half: POST /edge takes points into store-forward, which posts batches to this Node-RED's /ingest. */
  const edge = (url: string): FlowNode[] => [
    { id: 'tab-edge', type: 'tab', label: 'edge' },
    {
      id: 'edge-in',
      z: 'tab-edge',
      type: 'http in',
      url: '/edge',
      method: 'post',
      wires: [['edge-buffer', 'edge-ok']],
    },
    { id: 'edge-ok', z: 'tab-edge', type: 'http response', statusCode: '202', wires: [] },
    {
      id: 'edge-buffer',
      z: 'tab-edge',
      type: 'store-forward',
      storeName: 'security-e2e',
      directory: dir,
      synchronous: 'FULL',
      maxRows: '100000',
      maxMB: '64',
      maxAgeHours: '0',
      fullPolicy: 'drop-oldest',
      minFreeMB: '1',
      batchRows: '100',
      batchKB: '1024',
      maxWaitMs: '50',
      window: '1',
      order: 'fifo',
      ackTimeoutS: '30',
      backoffBaseS: '0.1',
      backoffMaxS: '0.2',
      statsIntervalS: '1',
      wires: [['edge-post'], []],
    },
    {
      id: 'edge-post',
      z: 'tab-edge',
      type: 'http request',
      method: 'POST',
      ret: 'txt',
      paytoqs: 'ignore',
      url,
      persist: true,
      authType: 'bearer',
      senderr: false,
      headers: [],
      credentials: { user: '', password: 'tok-edge' },
      wires: [['edge-buffer']],
    },
    {
      id: 'edge-failed',
      z: 'tab-edge',
      type: 'catch',
      scope: ['edge-post'],
      uncaught: false,
      wires: [['edge-buffer']],
    },
  ];
  /** Every answer of the cloud's validate node, with its time: what the edge was told, and when. */
  const answers: FlowNode[] = [
    {
      id: 'answer-log',
      z: 'tab-ingest',
      type: 'function',
      func:
        "const log = flow.get('answers') || [];\n" +
        "log.push([Date.now(), msg.statusCode, (msg.headers || {})['Retry-After'] || null]);\n" +
        "flow.set('answers', log);\nreturn null;",
      outputs: 0,
      wires: [],
    },
    ...flowContextProbe('tab-ingest', '/answers', ['answers']),
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plantwire-security-'));
    tokensFile = join(dir, 'ingest.tokens');
    writeFileSync(
      tokensFile,
      [
        '# one device token per line',
        'tok-line acme plant-1/line-1',
        'tok-revoke acme',
        'tok-edge acme rate=300',
        '',
      ].join('\n'),
    );
    questdb = await startQuestDb();
    red = await startNodeRed();
    const cloud = (JSON.parse(readFileSync(example, 'utf8')) as FlowNode[]).map((node) => {
      if (node.type === 'questdb-config') return { ...node, url: questdb.httpUrl };
      if (node.type === 'telemetry-validate') {
        const [accepted, refused] = node.wires as string[][];
        return {
          ...node,
          tokensFile,
          credentials: { tokens: 'tok-old globex' },
          wires: [
            [...accepted!, 'answer-log'],
            [...refused!, 'answer-log'],
          ],
        };
      }
      return node;
    });
    await red.deploy([...cloud, ...answers, ...edge(`${red.url}/ingest`)]);
  });
  afterAll(async () => {
    await red?.stop();
    await questdb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ingest = async (body: unknown, token: string): Promise<Answer> => {
    const response = await fetch(`${red.url}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    answered.push(text);
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: JSON.parse(text) as Answer['body'],
    };
  };
  const answered: string[] = [];
  const count = async (where: string) => {
    await questdb.waitForWal('plantwire_telemetry');
    return (await questdb.exec(`SELECT count(), count_distinct(id) FROM plantwire_telemetry WHERE ${where}`))
      .dataset[0];
  };

  it("a line-scoped token's mixed batch: 403 for each foreign point, the rest stored exactly once", async () => {
    const mine = Array.from({ length: 5 }, (_, i) =>
      telemetryPoint(at + i, { line: 'line-1', machine: 'm-scope' }),
    );
    const otherLine = telemetryPoint(at + 10, { line: 'line-2', machine: 'm-scope' });
    const otherTenant = telemetryPoint(at + 11, { tenant: 'globex', machine: 'm-scope' });
    const body = [mine[0], otherLine, ...mine.slice(1), otherTenant];
    const first = await ingest(body, 'tok-line');
    expect(first.status).toBe(200);
    expect(first.body.accepted).toBe(5);
    expect(first.body.rejected).toEqual([
      {
        index: 1,
        status: 403,
        reason: 'plant/line "plant-1/line-2" is outside the token\'s scope (plant-1/line-1)',
      },
      { index: 6, status: 403, reason: 'tenant "globex" is not the token\'s tenant' },
    ]);
    // Only foreign points: the request itself is refused with 403.
    expect((await ingest([otherLine], 'tok-line')).status).toBe(403);
    // Sent again (an edge retrying): still stored once.
    expect((await ingest(body, 'tok-line')).status).toBe(200);
    expect(await count("machine = 'm-scope'")).toEqual([5, 5]);
    // A token in the old format (credentials, "token tenant") still works.
    const old = await ingest([telemetryPoint(at, { tenant: 'globex', machine: 'm-old' })], 'tok-old');
    expect(old.status).toBe(200);
  });

  it('a token is revoked by deleting its line from the tokens file: 401 within seconds, no redeploy', async () => {
    const point = (i: number) => telemetryPoint(at + 100 + i, { machine: 'm-revoke' });
    expect((await ingest([point(0)], 'tok-revoke')).status).toBe(200);
    const deploysBefore = red.log().match(/Started flows/g)!.length;
    const revokedAt = Date.now();
    writeFileSync(tokensFile, readFileSync(tokensFile, 'utf8').replace('tok-revoke acme\n', ''));
    let i = 1;
    const refused = await waitFor(
      'the revoked token refused',
      async () => {
        const answer = await ingest([point(i++)], 'tok-revoke');
        return answer.status === 401 ? answer : undefined;
      },
      10_000,
      100,
    );
    expect(refused.body.error).toBe('unknown or revoked token');
    expect(Date.now() - revokedAt).toBeLessThan(5000);
    expect(red.log().match(/Started flows/g)!.length).toBe(deploysBefore);
    // The other tokens of the file go on working.
    expect((await ingest([telemetryPoint(at + 200, { machine: 'm-scope' })], 'tok-line')).status).toBe(200);
  });

  it("over its rate the edge's token gets 429 + Retry-After; store-forward waits as told and delivers all exactly once", async () => {
    const points = Array.from({ length: 1500 }, (_, i) =>
      telemetryPoint(at + 1000 + i, { machine: 'm-rate' }),
    );
    for (let i = 0; i < points.length; i += 500) {
      const response = await fetch(`${red.url}/edge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(points.slice(i, i + 500)),
      });
      expect(response.status).toBe(202);
    }
    await waitFor(
      'every point in QuestDB',
      async () => ((await count("machine = 'm-rate'"))![0] === 1500 ? true : undefined),
      60_000,
      500,
    );
    expect(await count("machine = 'm-rate'")).toEqual([1500, 1500]);
    const log = (
      (await (await fetch(`${red.url}/answers`)).json()) as { answers: [number, number, string | null][] }
    ).answers;
    const limited = log.filter(([, status]) => status === 429);
    expect(limited.length).toBeGreaterThan(0);
    for (const [time, , retryAfter] of limited) {
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      // The edge's next request came no sooner than Retry-After said (100 ms for timer slack).
      const next = log.find(([t]) => t > time);
      if (next) expect(next[0] - time).toBeGreaterThanOrEqual(Number(retryAfter) * 1000 - 100);
    }
    console.log(
      `rate limit end to end: ${log.length} answers to the edge, ${limited.length} of them 429 with Retry-After`,
    );
  });

  it('no token in an answer, the exported flows, the flow files or the log', async () => {
    const places = {
      answers: answered.join('\n'),
      exported: JSON.stringify(await red.api('/flows')),
      flowFile: readFileSync(join(red.userDir, 'flows.json'), 'utf8'),
      credentialFile: readFileSync(join(red.userDir, 'flows_cred.json'), 'utf8'),
      log: red.log(),
    };
    expect(places.answers.length).toBeGreaterThan(100);
    for (const token of ['tok-line', 'tok-revoke', 'tok-edge', 'tok-old']) {
      for (const [place, text] of Object.entries(places)) {
        expect(text.includes(token), `${token} in ${place}`).toBe(false);
      }
    }
  });
});

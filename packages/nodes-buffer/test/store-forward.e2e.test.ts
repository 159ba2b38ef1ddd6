import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  flowContextProbe,
  flowCounter,
  sleep,
  startNodeRed,
  startWanLink,
  waitFor,
  type FlowNode,
  type NodeRed,
} from '@plantwire/testkit';

const MODULE = '@plantwire/node-red-buffer';
const example = fileURLToPath(new URL('../examples/01 - Forward over HTTP.json', import.meta.url));

describe('store-forward in a real Node-RED process', () => {
  let red: NodeRed;
  let userDir: string;
  beforeAll(async () => {
    userDir = mkdtempSync(join(tmpdir(), 'plantwire-sf-e2e-'));
    red = await startNodeRed({ userDir });
  });
  afterAll(async () => {
    await red?.stop();
    rmSync(userDir, { recursive: true, force: true });
  });

  it('registers store-forward with its editor, help and icon, and lists its example', async () => {
    const sets = await red.api<{ module: string; types: string[]; err?: unknown }[]>('/nodes');
    const set = sets.find((s) => s.module === MODULE);
    expect(set).toMatchObject({ types: ['store-forward'] });
    expect(set?.err).toBeUndefined();
    const editor = await (await fetch(`${red.url}/nodes`, { headers: { Accept: 'text/html' } })).text();
    expect(editor).toContain("RED.nodes.registerType('store-forward'");
    expect(editor).toContain('data-help-name="store-forward"');
    expect((await fetch(`${red.url}/icons/${MODULE}/store-forward.svg`)).status).toBe(200);
    expect(await red.api(`/library/examples/flows/${MODULE}`)).toEqual([{ fn: '01 - Forward over HTTP' }]);
  });

  it('forwards over HTTP through an outage and a redeploy, losing nothing (the example flow)', async () => {
    const flow = (JSON.parse(readFileSync(example, 'utf8')) as FlowNode[]).map((node) => {
      // Faster than the example's 1 point/s, and pointed at this Node-RED's port.
      if (node.id === 'sf-source') return { ...node, repeat: '0.02' };
      if (node.id === 'sf-post') return { ...node, url: `${red.url}/plantwire-example/ingest` };
      if (node.id === 'sf-buffer')
        return { ...node, backoffBaseS: '0.1', backoffMaxS: '0.3', statsIntervalS: '0.2' };
      return node;
    });
    const probe: FlowNode[] = [
      flowCounter('tab-sf', 'count-injected', 'injected'),
      {
        id: 'count-distinct',
        z: 'tab-sf',
        type: 'function',
        // What the receiver accepted (not what it answered 503 to), counted once per point.
        func: "if (flow.get('outage')) return null;\nconst seen = flow.get('seen') || {};\nfor (const p of msg.payload) seen[p.ts] = 1;\nflow.set('seen', seen);\nflow.set('distinct', Object.keys(seen).length);\nreturn null;",
        outputs: 0,
        wires: [],
      },
      ...flowContextProbe('tab-sf', '/probe', ['received', 'injected', 'distinct']),
      {
        id: 'outage-in',
        z: 'tab-sf',
        type: 'http in',
        url: '/outage',
        method: 'post',
        wires: [['outage-map', 'outage-out']],
      },
      {
        // JSON bodies must be objects: {"on": true} in, a plain boolean on to the example's outage switch.
        id: 'outage-map',
        z: 'tab-sf',
        type: 'change',
        rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'payload.on', tot: 'msg' }],
        wires: [['sf-outage']],
      },
      { id: 'outage-out', z: 'tab-sf', type: 'http response', wires: [] },
    ];
    await red.deploy([...flow, ...probe]);
    const received = async () =>
      ((await (await fetch(`${red.url}/probe`)).json()) as { received?: number }).received ?? 0;
    const outage = (on: boolean) =>
      fetch(`${red.url}/outage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ on }),
      });

    await waitFor('points to arrive', async () => ((await received()) > 20 ? true : undefined), 10_000);
    await outage(true);
    await sleep(1500);
    const duringOutage = await received();
    await sleep(500);
    expect(await received()).toBe(duringOutage);
    await outage(false);
    await waitFor(
      'the backlog to drain',
      async () => ((await received()) > duringOutage + 60 ? true : undefined),
      10_000,
    );

    // A redeploy in the middle: the backlog and the batch in flight survive it.
    await red.deploy([...flow, ...probe]);
    await waitFor(
      'points after the redeploy',
      async () => ((await received()) > duringOutage + 120 ? true : undefined),
      10_000,
    );
    expect(red.log()).not.toMatch(/\[error\]/);
  });
  it('probes a link that refuses connections with one batch every base delay, and resumes as soon as it is back', async () => {
    const link = await startWanLink({ target: { host: '127.0.0.1', port: red.port } });
    const z = 'tab-refused';
    const at = (id: string, type: string, props: Record<string, unknown>, wires: string[][] = []) => ({
      id,
      z,
      type,
      wires,
      ...props,
    });
    const flow: FlowNode[] = [
      { id: z, type: 'tab', label: 'refused' },
      at(
        'r-source',
        'inject',
        { repeat: '0.02', once: true, payload: '{"metric":"m","value":1}', payloadType: 'json' },
        [['r-buffer']],
      ),
      at(
        'r-buffer',
        'store-forward',
        {
          storeName: 'refused-link',
          directory: '',
          batchRows: '10',
          maxWaitMs: '50',
          window: '4',
          order: 'live-first',
          ackTimeoutS: '5',
          backoffBaseS: '0.2',
          backoffMaxS: '30',
          statsIntervalS: '0.2',
        },
        [['r-post'], ['r-stats']],
      ),
      // As the shipped example wires it: errors only to the Catch node, which hands them back.
      at(
        'r-post',
        'http request',
        {
          method: 'POST',
          ret: 'txt',
          paytoqs: 'ignore',
          url: `${link.url}/refused-sink`,
          senderr: true,
          headers: [],
        },
        [['r-buffer']],
      ),
      at('r-catch', 'catch', { scope: ['r-post'], uncaught: false }, [['r-buffer']]),
      at('r-stats', 'change', {
        rules: [{ t: 'set', p: 'retries', pt: 'flow', to: 'payload.retries', tot: 'msg' }],
      }),
      at('r-sink', 'http in', { url: '/refused-sink', method: 'post', upload: false }, [['r-count', 'r-ok']]),
      flowCounter(z, 'r-count', 'received'),
      at('r-ok', 'http response', { statusCode: '200' }),
      ...flowContextProbe(z, '/refused-probe', ['received', 'retries']),
    ];
    const probe = async () =>
      (await (await fetch(`${red.url}/refused-probe`)).json()) as { received?: number; retries?: number };
    try {
      await red.deploy(flow);
      await waitFor(
        'points to arrive',
        async () => (((await probe()).received ?? 0) > 20 ? true : undefined),
        10_000,
      );
      await link.cut();
      await sleep(500);
      const before = await probe();
      // Ten seconds of refused connections: with its backoff grown toward 30 s, a retry would come seconds late.
      await sleep(10_000);
      const during = await probe();
      expect(during.received).toBe(before.received);
      await link.restore();
      const restored = Date.now();
      await waitFor(
        'delivery to resume',
        async () => (((await probe()).received ?? 0) > (during.received ?? 0) ? true : undefined),
        10_000,
        20,
      );
      // Within the base delay (0.1-0.2 s) and the node's tick, with room for a busy machine.
      expect(Date.now() - restored).toBeLessThan(2000);
      // One batch probed at a time, at most every 0.1 s, not four.
      const retries = (during.retries ?? 0) - (before.retries ?? 0);
      expect(retries).toBeGreaterThan(10);
      expect(retries).toBeLessThanOrEqual(100);
      await waitFor(
        'the backlog to drain',
        async () => {
          const now = await probe();
          return (now.received ?? 0) > (during.received ?? 0) + 500 ? true : undefined;
        },
        10_000,
      );
      expect(red.log()).not.toMatch(/\[error\]/);
    } finally {
      await red.deploy([]);
      await link.stop();
    }
  });
});

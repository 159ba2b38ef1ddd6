// POST /edge/points of flows/edge-agent.json in a real Node-RED: the answer comes only once store-forward has
// committed the points (200 {accepted}), and a refusal is answered with the reason, nothing of it stored: 400 for
// items that are not points, 413 for more than the buffer holds, 503 for a full buffer; 415 for a body that is not
// declared JSON (a web page can make a browser post a form or text/plain to it, never JSON).
// The nodes are the shipped ones; only the buffer is made small (100 points, refuse new) so it fills at once.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeRed, telemetryPoint, type FlowNode, type NodeRed } from '@plantwire/testkit';

const root = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = [
  'edge',
  'edge-points-in',
  'edge-points-json',
  'edge-points-not-json',
  'edge-points-buffer',
  'edge-points-refused',
  'edge-refusal',
  'edge-accepted',
  'edge-status-in',
  'edge-status',
  'edge-status-out',
];

function entryFlow(): FlowNode[] {
  const nodes = JSON.parse(readFileSync(`${root}/flows/edge-agent.json`, 'utf8')) as FlowNode[];
  return nodes
    .filter((node) => ENTRY.includes(node.id))
    .map((node) =>
      node.id === 'edge-points-buffer'
        ? { ...node, maxRows: '100', fullPolicy: 'reject-new', wires: [[], []] }
        : node,
    );
}

describe('the edge POST /edge/points', () => {
  let edge: NodeRed;
  beforeAll(async () => {
    edge = await startNodeRed({ flows: entryFlow() });
  }, 120_000);
  afterAll(async () => {
    await edge?.stop();
  });

  const post = async (body: string) => {
    const response = await fetch(`${edge.url}/edge/points`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
    });
    return { status: response.status, body: (await response.json()) as { accepted: number; error?: string } };
  };
  const points = (first: number, count: number) =>
    JSON.stringify(Array.from({ length: count }, (_, i) => telemetryPoint(Date.UTC(2026, 0, 5) + first + i)));

  it('answers 200 with the count once the points are committed, and counts them in GET /edge/status', async () => {
    expect(await post(points(0, 60))).toEqual({ status: 200, body: { accepted: 60 } });
    expect(await post(JSON.stringify(telemetryPoint(Date.UTC(2026, 0, 6))))).toEqual({
      status: 200,
      body: { accepted: 1 },
    });
    const status = (await (await fetch(`${edge.url}/edge/status`)).json()) as { accepted: number };
    expect(status.accepted).toBe(61);
  });

  it('answers 503 with the reason when store-forward refuses, and stores nothing of that request', async () => {
    const refused = await post(points(100, 50));
    expect(refused.status).toBe(503);
    expect(refused.body.accepted).toBe(0);
    expect(refused.body.error).toMatch(/full/i);
    const status = (await (await fetch(`${edge.url}/edge/status`)).json()) as { accepted: number };
    expect(status.accepted).toBe(61);
  });

  it('answers 400 for items that are not points and 413 for more than the buffer holds: sending again cannot work', async () => {
    const notPoints = await post('[1]');
    expect(notPoints).toEqual({
      status: 400,
      body: { accepted: 0, error: expect.stringMatching(/item 0 must be an object \(got number\)/) },
    });
    const tooMany = await post(points(200, 101));
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error).toMatch(/101 items \(\d+ bytes\) do not fit a queue of 100 items/);
    const status = (await (await fetch(`${edge.url}/edge/status`)).json()) as { accepted: number };
    expect(status.accepted).toBe(61);
  });

  it('answers 415 to a body not declared JSON (a form, text/plain: what a web page can post), storing nothing', async () => {
    const point = JSON.stringify(telemetryPoint(Date.UTC(2026, 0, 7)));
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', `${point}=`],
      ['text/plain', point],
      ['multipart/form-data; boundary=x', `--x\r\n\r\n${point}\r\n--x--`],
      [undefined, point],
    ] as const) {
      const response = await fetch(`${edge.url}/edge/points`, {
        method: 'POST',
        headers: { Origin: 'https://elsewhere.example', ...(type && { 'Content-Type': type }) },
        body: type ? body : new Blob([body]),
      });
      expect(response.status, type).toBe(415);
      expect(await response.json()).toEqual({
        accepted: 0,
        error: expect.stringMatching(/application\/json/),
      });
    }
    // JSON, with a charset and in any case, is taken.
    const response = await fetch(`${edge.url}/edge/points`, {
      method: 'POST',
      headers: { 'Content-Type': 'Application/JSON; charset=utf-8' },
      body: '[]',
    });
    expect(response.status).toBe(200);
    const status = (await (await fetch(`${edge.url}/edge/status`)).json()) as { accepted: number };
    expect(status.accepted).toBe(61);
  });
});

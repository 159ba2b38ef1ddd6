// scripts/deploy-flows.mjs as docker/compose.yaml runs it, against a stand-in for a Node-RED's admin API: it waits
// for a Node-RED that is not up yet or failing for now (a network error, 5xx), and stops at once, with one line
// and exit 1, on what waiting cannot mend (a refused deploy, a missing URL).
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startProcess } from '@plantwire/testkit';

const script = join(import.meta.dirname, '..', 'scripts', 'deploy-flows.mjs');
const env = { ...process.env, PLANTWIRE_INGEST_TOKEN: 'test-token' };

/** A stand-in admin API: `answer` gives each request's status and body; every request is kept. */
function adminApi(port: number, answer: (method: string, n: number) => [number, string]) {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      requests.push(request.method!);
      const [status, body] = answer(request.method!, requests.filter((m) => m === request.method).length);
      response.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
    });
  });
  return new Promise<{ server: Server; requests: string[] }>((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ server, requests })),
  );
}

const deployFlows = (...args: string[]) => startProcess(process.execPath, [script, ...args], { env });

describe('deploy-flows.mjs', () => {
  let server: Server | undefined;
  afterEach(() => void server?.close());

  it('--edge without a URL: says so and exits 1 at once, without a stack', async () => {
    const run = deployFlows('--edge');
    expect(await run.exited).toBe(1);
    expect(run.output().trim()).toBe(
      'deploy-flows: --edge wants the URL of its Node-RED (such as http://edge:1880), not nothing',
    );
  });

  it('a deploy the Node-RED refuses (400): one try, its answer, exit 1', async () => {
    const port = await freePort();
    const api = await adminApi(port, (method) => (method === 'GET' ? [200, '[]'] : [400, 'invalid flows']));
    server = api.server;
    const started = Date.now();
    const run = deployFlows('--edge', `http://127.0.0.1:${port}`);
    expect(await run.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(api.requests).toEqual(['GET', 'POST']);
    expect(run.output().trim()).toBe(`deploy-flows: http://127.0.0.1:${port}: 400 invalid flows`);
  });

  it('a Node-RED not up yet, then failing for now (503): waited for, then deployed', async () => {
    const port = await freePort();
    const run = deployFlows('--edge', `http://127.0.0.1:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(run.exitStatus()).toBeUndefined();
    const api = await adminApi(port, (method, n) =>
      method === 'GET' ? (n === 1 ? [503, 'starting'] : [200, '[]']) : [204, ''],
    );
    server = api.server;
    expect(await run.exited).toBe(0);
    expect(api.requests).toEqual(['GET', 'GET', 'POST']);
    expect(run.output()).toContain(`deployed the edge flows to http://127.0.0.1:${port}`);
  }, 30_000);
});

import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, coreNode, nodeRedTestHelper, telemetryPoint, until } from '@plantwire/testkit';

// questdb-config inside Node-RED: its settings, its credentials and its health as its write nodes show them.
const require = createRequire(import.meta.url);
const configNode = require('../dist/nodes/questdb-config/questdb-config.js');
const writeNode = require('../dist/nodes/questdb-write/questdb-write.js');
const catchNode = coreNode('common/25-catch');
const helper = nodeRedTestHelper();

const flow = (config: Record<string, unknown>) => [
  { id: 'db', type: 'questdb-config', url: 'http://127.0.0.1:9', flushIntervalMs: '20', ...config },
  { id: 'write', type: 'questdb-write', server: 'db', table: 'nowhere', wires: [['written'], ['rejected']] },
  { id: 'written', type: 'helper' },
  { id: 'rejected', type: 'helper' },
  { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper' },
];

const spy = (id: string, method: 'warn' | 'error' | 'log') => (helper.getNode(id) as any)[method];

describe('questdb-config inside Node-RED', () => {
  beforeAll(() => helper.startServer());
  afterEach(() => helper.unload());
  afterAll(() => helper.stopServer());

  it('refuses a bad setting with an error naming it, and its write node answers not configured, saying why', async () => {
    await helper.load([configNode, writeNode, catchNode], flow({ maxAttempts: '0' }));
    expect(
      spy('db', 'error').calledWithMatch(
        /^questdb-config: maxAttempts must be a whole number of 1 or more \(got "0"\)/,
      ),
    ).toBe(true);
    expect(helper.getNode('db')!.refused).toMatch(/maxAttempts/);
    expect(
      spy('write', 'error').calledWithMatch(/^questdb-write: .*refused its settings: maxAttempts must be/),
    ).toBe(true);
    const caught = collect(helper, 'caught');
    helper.getNode('write')!.receive({ payload: telemetryPoint(Date.UTC(2026, 0, 5)) });
    await until('the error', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(
      /questdb-write: not configured \(see the error logged at deploy\)/,
    );
  });

  it('refuses an address without http(s) and a CA file it cannot read, at deploy', async () => {
    await helper.load([configNode, writeNode, catchNode], flow({ url: '127.0.0.1:9000' }));
    expect(
      spy('db', 'error').calledWithMatch(
        /^questdb-config: url must be an http:\/\/ or https:\/\/ address, such as http:\/\/127.0.0.1:9000 \(got "127.0.0.1:9000"\)/,
      ),
    ).toBe(true);
    await helper.unload();
    await helper.load(
      [configNode, writeNode, catchNode],
      flow({ url: 'https://127.0.0.1:9000', caFile: '/nowhere/ca.pem' }),
    );
    expect(
      spy('db', 'error').calledWithMatch(
        /^questdb-config: caFile cannot be read: .*ENOENT.*\/nowhere\/ca.pem/,
      ),
    ).toBe(true);
    expect(spy('write', 'error').calledWithMatch(/refused its settings: caFile cannot be read/)).toBe(true);
  });

  it('keeps the credentials out of the exported flow', async () => {
    // Node-RED keeps them in its credentials store, apart from the flow.
    const credentials = { username: 'admin', password: 'quest-secret', token: 'token-secret' };
    await helper.load([configNode, writeNode, catchNode], flow({}), { db: credentials });
    expect(helper.getNode('db')!.credentials).toEqual(credentials);
    const exported = (helper as any)._redNodes.getFlows().flows as Record<string, unknown>[];
    expect(exported.find((node) => node.id === 'db')).toMatchObject({ type: 'questdb-config' });
    expect(JSON.stringify(exported)).not.toMatch(/admin|quest-secret|token-secret/);
  });

  it('passes its health on to its write nodes: retrying shows as a yellow ring', async () => {
    await helper.load([configNode, writeNode, catchNode], flow({ maxAttempts: '3', requestTimeoutS: '1' }));
    const statuses: any[] = [];
    helper
      .getNode('write')!
      .on('call:status' as never, ((call: any) => statuses.push(call.args[0])) as never);
    const caught = collect(helper, 'caught');
    helper.getNode('write')!.receive({ payload: telemetryPoint(Date.UTC(2026, 0, 5)) });
    await until('the retrying status', () => statuses.some((s) => /^retrying: /.test(s.text)), 20_000);
    expect(statuses.find((s) => /^retrying: /.test(s.text))).toMatchObject({ fill: 'yellow', shape: 'ring' });
    expect(helper.getNode('db')!.health).toMatchObject({ state: 'retrying' });
    await until('the error', () => caught.length === 1, 20_000);
    expect(caught[0].error.message).toMatch(/QuestDB unavailable/);
  }, 30_000);

  it('a write node redeployed while its server retries shows it at once, not at its first message', async () => {
    await helper.load([configNode, writeNode, catchNode], flow({ maxAttempts: '3', requestTimeoutS: '1' }));
    helper.getNode('write')!.receive({ payload: telemetryPoint(Date.UTC(2026, 0, 5)) });
    await until('retrying', () => (helper.getNode('db') as any).health?.state === 'retrying');
    // A "modified nodes" deploy of the write node alone: the config node, and its health, stay.
    await helper.setFlows(
      flow({ maxAttempts: '3', requestTimeoutS: '1' }).map((n) =>
        n.id === 'write' ? { ...n, name: 'renamed' } : n,
      ),
      'nodes',
    );
    const write = helper.getNode('write') as any;
    const shown = write.status.getCalls().filter((call: any) => call.thisValue === write);
    expect(shown.map((call: any) => call.args[0])).toContainEqual(
      expect.objectContaining({ fill: 'yellow', shape: 'ring', text: expect.stringMatching(/^retrying: /) }),
    );
  });

  it('closes in time while QuestDB is unreachable (a redeploy, Ctrl-C), passing on nothing it did not commit', async () => {
    // The default retries (10, backoff up to 30 s) would hold the close past Node-RED's 15 s close timeout. The
    // message is not passed on (a store-forward upstream is not acked, and sends its rows again).
    await helper.load([configNode, writeNode, catchNode], flow({}));
    const written = collect(helper, 'written');
    helper.getNode('write')!.receive({ payload: telemetryPoint(Date.UTC(2026, 0, 5)) });
    await until('retrying', () => (helper.getNode('db') as any).health?.state === 'retrying');
    const started = Date.now();
    await helper.unload();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(written).toEqual([]);
  });
});

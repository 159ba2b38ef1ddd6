import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { coreNode, nodeRedTestHelper, startNodeRed, type NodeRed } from '@plantwire/testkit';

// A node made for this test only: it proves the helper runs a node inside the real runtime (send/done, errors).
function upperCaseNode(RED: any) {
  function UpperCase(this: any, config: Record<string, unknown>) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg: any, send: any, done: any) => {
      if (typeof msg.payload !== 'string') return done(new Error('payload must be a string'));
      send({ ...msg, payload: msg.payload.toUpperCase() });
      done();
    });
  }
  RED.nodes.registerType('upper-case', UpperCase);
}

describe('node-red-node-test-helper under vitest (promise API)', () => {
  const helper = nodeRedTestHelper();
  beforeAll(() => helper.startServer());
  afterEach(() => helper.unload());
  afterAll(() => helper.stopServer());

  const flow = [
    { id: 'n1', type: 'upper-case', wires: [['out']] },
    { id: 'out', type: 'helper' },
    { id: 'c1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];

  it('runs a node in the runtime and sees what it sends', async () => {
    await helper.load(upperCaseNode, flow);
    const received = new Promise<any>((resolve) => helper.getNode('out')!.on('input', resolve as never));
    helper.getNode('n1')!.receive({ payload: 'spindle' });
    expect((await received).payload).toBe('SPINDLE');
  });

  it('routes done(err) to a Catch node', async () => {
    await helper.load([upperCaseNode, coreNode('common/25-catch')], flow);
    const caught = new Promise<any>((resolve) => helper.getNode('caught')!.on('input', resolve as never));
    helper.getNode('n1')!.receive({ payload: 42 });
    expect((await caught).error.message).toBe('Error: payload must be a string');
  });
});

describe('a real Node-RED process from a userDir', () => {
  let red: NodeRed;
  afterEach(async () => {
    await red?.stop();
  });

  it('starts, deploys through the admin API, serves the flow, and stops cleanly', async () => {
    red = await startNodeRed({
      flows: [
        { id: 'tab', type: 'tab', label: 'ping' },
        { id: 'in', z: 'tab', type: 'http in', url: '/ping', method: 'get', wires: [['fn']] },
        {
          id: 'fn',
          z: 'tab',
          type: 'function',
          func: 'msg.payload = { pong: true };\nreturn msg;',
          outputs: 1,
          wires: [['res']],
        },
        { id: 'res', z: 'tab', type: 'http response', wires: [] },
      ],
    });
    expect(red.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${red.url}/ping`)).json()).toEqual({ pong: true });
    const flows = await red.api<{ id: string }[]>('/flows');
    expect(flows.map((n) => n.id)).toEqual(['tab', 'in', 'fn', 'res']);
    expect(await red.stop()).toBe(0);
    expect(red.log()).toMatch(/Stopped flows/);
  });

  it('fails a deploy that uses a node type the runtime does not have, naming the type', async () => {
    red = await startNodeRed();
    await expect(red.deploy([{ id: 'x', type: 'no-such-node', wires: [] }])).rejects.toThrow(
      /missing types.*no-such-node/,
    );
  });
});

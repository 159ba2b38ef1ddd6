// kafka-config, kafka-produce and kafka-consume inside Node-RED, without a cluster: settings refused at deploy,
// a missing cluster, bad answers, and unreachable brokers (a yellow ring, no error). The real cluster is in
// kafka-cluster.e2e.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, freePort, nodeRedTestHelper, telemetryPoint, until } from '@plantwire/testkit';
import { NODE_MODULES } from './fixtures/flows.js';

const helper = nodeRedTestHelper();

const flow = (config: Record<string, unknown>, produce: Record<string, unknown> = {}, consume = {}) => [
  { id: 'kafka', type: 'kafka-config', brokers: '127.0.0.1:9', connectionTimeoutS: '0.5', ...config },
  { id: 'produce', type: 'kafka-produce', cluster: 'kafka', topic: 'points', wires: [['sent']], ...produce },
  { id: 'consume', type: 'kafka-consume', cluster: 'kafka', topic: 'points', wires: [['got']], ...consume },
  { id: 'sent', type: 'helper' },
  { id: 'got', type: 'helper' },
  { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', type: 'helper' },
];

const spy = (id: string, method: 'warn' | 'error' | 'log') => (helper.getNode(id) as any)[method];
const statuses = (id: string) => {
  const seen: any[] = [];
  helper.getNode(id)!.on('call:status' as never, ((call: any) => seen.push(call.args[0])) as never);
  return seen;
};

describe('kafka nodes inside Node-RED', () => {
  beforeAll(() => helper.startServer());
  afterEach(() => helper.unload());
  afterAll(() => helper.stopServer());

  it('kafka-config refuses a broker that is not host:port, and both nodes answer not configured, saying why', async () => {
    await helper.load(NODE_MODULES, flow({ brokers: 'kafka-1:9092, kafka-2' }));
    expect(
      spy('kafka', 'error').calledWithMatch(/^kafka-config: brokers must be host:port .*\(got "kafka-2"\)/),
    ).toBe(true);
    for (const id of ['produce', 'consume'])
      expect(spy(id, 'error').calledWithMatch(/settings were refused: brokers must be/)).toBe(true);
    const caught = collect(helper, 'caught');
    helper.getNode('produce')!.receive({ payload: telemetryPoint(Date.UTC(2026, 0, 5)) });
    await until('the error', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/kafka-produce: not configured/);
  });

  it('kafka-config refuses SASL without credentials, and keeps credentials out of the flow', async () => {
    await helper.load(NODE_MODULES, flow({ sasl: 'scram-sha-512' }));
    expect(spy('kafka', 'error').calledWithMatch(/SASL scram-sha-512 needs a username and a password/)).toBe(
      true,
    );
    await helper.unload();
    const credentials = { username: 'edge', password: 'kafka-secret' };
    await helper.load(NODE_MODULES, flow({ sasl: 'scram-sha-512' }), { kafka: credentials });
    expect(helper.getNode('kafka')!.refused).toBeUndefined();
    expect(helper.getNode('kafka')!.credentials).toEqual(credentials);
    const exported = (helper as any)._redNodes.getFlows().flows as Record<string, unknown>[];
    expect(JSON.stringify(exported)).not.toMatch(/kafka-secret/);
  });

  it("kafka-produce with default settings deploys without kafkajs's EoS warning (logged at debug)", async () => {
    await helper.load(NODE_MODULES, flow({}));
    const debug = (helper.getNode('kafka') as any).debug;
    await until('the producer made', () =>
      debug.calledWithMatch(/Limiting retries for the idempotent producer/),
    );
    expect(spy('kafka', 'warn').calledWithMatch(/Limiting retries/)).toBe(false);
  });

  it('kafka-config warns at deploy that SASL PLAIN without TLS sends the password in clear, and not with TLS', async () => {
    const credentials = { kafka: { username: 'edge', password: 'kafka-secret' } };
    await helper.load(NODE_MODULES, flow({ sasl: 'plain' }), credentials);
    expect(
      spy('kafka', 'warn').calledWithMatch(/^kafka-config: SASL PLAIN without TLS sends the password/),
    ).toBe(true);
    expect(spy('kafka', 'warn').calledWithMatch(/kafka-secret/)).toBe(false);
    await helper.unload();
    await helper.load(NODE_MODULES, flow({ sasl: 'plain', tls: true }), credentials);
    expect(spy('kafka', 'warn').calledWithMatch(/SASL PLAIN without TLS/)).toBe(false);
  });

  it('refuses bad node settings at deploy, naming them: negative resend rounds, a zero in-flight window, an unknown SASL', async () => {
    await helper.load(NODE_MODULES, flow({ sasl: 'kerberos' }));
    expect(
      spy('kafka', 'error').calledWithMatch(/sasl must be one of none, plain, scram-sha-256, scram-sha-512/),
    ).toBe(true);
    await helper.unload();
    await helper.load(NODE_MODULES, flow({}, { maxResends: '-1' }, { maxInFlight: '0' }));
    expect(
      spy('produce', 'error').calledWithMatch(/maxResends must be a whole number of 0 or more \(got "-1"\)/),
    ).toBe(true);
    expect(
      spy('consume', 'error').calledWithMatch(/maxInFlight must be a whole number of 1 or more \(got "0"\)/),
    ).toBe(true);
  });

  it('refuses a flag that is not true or false at deploy: tls 0 would turn TLS on, fromBeginning 0 replay the topic', async () => {
    await helper.load(NODE_MODULES, flow({ tls: 0 }));
    expect(spy('kafka', 'error').calledWith('kafka-config: tls must be true or false (got 0)')).toBe(true);
    await helper.unload();
    await helper.load(NODE_MODULES, flow({}, {}, { fromBeginning: 0 }));
    expect(
      spy('consume', 'error').calledWith('kafka-consume: fromBeginning must be true or false (got 0)'),
    ).toBe(true);
  });

  it('refuses at deploy timeouts past their maxima (timers overflow, brokers refuse) and topic names Kafka refuses', async () => {
    await helper.load(NODE_MODULES, flow({ connectionTimeoutS: '600' }));
    expect(
      spy('kafka', 'error').calledWithMatch(
        /connectionTimeoutS must be a number from 0.1 to 300 \(got "600"\)/,
      ),
    ).toBe(true);
    const refused = async (produce: Record<string, unknown>, consume: Record<string, unknown>) => {
      await helper.unload();
      await helper.load(NODE_MODULES, flow({}, produce, consume));
      return [spy('produce', 'error'), spy('consume', 'error')];
    };
    let [produced, consumed] = await refused({ topic: 'plant points' }, { ackTimeoutS: '100000' });
    expect(
      produced.calledWithMatch(
        /^kafka-produce: topic must be a Kafka topic name: 1 to 249 letters, digits, '\.', '_' or '-', .*\(got "plant points"\)$/,
      ),
    ).toBe(true);
    expect(consumed.calledWithMatch(/ackTimeoutS must be a number from 0.1 to 86400 \(got "100000"\)/)).toBe(
      true,
    );
    [produced, consumed] = await refused({ topic: '..' }, { retryDelayS: '7200' });
    expect(produced.calledWithMatch(/topic must be a Kafka topic name: .*\(got "\.\."\)/)).toBe(true);
    expect(consumed.calledWithMatch(/retryDelayS must be a number from 0.01 to 3600 \(got "7200"\)/)).toBe(
      true,
    );
    [, consumed] = await refused({}, { sessionTimeoutS: '3600' });
    expect(consumed.calledWithMatch(/sessionTimeoutS must be a number from 6 to 1800 \(got "3600"\)/)).toBe(
      true,
    );
    [, consumed] = await refused({}, { topic: 'line/1' });
    expect(consumed.calledWithMatch(/topic must be a Kafka topic name: .*\(got "line\/1"\)/)).toBe(true);
    const caught = collect(helper, 'caught');
    helper.getNode('consume')!.receive({ payload: 1, kafka: { consumer: 'consume', token: 't' } });
    await until('the error', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/kafka-consume: not configured/);
  });

  it('says so when no cluster is chosen, and answers each message with an error', async () => {
    await helper.load(NODE_MODULES, flow({}, { cluster: '' }));
    expect(spy('produce', 'error').calledWithMatch(/choose a kafka-config node/)).toBe(true);
    const caught = collect(helper, 'caught');
    helper.getNode('produce')!.receive({ payload: [] });
    await until('the error', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/no Kafka cluster chosen/);
  });

  it('shows unreachable brokers as a yellow ring and logs no error; a message waits while they are first tried', async () => {
    const port = await freePort();
    await helper.load(NODE_MODULES, flow({ brokers: `127.0.0.1:${port}` }));
    const produced = statuses('produce');
    const consumed = statuses('consume');
    const caught = collect(helper, 'caught');
    helper.getNode('produce')!.receive({ payload: [telemetryPoint(Date.UTC(2026, 0, 5))] });
    await until(
      'both to show the brokers unreachable',
      () => [produced, consumed].every((seen) => seen.some((s) => /^brokers unreachable/.test(s.text ?? ''))),
      20_000,
    );
    expect(produced.find((s) => /^brokers unreachable/.test(s.text))).toMatchObject({
      fill: 'yellow',
      shape: 'ring',
    });
    expect(spy('produce', 'error').called).toBe(false);
    expect(spy('consume', 'error').called).toBe(false);
    expect(caught).toEqual([]);
    // Once a connect has failed, kafka-produce answers at once, so store-forward backs off.
    helper.getNode('produce')!.receive({ payload: [telemetryPoint(Date.UTC(2026, 0, 5))] });
    await until('the answer', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/kafka-produce: brokers unreachable, not sent/);
  }, 30_000);

  it("kafka-consume refuses a message that is not an answer, and another consumer's answer, in a red ring", async () => {
    await helper.load(NODE_MODULES, flow({}));
    const caught = collect(helper, 'caught');
    const seen = statuses('consume');
    helper.getNode('consume')!.receive({ payload: 1 });
    await until('the first error', () => caught.length === 1);
    expect(caught[0].error.message).toMatch(/kafka-consume: expected an answer for a delivery/);
    expect(seen).toContainEqual({
      fill: 'red',
      shape: 'ring',
      text: 'refused a message that is not an answer',
    });
    helper.getNode('consume')!.receive({ payload: 1, kafka: { consumer: 'other', token: '0:1' } });
    await until('the second error', () => caught.length === 2);
    expect(caught[1].error.message).toMatch(/belongs to another kafka-consume node \(other\)/);
    expect(seen).toContainEqual({
      fill: 'red',
      shape: 'ring',
      text: "refused another node's answer (other)",
    });
  });
});

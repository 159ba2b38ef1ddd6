// The plant broker's rules, on both brokers a user may run: the demo's aedes (in process) and Debian's mosquitto
// with the ACL and password files the same rules write. No anonymous or wrong-password client; a device
// publishes only under its own v1/{tenant}/{plant}/ and reads only its plant's cmd topic.
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  filterWithin,
  mosquittoAcl,
  mqttClients,
  sleep,
  startAedesBroker,
  startMosquitto,
  waitFor,
  type Broker,
  type MqttAccount,
} from '@plantwire/testkit';

const ACCOUNTS: MqttAccount[] = [
  { username: 'edge-plant-01', password: 'pw-edge-1', role: 'device', tenant: 'acme', plant: 'plant-01' },
  { username: 'edge-plant-02', password: 'pw-edge-2', role: 'device', tenant: 'acme', plant: 'plant-02' },
  { username: 'cloud-acme', password: 'pw-cloud', role: 'service', tenant: 'acme' },
  { username: 'cloud-globex', password: 'pw-globex', role: 'service', tenant: 'globex' },
];

describe('topic rules', () => {
  it.each([
    ['v1/acme/plant-01/line-1/cnc-01/temperature', 'v1/acme/plant-01/#', true],
    ['v1/acme/plant-02/line-1/cnc-01/temperature', 'v1/acme/plant-01/#', false],
    ['v1/acme/plant-01/cmd', 'v1/acme/plant-01/cmd', true],
    ['v1/acme/+/cmd', 'v1/acme/plant-01/cmd', false],
    ['v1/acme/#', 'v1/acme/plant-01/cmd', false],
    ['v1/acme/plant-01/cmd', 'v1/acme/+/cmd', true],
    ['v1/acme/+/cmd', 'v1/acme/#', true],
    ['v1/globex/plant-01/cmd', 'v1/acme/#', false],
    ['v1/acme/plant-01', 'v1/acme/plant-01/#', true],
    ['v1/acme/plant-010/x', 'v1/acme/plant-01/#', false],
  ])('%s within %s: %s', (inner, outer, within) => {
    expect(filterWithin(inner, outer)).toBe(within);
  });

  it('writes the rules as a mosquitto ACL file', () => {
    expect(mosquittoAcl(ACCOUNTS.slice(0, 1).concat(ACCOUNTS[2]!))).toBe(
      '# Plantwire MQTT ACL: devices publish under their own plant and read its cmd topic only.\n' +
        'user edge-plant-01\ntopic write v1/acme/plant-01/#\ntopic read v1/acme/plant-01/cmd\n\n' +
        'user cloud-acme\ntopic write v1/acme/+/cmd\ntopic read v1/acme/#\n',
    );
  });
});

describe.each([
  ['aedes (the demo broker)', () => startAedesBroker({ accounts: ACCOUNTS })],
  ['mosquitto (ACL and password files)', () => startMosquitto({ accounts: ACCOUNTS })],
])('%s: who may publish and read what', (_name, start) => {
  let broker: Broker;
  const { as, inbox, endAll } = mqttClients(
    () => broker.url,
    (username) => ACCOUNTS.find((a) => a.username === username)?.password,
  );
  beforeAll(async () => {
    broker = await start();
  });
  afterAll(async () => {
    endAll();
    await broker?.stop();
  });

  it('refuses anonymous clients and wrong passwords', async () => {
    await expect(connectAsync(broker.url, { reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow();
    await expect(
      connectAsync(broker.url, {
        username: 'edge-plant-01',
        password: 'guess',
        reconnectPeriod: 0,
        connectTimeout: 5000,
      }),
    ).rejects.toThrow(/Not authorized|Bad username or password|bad user/i);
  });

  it("a device publishes only under its own plant; the cloud sees nothing of the rest; another tenant's cloud nothing at all", async () => {
    const cloud = await as('cloud-acme');
    const globex = await as('cloud-globex');
    const seen = inbox(cloud);
    const seenByGlobex = inbox(globex);
    await cloud.subscribeAsync('v1/acme/#', { qos: 1 });
    await globex.subscribeAsync('v1/#', { qos: 1 }).catch(() => undefined);
    const device = await as('edge-plant-01');
    await device.publishAsync('v1/acme/plant-01/line-1/cnc-01/temperature', '1', { qos: 1 });
    await waitFor(
      'its own point',
      async () => seen.includes('v1/acme/plant-01/line-1/cnc-01/temperature') || undefined,
      5000,
    );
    // Refused publishes: mosquitto drops them, aedes also disconnects the device; neither delivers them.
    for (const topic of [
      'v1/acme/plant-02/line-1/cnc-01/temperature',
      'v1/globex/plant-01/x',
      'v1/acme/plant-010/x',
    ]) {
      const intruder = await as('edge-plant-01');
      await Promise.race([intruder.publishAsync(topic, '1', { qos: 1 }).catch(() => undefined), sleep(1000)]);
    }
    await sleep(500);
    expect(seen).toEqual(['v1/acme/plant-01/line-1/cnc-01/temperature']);
    expect(seenByGlobex).toEqual([]);
  });

  it("a device reads only its plant's cmd topic, whatever it subscribes to", async () => {
    const device = await as('edge-plant-01');
    const got = inbox(device);
    for (const filter of ['v1/acme/plant-01/cmd', 'v1/acme/#', 'v1/acme/plant-02/cmd', '#']) {
      await device.subscribeAsync(filter, { qos: 1 }).catch(() => undefined);
    }
    const cloud = await as('cloud-acme');
    await cloud.publishAsync('v1/acme/plant-02/cmd', 'for plant 2', { qos: 1 });
    const other = await as('edge-plant-02');
    await other.publishAsync('v1/acme/plant-02/line-1/m/temperature', '2', { qos: 1 });
    await cloud.publishAsync('v1/acme/plant-01/cmd', 'for plant 1', { qos: 1 });
    await waitFor('its own command', async () => got.includes('v1/acme/plant-01/cmd') || undefined, 5000);
    await sleep(500);
    expect([...new Set(got)]).toEqual(['v1/acme/plant-01/cmd']);
  });

  it('the cloud publishes commands, not points', async () => {
    const watcher = await as('cloud-acme');
    const seen = inbox(watcher);
    await watcher.subscribeAsync('v1/acme/#', { qos: 1 });
    const cloud = await as('cloud-acme');
    await Promise.race([
      cloud.publishAsync('v1/acme/plant-01/line-1/fake/temperature', '9', { qos: 1 }).catch(() => undefined),
      sleep(1000),
    ]);
    const again = await as('cloud-acme');
    await again.publishAsync('v1/acme/plant-01/cmd', '{}', { qos: 1 });
    await waitFor('the command', async () => seen.includes('v1/acme/plant-01/cmd') || undefined, 5000);
    expect(seen).not.toContain('v1/acme/plant-01/line-1/fake/temperature');
  });
});

import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startAedesBroker, startMosquitto, type Broker } from '@plantwire/testkit';

async function roundTrip(broker: Broker): Promise<string[]> {
  const subscriber = await mqtt.connectAsync(broker.url, { clientId: 'plantwire-sub' });
  const publisher = await mqtt.connectAsync(broker.url, { clientId: 'plantwire-pub' });
  try {
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      subscriber.on('message', (topic, payload) => {
        received.push(`${topic} ${payload.toString()}`);
        if (received.length === 3) resolve();
      }),
    );
    await subscriber.subscribeAsync('v1/+/+/+/+/+', { qos: 1 });
    for (let i = 0; i < 3; i++)
      await publisher.publishAsync('v1/acme/p1/l1/m1/temperature', String(70 + i), { qos: 1 });
    await all;
    return received;
  } finally {
    await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
  }
}

const expected = [70, 71, 72].map((v) => `v1/acme/p1/l1/m1/temperature ${v}`);

describe('MQTT brokers', () => {
  it('aedes in process carries QoS 1 messages on loopback', async () => {
    const broker = await startAedesBroker();
    try {
      expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      expect(await roundTrip(broker)).toEqual(expected);
    } finally {
      await broker.stop();
    }
  });

  it("Debian's mosquitto runs as its own process with our config", async () => {
    const broker = await startMosquitto();
    try {
      expect(await roundTrip(broker)).toEqual(expected);
      expect(broker.process.pid).not.toBe(process.pid);
      const client = await mqtt.connectAsync(broker.url);
      const version = new Promise<string>((resolve) =>
        client.on('message', (_t, payload) => resolve(payload.toString())),
      );
      await client.subscribeAsync('$SYS/broker/version');
      expect(await version).toMatch(/^mosquitto version 2\./);
      await client.endAsync();
    } finally {
      await broker.kill();
    }
    expect(broker.process.exitStatus()).toBe('SIGKILL');
  });
});

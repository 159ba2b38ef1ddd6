import { createServer, type Server } from 'node:http';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAedesBroker, startWanLink, waitFor, type Broker, type WanLink } from '../src/index.js';

describe('WAN link (the demo outage)', () => {
  let cloud: Server;
  let broker: Broker;
  let link: WanLink;
  beforeAll(async () => {
    cloud = createServer((_req, res) => res.end('cloud'));
    await new Promise<void>((resolve) => cloud.listen(0, '127.0.0.1', resolve));
    broker = await startAedesBroker();
    const address = cloud.address() as { port: number };
    link = await startWanLink({
      target: { host: '127.0.0.1', port: address.port },
      mqttUrl: broker.url,
      commandTopic: 'v1/acme/plant-01/cmd',
      stateTopic: 'v1/acme/plant-01/link',
    });
  });
  afterAll(async () => {
    await link?.stop();
    await broker?.stop();
    cloud?.close();
  });

  const get = () =>
    fetch(`${link.url}/`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.text(),
      (e: Error) => `failed: ${(e.cause as Error | undefined)?.message ?? e.message}`,
    );

  it('passes traffic while up, refuses it while cut, and follows network_outage commands', async () => {
    expect(await get()).toBe('cloud');
    const client = await connectAsync(broker.url);
    const states: { up: boolean }[] = [];
    client.on('message', (_t, body) => states.push(JSON.parse(body.toString()) as { up: boolean }));
    await client.subscribeAsync('v1/acme/plant-01/link');
    await waitFor('the retained link state', async () => states.at(-1)?.up === true || undefined, 5000);

    await client.publishAsync('v1/acme/plant-01/cmd', JSON.stringify({ cmd: 'network_outage', value: true }));
    await waitFor('the cut', async () => states.at(-1)?.up === false || undefined, 5000);
    expect(await get()).toMatch(/failed: .*ECONNREFUSED/);

    await client.publishAsync('v1/acme/plant-01/cmd', 'not json');
    await client.publishAsync('v1/acme/plant-01/cmd', JSON.stringify({ cmd: 'clear' }));
    await client.publishAsync(
      'v1/acme/plant-01/cmd',
      JSON.stringify({ cmd: 'network_outage', value: false }),
    );
    await waitFor('the restore', async () => states.at(-1)?.up === true || undefined, 5000);
    expect(await get()).toBe('cloud');

    await client.publishAsync(
      'v1/acme/plant-01/cmd',
      JSON.stringify({ cmd: 'network_outage', value: true, duration: 1 }),
    );
    await waitFor('a timed cut', async () => states.at(-1)?.up === false || undefined, 5000);
    await waitFor('its end', async () => states.at(-1)?.up === true || undefined, 5000);
    expect(link.state().up).toBe(true);
    await client.endAsync();
  });
});

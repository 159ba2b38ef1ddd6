import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ephemeralLow, freePort } from '../src/index.js';

const listen = (port: number) =>
  new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

describe('freePort', () => {
  afterEach(() => vi.restoreAllMocks());

  it('hands out a port below the ephemeral range, which a server can then listen on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(port).toBeLessThan(ephemeralLow());
    const server = await listen(port);
    await new Promise((resolve) => server.close(resolve));
  });

  it('passes over a port that is taken', async () => {
    const taken = await listen(await freePort());
    const takenPort = (taken.address() as { port: number }).port;
    const span = ephemeralLow() - 10_000;
    // The first pick lands on the taken port, the next anywhere else.
    const random = vi
      .spyOn(Math, 'random')
      .mockReturnValueOnce((takenPort - 10_000 + 0.5) / span)
      .mockReturnValue(takenPort - 10_000 > span / 2 ? 0 : 0.999);
    const port = await freePort();
    expect(random).toHaveBeenCalledTimes(2);
    expect(port).not.toBe(takenPort);
    await new Promise((resolve) => taken.close(resolve));
  });
});

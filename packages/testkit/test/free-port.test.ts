import { createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ephemeralLow, freePort } from '../src/index.js';

const listen = (port: number) =>
  new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

/** A free port in freePort's range that freePort has not handed out (it would pass over those anyway). */
async function portNotHandedOut(): Promise<number> {
  for (let port = 20_000; ; port++) {
    const server = await listen(port).catch(() => undefined);
    if (server) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}

describe('freePort', () => {
  afterEach(() => vi.restoreAllMocks());

  it('hands out a port below the ephemeral range, which a server can then listen on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(port).toBeLessThan(ephemeralLow());
    const server = await listen(port);
    await new Promise((resolve) => server.close(resolve));
  });

  it('never hands out the same port twice, even before its user binds it', async () => {
    const span = ephemeralLow() - 10_000;
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const first = await freePort();
    expect(first).toBe(10_000 + Math.floor(0.5 * span));
    // Every pick now lands on the first port, so the second call has to look elsewhere.
    const second = await freePort();
    expect(random).toHaveBeenCalledTimes(101);
    expect(second).not.toBe(first);
  });

  it('passes over a port that is taken', async () => {
    const taken = await listen(await portNotHandedOut());
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

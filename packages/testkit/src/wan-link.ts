import { connect, createServer, type Server, type Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { freePort } from './process.js';

export interface WanLinkOptions {
  /** Where the edge connects (loopback by default). */
  host?: string;
  port?: number;
  /** Where the cloud listens. */
  target: { host: string; port: number };
  /** The plant broker: the link follows `network_outage` commands on `commandTopic` and reports on `stateTopic`. */
  mqttUrl?: string;
  commandTopic?: string;
  stateTopic?: string;
}

export interface WanLinkState {
  up: boolean;
  since: number;
}

export interface WanLink {
  /** The address the edge uses in place of the cloud's. */
  readonly url: string;
  readonly port: number;
  state(): WanLinkState;
  cut(): Promise<void>;
  restore(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The wide-area link between an edge and its cloud, as a TCP proxy that can be cut: while it is down the edge's
 * connections are refused and open ones are reset, as when a plant loses its uplink. Nothing in the edge's flow
 * knows about it, so an outage is real to the edge (errors, retries, a growing buffer) and not a pause button.
 * With `mqttUrl` it obeys `{"cmd":"network_outage","value":true|false,"duration"?}` on the plant's command topic
 * and publishes `{up, since}` (retained) on the state topic.
 */
export async function startWanLink(options: WanLinkOptions): Promise<WanLink> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const sockets = new Set<Socket>();
  let state: WanLinkState = { up: true, since: Date.now() };
  let server: Server | undefined;
  let restoreTimer: NodeJS.Timeout | undefined;
  let mqtt: MqttClient | undefined;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer((edge) => {
        const cloud = connect(options.target.port, options.target.host);
        track(edge);
        track(cloud);
        edge.pipe(cloud).pipe(edge);
        edge.on('close', () => cloud.destroy());
        cloud.on('close', () => edge.destroy());
      });
      next.once('error', reject);
      next.listen(port, host, () => {
        server = next;
        resolve();
      });
    });

  const close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });

  const publish = () =>
    mqtt?.publishAsync(options.stateTopic ?? 'link', JSON.stringify(state), { retain: true, qos: 1 });

  async function cut() {
    clearTimeout(restoreTimer);
    if (!state.up) return;
    state = { up: false, since: Date.now() };
    await close();
    await publish();
  }

  async function restore() {
    clearTimeout(restoreTimer);
    if (state.up) return;
    await listen();
    state = { up: true, since: Date.now() };
    await publish();
  }

  await listen();
  if (options.mqttUrl) {
    mqtt = await connectAsync(options.mqttUrl, { clientId: `plantwire-wan-link-${port}` });
    mqtt.on('message', (_topic, body) => {
      let command: { cmd?: unknown; value?: unknown; duration?: unknown };
      try {
        command = JSON.parse(body.toString()) as typeof command;
      } catch {
        return; // not JSON: some other command's business, and the edge reports it
      }
      if (command.cmd !== 'network_outage') return;
      const on = command.value !== false;
      void (on ? cut() : restore()).then(() => {
        const seconds = Number(command.duration);
        if (on && seconds > 0) restoreTimer = setTimeout(() => void restore(), seconds * 1000);
      });
    });
    await mqtt.subscribeAsync(options.commandTopic ?? 'cmd', { qos: 1 });
    await publish();
  }

  return {
    url: `http://${host}:${port}`,
    port,
    state: () => ({ ...state }),
    cut,
    restore,
    async stop() {
      clearTimeout(restoreTimer);
      await close();
      await mqtt?.endAsync();
    },
  };
}

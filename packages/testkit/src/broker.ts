import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate, mayPublish, maySubscribe, mosquittoAcl, type MqttAccount } from './mqtt-acl.js';
import { freePort, startProcess, waitForPort, type ManagedProcess } from './process.js';

export interface Broker {
  readonly host: string;
  readonly port: number;
  /** mqtt://host:port */
  readonly url: string;
  stop(): Promise<void>;
}

/**
/** A publish or subscribe a client asked the broker for, and whether its account allowed it. */
export interface MqttRequest {
  action: 'publish' | 'subscribe';
  /** The topic, or the subscription's filter. */
  topic: string;
  /** The client's account; undefined on a broker without accounts. */
  username: string | undefined;
  allowed: boolean;
}

/**
 * An aedes MQTT broker inside this process: for tests and the one-command demo. With `accounts`, a client needs
 * a username and password, and publishes and subscribes only where its account allows (mqtt-acl.ts): a refused
 * publish disconnects the client, a refused subscription is answered with a failure code. `onRequest` hears every
 * publish and subscribe of a client (a test's view of who asked for which topic).
 */
export async function startAedesBroker(
  options: {
    host?: string;
    port?: number;
    accounts?: MqttAccount[];
    onRequest?: (request: MqttRequest) => void;
  } = {},
): Promise<Broker> {
  // aedes 1.x is ESM-only and builds its broker asynchronously.
  const { Aedes } = await import('aedes');
  const { accounts, onRequest } = options;
  const who = new WeakMap<object, MqttAccount>();
  const heard = (action: MqttRequest['action'], topic: string, client: object | null, allowed: boolean) => {
    onRequest?.({ action, topic, username: client ? who.get(client)?.username : undefined, allowed });
    return allowed;
  };
  const aedes = await Aedes.createBroker({
    ...(accounts && {
      authenticate: (client, username, password, done) => {
        const account = authenticate(accounts, username, password);
        if (account) who.set(client, account);
        const refusal = Object.assign(new Error('bad username or password'), { returnCode: 4 });
        done(account ? null : refusal, Boolean(account));
      },
    }),
    ...((accounts || onRequest) && {
      authorizePublish: (client, packet, done) => {
        const account = client && who.get(client);
        const allowed = !accounts || Boolean(account && mayPublish(account, packet.topic));
        done(
          heard('publish', packet.topic, client, allowed) ? null : new Error(`not allowed: ${packet.topic}`),
        );
      },
      authorizeSubscribe: (client, subscription, done) => {
        const account = client && who.get(client);
        const allowed = !accounts || Boolean(account && maySubscribe(account, subscription.topic));
        done(null, heard('subscribe', subscription.topic, client, allowed) ? subscription : null);
      },
    }),
  });
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer(aedes.handle);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : -1);
    });
  });
  return {
    host,
    port,
    url: `mqtt://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        aedes.close(() => server.close(() => resolve()));
      }),
  };
}

/** Where Debian's mosquitto lives; `apt-get install mosquitto` puts it there (and starts no service). */
export function mosquittoBinary(): string {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) {
    if (spawnSync(candidate, ['-h'], { stdio: 'ignore' }).error === undefined) return candidate;
  }
  throw new Error('mosquitto is not installed: apt-get install mosquitto (.ci/run does this)');
}

export interface MosquittoBroker extends Broker {
  readonly process: ManagedProcess;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
}

/**
 * Debian's mosquitto as a separate process, with a config of ours on a free loopback port. With `accounts`:
 * no anonymous clients, a password file made by mosquitto_passwd and the ACL file of mqtt-acl.ts.
 */
export async function startMosquitto(
  options: { port?: number; accounts?: MqttAccount[] } = {},
): Promise<MosquittoBroker> {
  const binary = mosquittoBinary();
  const host = '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  const dir = mkdtempSync(join(tmpdir(), 'plantwire-mosquitto-'));
  const config = join(dir, 'mosquitto.conf');
  const auth: string[] = [];
  if (options.accounts) {
    const passwords = join(dir, 'passwd');
    writeFileSync(passwords, '', { mode: 0o600 });
    for (const { username, password } of options.accounts) {
      execFileSync('mosquitto_passwd', ['-b', passwords, username, password]);
    }
    writeFileSync(join(dir, 'acl'), mosquittoAcl(options.accounts));
    // Started as root, mosquitto drops to its own user: that user must read the files (the dir is a test's own).
    chmodSync(dir, 0o755);
    chmodSync(passwords, 0o644);
    auth.push(`password_file ${passwords}`, `acl_file ${join(dir, 'acl')}`);
  }
  writeFileSync(
    config,
    [
      `listener ${port} ${host}`,
      `allow_anonymous ${options.accounts ? 'false' : 'true'}`,
      ...auth,
      'persistence false',
      'log_dest stdout',
      'max_queued_messages 100000',
      '',
    ].join('\n'),
  );
  const child = startProcess(binary, ['-c', config]);
  const cleanUp = () => rmSync(dir, { recursive: true, force: true });
  try {
    await waitForPort(port, host, 10_000);
  } catch (error) {
    await child.stop('SIGKILL');
    cleanUp();
    throw new Error(`mosquitto did not start: ${(error as Error).message}\n${child.output()}`);
  }
  return {
    host,
    port,
    url: `mqtt://${host}:${port}`,
    process: child,
    async stop() {
      await child.stop('SIGTERM', 5_000);
      cleanUp();
    },
    async kill() {
      await child.stop('SIGKILL');
      cleanUp();
    },
  };
}
